//! Answering one message: a loading message first, replaced by the first result, so the conversation keeps its
//! order; later results are posted after it.

use std::sync::Arc;

use tokio::sync::Mutex;

use crate::reply::{Reply, Visibility};
use crate::sink::{ChatSink, Destination, PostedMessage};

/// What people see while Looker works.
pub const LOADING_TEXT: &str = ":hourglass_flowing_sand: Looking into that…";

/// Sends the replies to one message.
pub struct Replier {
    sink: Arc<dyn ChatSink>,
    to: Destination,
    loading: Mutex<Option<PostedMessage>>,
}

impl Replier {
    pub fn new(sink: Arc<dyn ChatSink>, to: Destination) -> Self {
        Replier {
            sink,
            to,
            loading: Mutex::new(None),
        }
    }

    /// Posts the loading message; the next public reply replaces it when the sink can replace messages.
    pub async fn loading(&self, privately: bool) {
        let loading = Reply::text(LOADING_TEXT);
        let loading = if privately { loading.only_asker() } else { loading };
        match self.sink.post(&self.to, &loading).await {
            Ok(posted) => *self.loading.lock().await = posted,
            Err(e) => tracing::warn!(error = %e, "could not post the loading message"),
        }
    }

    /// Sends a reply: in place of the loading message if there is one and the reply is public.
    pub async fn send(&self, reply: Reply) {
        if reply.visibility == Visibility::Public {
            let loading = self.loading.lock().await.take();
            if let Some(posted) = loading {
                match self.sink.replace(&posted, &reply).await {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not replace the loading message; posting anew")
                    }
                }
            }
        }
        if let Err(e) = self.sink.post(&self.to, &reply).await {
            tracing::error!(error = %e, "could not deliver a reply");
            if reply.visibility == Visibility::Public {
                let warning = Reply::warning(format!("The answer could not be posted: {e}")).only_asker();
                let _ = self.sink.post(&self.to, &warning).await;
            }
        }
    }

    /// Removes a loading message that no reply replaced (e.g. only private replies were sent).
    pub async fn finish(&self) {
        if let Some(posted) = self.loading.lock().await.take() {
            let _ = self.sink.replace(&posted, &Reply::text("Done.")).await;
        }
    }
}
