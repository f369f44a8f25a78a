//! A [`ChatSink`] in front of another that first puts chart images into the configured store, so the chat shows
//! them by URL (as the original did) instead of uploading the bytes.

use std::sync::Arc;

use async_trait::async_trait;
use bot::failure::Failure;
use bot::reply::{Block, ImageSource, Inline, Reply, Tone};
use bot::sink::{ChatSink, DeliveryMark, Destination, PostedMessage, ReplyLimits};
use bytes::Bytes;

use crate::ImageStore;

pub struct StoringSink {
    pub store: ImageStore,
    pub inner: Arc<dyn ChatSink>,
}

impl StoringSink {
    /// The reply with every PNG replaced by its stored URL; an image that could not be stored becomes a
    /// warning naming the store and the cause (the log has the details).
    async fn store_images(&self, reply: &Reply) -> Reply {
        let mut out = reply.clone();
        for block in &mut out.blocks {
            let Block::Image {
                source: ImageSource::Png(png),
                title,
                ..
            } = block
            else {
                continue;
            };
            match self.store.put_png(Bytes::from(std::mem::take(png))).await {
                Ok(stored) => {
                    if let Block::Image { source, .. } = block {
                        *source = ImageSource::Url(stored.url);
                    }
                }
                Err(e) => {
                    tracing::error!(store = self.store.name(), detail = %e.detail(), "could not store a chart image");
                    let text = format!("The chart \"{title}\" could not be stored. {e}");
                    *block = Block::Paragraph(vec![Inline::Icon(Tone::Warning), Inline::Text(text)]);
                }
            }
        }
        out
    }
}

#[async_trait]
impl ChatSink for StoringSink {
    async fn post(&self, to: &Destination, reply: &Reply) -> Result<Option<PostedMessage>, Failure> {
        let reply = self.store_images(reply).await;
        self.inner.post(to, &reply).await
    }

    async fn post_delivery(
        &self,
        to: &Destination,
        reply: &Reply,
        mark: &DeliveryMark,
    ) -> Result<Option<PostedMessage>, Failure> {
        let reply = self.store_images(reply).await;
        self.inner.post_delivery(to, &reply, mark).await
    }

    fn limits(&self) -> ReplyLimits {
        self.inner.limits()
    }

    async fn replace(&self, posted: &PostedMessage, reply: &Reply) -> Result<(), Failure> {
        let reply = self.store_images(reply).await;
        self.inner.replace(posted, &reply).await
    }

    async fn flush(&self) -> Result<(), Failure> {
        self.inner.flush().await
    }
}
