//! The queue's worker side: a delivery is run by the bot and posted through the chat sink, either from the queue
//! (retries, deliveries that waited for a free slot) or at once while a webhook stores it.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use bot::Bot;
use bot::delivery::Delivery;
use bot::failure::{Failure, Retry};
use bot::reply::Reply;
use bot::sink::{ChatSink, DeliveryMark};
use queue::{EnqueueOutcome, Enqueuer, Job, JobError, JobHandler, NewJob, Payload, QueueError};

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

    /// Runs `delivery`, posting it once `go_ahead` gives its mark, and tells the queue how the attempt went.
    /// `last_error` is the previous attempt's, so that a channel is told once that its Looker is down.
    async fn run(
        &self,
        delivery: &Delivery,
        go_ahead: impl Future<Output = Option<DeliveryMark>>,
        last_error: Option<&str>,
    ) -> Result<(), JobError> {
        let Delivery::Scheduled { looker_url, .. } = delivery else {
            // Messages need no Looker call: nothing to wait for.
            return self.deliver(delivery, go_ahead).await;
        };
        let looker = self.bot.lookers().at(looker_url).cloned();
        if let Some(wait) = looker.as_ref().and_then(|looker| looker.client.down_for()) {
            let reason = bot::delivery::looker_down_reason(looker_url, wait);
            let told = last_error.is_some_and(bot::delivery::is_looker_down_reason);
            if !told && go_ahead.await.is_some() {
                self.tell_looker_is_down(delivery, &reason).await;
            }
            return Err(JobError::Retry {
                reason,
                after: Some(wait),
            });
        }
        let Some(slot) = self.looker_slots.enter(looker_url, BUSY_WAIT).await else {
            return Err(JobError::Retry {
                reason: busy_reason(looker_url),
                after: Some(BUSY_RETRY),
            });
        };
        // The slot is for reading from Looker: it is given back once the content is read, so that deliveries waiting
        // on the store or on a slow Slack leave the next ones free to read.
        let go_ahead = async move {
            drop(slot);
            go_ahead.await
        };
        self.deliver(delivery, go_ahead).await
    }

    async fn deliver(
        &self,
        delivery: &Delivery,
        go_ahead: impl Future<Output = Option<DeliveryMark>>,
    ) -> Result<(), JobError> {
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
        let delivery = job.payload.read::<Delivery>().map_err(|e| JobError::Permanent {
            reason: format!("the stored delivery is unreadable: {e}"),
        })?;
        let mark = mark(job);
        let look_first = mark.look_first;
        let attempt = self
            .run(&delivery, std::future::ready(Some(mark)), job.last_error.as_deref())
            .await;
        keep_looking(look_first, attempt)
    }

    /// Tells the delivery's destination that it will not arrive (best effort: when the destination itself is what
    /// failed, the notice fails too and is only logged).
    async fn failed_for_good(&self, job: &Job, reason: &str) {
        let Ok(delivery) = job.payload.read::<Delivery>() else {
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
        let payload =
            Payload::of(&delivery).map_err(|e| QueueError::Storage(format!("cannot serialise the delivery: {e}")))?;
        let handler = Arc::clone(&self.handler);
        let job = NewJob::new(DELIVERY_KIND, payload);
        self.enqueuer
            .enqueue_with_head_start(job, move |stored| async move {
                handler
                    .run(&delivery, async move { stored.job().await.as_ref().map(mark) }, None)
                    .await
            })
            .await
    }
}

/// The delivery's mark for the chat: its job's id and creation time (ids alone repeat across queues, say a staging
/// bot's and production's posting into one channel). An earlier attempt may have posted it when the last recorded
/// failure says it ended not knowing whether its post arrived (also when an operator queued it again after it
/// failed so), or when a later attempt runs with no failure recorded at all (the process died during the first
/// attempt, and the job was claimed again once its lease ran out). When the process dies in a later attempt, after
/// a failure of another kind, the next attempt does not look.
fn mark(job: &Job) -> DeliveryMark {
    let look_first = match job.last_error.as_deref() {
        Some(failure) => Failure::is_outcome_unknown(failure),
        None => job.attempts > 1,
    };
    DeliveryMark {
        id: format!("{}-{}", job.id, job.created_at.timestamp_millis()),
        stored_at: job.created_at.into(),
        look_first,
    }
}

/// An attempt that was to look for an earlier one's post and failed (before it could look, say while reading from
/// Looker) keeps saying that the earlier outcome is unknown, so that the attempt after it looks too.
fn keep_looking(look_first: bool, attempt: Result<(), JobError>) -> Result<(), JobError> {
    match attempt {
        Err(JobError::Retry { reason, after }) if look_first => Err(JobError::Retry {
            reason: Failure {
                message: reason,
                retry: Retry::Later { after },
            }
            .still_unknown()
            .message,
            after,
        }),
        other => other,
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

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use queue::JobStatus;

    use super::*;

    fn job(attempts: u32, last_error: Option<&str>) -> Job {
        let created = Utc.timestamp_millis_opt(1_765_000_000_123).unwrap();
        Job {
            id: 17,
            kind: DELIVERY_KIND.into(),
            payload: serde_json::Value::Null.into(),
            idempotency_key: None,
            attempts,
            created_at: created,
            queued_at: created,
            status: JobStatus::Running,
            last_error: last_error.map(Into::into),
            next_attempt_at: created,
            finished_at: None,
        }
    }

    #[test]
    fn an_attempt_looks_first_after_an_unknown_outcome_or_an_attempt_that_never_ended() {
        let unknown = Failure::outcome_unknown("Slack chat.postMessage did not answer within 15s").message;
        assert!(!mark(&job(1, None)).look_first, "the first attempt");
        assert!(
            mark(&job(2, None)).look_first,
            "the first attempt died with the process"
        );
        assert!(mark(&job(2, Some(&unknown))).look_first);
        assert!(mark(&job(1, Some(&unknown))).look_first, "queued again by an operator");
        assert!(!mark(&job(3, Some("Looker answered 500"))).look_first);
        let stamped = mark(&job(1, None));
        assert_eq!(stamped.id, "17-1765000000123");
        assert_eq!(
            stamped.stored_at,
            std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_765_000_000_123)
        );
    }

    #[test]
    fn a_failure_before_the_look_keeps_the_next_attempt_looking() {
        let failed = || {
            Err(JobError::Retry {
                reason: "Looker answered 503".into(),
                after: Some(std::time::Duration::from_secs(5)),
            })
        };
        let Err(JobError::Retry { reason, after }) = keep_looking(true, failed()) else {
            panic!("still a retry");
        };
        assert!(Failure::is_outcome_unknown(&reason), "{reason}");
        assert!(reason.starts_with("Looker answered 503"), "{reason}");
        assert_eq!(after, Some(std::time::Duration::from_secs(5)));
        let Err(JobError::Retry { reason, .. }) = keep_looking(false, failed()) else {
            panic!("still a retry");
        };
        assert_eq!(reason, "Looker answered 503");
        assert!(keep_looking(true, Ok(())).is_ok());
    }
}
