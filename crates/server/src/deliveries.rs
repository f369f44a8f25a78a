//! The queue's worker side: a delivery is run by the bot and posted through the chat sink, either from the queue
//! (retries, deliveries that waited for a free slot) or at once while a webhook stores it.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use bot::Bot;
use bot::delivery::Delivery;
use bot::failure::{Failure, Retry};
use bot::reply::Reply;
use bot::sink::ChatSink;
use queue::{EnqueueOutcome, Enqueuer, Job, JobError, JobHandler, NewJob, QueueError};
use serde::Deserialize;
use url::Url;

use crate::bulkhead::{BUSY_RETRY, BUSY_WAIT, LookerSlots, busy_reason};

/// The queue job kind of deliveries.
pub const DELIVERY_KIND: &str = "delivery";

/// Runs stored deliveries for the queue's workers.
pub struct DeliveryHandler {
    bot: Bot,
    sink: Arc<dyn ChatSink>,
    looker_slots: LookerSlots,
}

impl DeliveryHandler {
    pub fn new(bot: Bot, sink: Arc<dyn ChatSink>) -> DeliveryHandler {
        DeliveryHandler {
            bot,
            sink,
            looker_slots: LookerSlots::default(),
        }
    }

    /// Runs `delivery`, posting it once `go_ahead` says so, and tells the queue how the attempt went.
    /// `last_error` is the previous attempt's, so that a channel is told once that its Looker is down.
    async fn run(
        &self,
        delivery: &Delivery,
        go_ahead: impl Future<Output = bool>,
        last_error: Option<&str>,
    ) -> Result<(), JobError> {
        let Delivery::Scheduled { looker_url, .. } = delivery else {
            // Messages need no Looker call: nothing to wait for.
            return self.deliver(delivery, go_ahead).await;
        };
        let looker = Url::parse(looker_url)
            .ok()
            .and_then(|url| self.bot.lookers().owning(&url).cloned());
        if let Some(wait) = looker.as_ref().and_then(|looker| looker.client.down_for()) {
            let reason = bot::delivery::looker_down_reason(looker_url, wait);
            let told = last_error.is_some_and(bot::delivery::is_looker_down_reason);
            if !told && go_ahead.await {
                self.tell_looker_is_down(delivery, &reason).await;
            }
            return Err(JobError::Retry {
                reason,
                after: Some(wait),
            });
        }
        let Some(_slot) = self.looker_slots.enter(looker_url, BUSY_WAIT).await else {
            return Err(JobError::Retry {
                reason: busy_reason(looker_url),
                after: Some(BUSY_RETRY),
            });
        };
        self.deliver(delivery, go_ahead).await
    }

    async fn deliver(&self, delivery: &Delivery, go_ahead: impl Future<Output = bool>) -> Result<(), JobError> {
        self.bot
            .deliver(delivery, self.sink.as_ref(), go_ahead)
            .await
            .map_err(job_error)
    }

    /// A `:warning:` in the delivery's destination: its Looker is down and the delivery waits in the queue.
    async fn tell_looker_is_down(&self, delivery: &Delivery, reason: &str) {
        let text = format!("A scheduled delivery is late: {reason} It will be posted here once Looker answers.");
        let to = delivery.target().destination();
        if let Err(error) = self.sink.post(&to, &Reply::warning(text)).await {
            tracing::warn!(%error, "could not tell a channel that its Looker is down");
        }
    }
}

#[async_trait]
impl JobHandler for DeliveryHandler {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        let delivery = Delivery::deserialize(&job.payload).map_err(|e| JobError::Permanent {
            reason: format!("the stored delivery is unreadable: {e}"),
        })?;
        self.run(&delivery, std::future::ready(true), job.last_error.as_deref())
            .await
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
                    .run(&delivery, async move { stored.job().await.is_some() }, None)
                    .await
            })
            .await
    }
}

/// How the queue treats a failed attempt (it logs it with the job's id): the one place the core's failure
/// vocabulary meets the queue's.
fn job_error(failure: Failure) -> JobError {
    match failure.retry {
        Retry::Later { after } => JobError::Retry {
            reason: failure.message,
            after,
        },
        Retry::Never => JobError::Permanent {
            reason: failure.message,
        },
    }
}
