//! Answering one message: a loading message first, replaced by the first result, so the conversation keeps its
//! order; later results are posted after it.

use std::sync::Arc;

use tokio::sync::{Mutex, MutexGuard};
use tokio::task::JoinHandle;

use crate::reply::{Reply, Tone, Visibility};
use crate::sink::{ChatSink, Destination, PostedMessage};

/// What people see while Looker works, marked with [`Tone::Progress`].
pub const LOADING_TEXT: &str = "Looking into that…";

/// The loading message.
pub fn loading_reply() -> Reply {
    Reply::notice(Tone::Progress, LOADING_TEXT)
}

/// Sends the replies to one message.
pub struct Replier {
    sink: Arc<dyn ChatSink>,
    to: Destination,
    loading: Mutex<Loading>,
}

/// The loading message goes out while Looker works; the first reply waits for it, to replace it or to come after.
enum Loading {
    None,
    Posting(JoinHandle<Option<PostedMessage>>),
    Posted(PostedMessage),
}

impl Replier {
    pub fn new(sink: Arc<dyn ChatSink>, to: Destination) -> Self {
        Replier {
            sink,
            to,
            loading: Mutex::new(Loading::None),
        }
    }

    /// How much one reply can hold where these replies go.
    pub fn limits(&self) -> crate::sink::ReplyLimits {
        self.sink.limits()
    }

    /// Starts posting the loading message and returns at once, so that Looker's work overlaps it; the next public
    /// reply replaces it when the sink can replace messages.
    pub async fn loading(&self, privately: bool) {
        let loading = loading_reply();
        let loading = if privately { loading.only_asker() } else { loading };
        let (sink, to) = (Arc::clone(&self.sink), self.to.clone());
        let posting = tokio::spawn(async move {
            sink.post(&to, &loading)
                .await
                .inspect_err(|e| tracing::warn!(error = %e, "could not post the loading message"))
                .ok()
                .flatten()
        });
        *self.loading.lock().await = Loading::Posting(posting);
    }

    /// The loading message's state once its post has finished.
    async fn settled_loading(&self) -> MutexGuard<'_, Loading> {
        let mut loading = self.loading.lock().await;
        if let Loading::Posting(posting) = &mut *loading {
            *loading = match posting.await {
                Ok(Some(posted)) => Loading::Posted(posted),
                Ok(None) | Err(_) => Loading::None,
            };
        }
        loading
    }

    /// The loading message, if one was posted and not replaced yet; the next reply takes its place.
    async fn take_loading(&self) -> Option<PostedMessage> {
        match std::mem::replace(&mut *self.settled_loading().await, Loading::None) {
            Loading::Posted(posted) => Some(posted),
            Loading::None | Loading::Posting(_) => None,
        }
    }

    /// Sends a reply: in place of the loading message if there is one and the reply is public.
    pub async fn send(&self, reply: Reply) {
        if reply.visibility == Visibility::Public {
            if let Some(posted) = self.take_loading().await {
                match self.sink.replace(&posted, &reply).await {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not replace the loading message; posting anew")
                    }
                }
            }
        } else {
            // Comes after the loading message, which stays for the next public reply to replace.
            drop(self.settled_loading().await);
        }
        if let Err(e) = self.sink.post(&self.to, &reply).await {
            tracing::error!(error = %e, "could not deliver a reply");
            if reply.visibility == Visibility::Public {
                let warning = Reply::warning(format!("The answer could not be posted: {e}")).only_asker();
                let _ = self.sink.post(&self.to, &warning).await;
            }
        }
    }

    /// Removes a loading message that no reply replaced (e.g. only private replies were sent), then lets the sink
    /// send what it held back.
    pub async fn finish(&self) {
        if let Some(posted) = self.take_loading().await {
            let _ = self.sink.replace(&posted, &Reply::text("Done.")).await;
        }
        if let Err(e) = self.sink.flush().await {
            tracing::error!(error = %e, "could not deliver the last replies");
        }
    }
}
