//! The queue's worker side: a stored delivery is run by the bot and posted through the chat sink.

use std::sync::Arc;

use async_trait::async_trait;
use bot::Bot;
use bot::delivery::Delivery;
use bot::sink::ChatSink;
use queue::{Job, JobError, JobHandler};
use serde::Deserialize;

/// The queue job kind of deliveries.
pub const DELIVERY_KIND: &str = "delivery";

pub struct DeliveryHandler {
    pub bot: Bot,
    pub sink: Arc<dyn ChatSink>,
}

#[async_trait]
impl JobHandler for DeliveryHandler {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        let delivery = Delivery::deserialize(&job.payload).map_err(|e| JobError::Permanent {
            reason: format!("the stored delivery is unreadable: {e}"),
        })?;
        match self.bot.deliver(&delivery, self.sink.as_ref()).await {
            Ok(()) => Ok(()),
            Err(e) if e.retryable => {
                tracing::warn!(
                    job = job.id,
                    attempt = job.attempts,
                    "delivery will be retried: {}",
                    e.message
                );
                Err(JobError::Retry {
                    reason: e.message,
                    after: e.retry_after,
                })
            }
            Err(e) => {
                tracing::error!(job = job.id, "delivery failed: {}", e.message);
                Err(JobError::Permanent { reason: e.message })
            }
        }
    }
}
