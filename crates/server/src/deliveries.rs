//! The queue's worker side: a delivery is run by the bot and posted through the chat sink, either from the queue
//! (retries, deliveries that waited for a free slot) or at once while a webhook stores it.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use bot::Bot;
use bot::delivery::{Delivery, DeliveryError};
use bot::sink::ChatSink;
use queue::{EnqueueOutcome, Enqueuer, Job, JobError, JobHandler, NewJob, QueueError};
use serde::Deserialize;

/// The queue job kind of deliveries.
pub const DELIVERY_KIND: &str = "delivery";

/// Runs stored deliveries for the queue's workers.
pub struct DeliveryHandler {
    pub bot: Bot,
    pub sink: Arc<dyn ChatSink>,
}

impl DeliveryHandler {
    /// Runs `delivery`, posting it once `go_ahead` says so, and tells the queue how the attempt went.
    async fn run(&self, delivery: &Delivery, go_ahead: impl Future<Output = bool>) -> Result<(), JobError> {
        self.bot
            .deliver(delivery, self.sink.as_ref(), go_ahead)
            .await
            .map_err(job_error)
    }
}

#[async_trait]
impl JobHandler for DeliveryHandler {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        let delivery = Delivery::deserialize(&job.payload).map_err(|e| JobError::Permanent {
            reason: format!("the stored delivery is unreadable: {e}"),
        })?;
        self.run(&delivery, std::future::ready(true)).await
    }

    /// Tells the delivery's destination that it will not arrive (best effort: when the destination itself is what
    /// failed, the notice fails too and is only logged).
    async fn failed_for_good(&self, job: &Job, reason: &str) {
        let Ok(delivery) = Delivery::deserialize(&job.payload) else {
            return;
        };
        let notice = bot::delivery::failure_notice(&delivery, reason);
        if let Err(error) = self.sink.post(&delivery.target().destination(), &notice).await {
            tracing::warn!(job = job.id, %error, "cannot tell the destination that its delivery failed");
        }
    }
}

/// Stores new deliveries and starts them at once: Looker is asked for the content while the delivery is written,
/// and it is posted once the delivery is stored.
#[derive(Clone)]
pub struct Deliveries {
    pub enqueuer: Enqueuer,
    pub handler: Arc<DeliveryHandler>,
}

impl Deliveries {
    /// Returns once the delivery is durable.
    pub async fn enqueue(&self, delivery: Delivery) -> Result<EnqueueOutcome, QueueError> {
        let payload = serde_json::to_value(&delivery)
            .map_err(|e| QueueError::Storage(format!("cannot serialise the delivery: {e}")))?;
        let handler = Arc::clone(&self.handler);
        let job = NewJob::new(DELIVERY_KIND, payload);
        self.enqueuer
            .enqueue_with_head_start(job, move |stored| async move {
                handler
                    .run(&delivery, async move { stored.job().await.is_some() })
                    .await
            })
            .await
    }
}

/// How the queue treats a failed attempt (it logs it with the job's id).
fn job_error(e: DeliveryError) -> JobError {
    if e.retryable {
        JobError::Retry {
            reason: e.message,
            after: e.retry_after,
        }
    } else {
        JobError::Permanent { reason: e.message }
    }
}
