//! Errors of the queue, worded so that the person reading them knows what to do.

use crate::job::JobStatus;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// Back-pressure: the webhook should answer with a retryable error (e.g. 503) so the sender tries again.
    #[error(
        "the delivery queue is full ({capacity} deliveries waiting or in progress); let it drain, look for failing \
         deliveries with `lookerbot deliveries`, or raise the queue capacity"
    )]
    Full { capacity: usize },
    #[error("delivery queue storage failed: {0}")]
    Storage(String),
    /// The queue's database cannot be reached right now (a shared store whose server is down or restarting): the
    /// webhook should answer with a retryable error (503) so the sender tries again.
    #[error("the delivery queue's database cannot be reached: {0}")]
    Unavailable(String),
    #[error("there is no delivery with id {0}; list deliveries with `lookerbot deliveries`")]
    NotFound(i64),
    /// The job is no longer held by the caller, typically because its lease expired and another worker took it.
    #[error(
        "delivery {id} is {status}, not running: its lease probably expired and another worker took it over; \
         use a longer lease if deliveries take this long"
    )]
    NotRunning { id: i64, status: JobStatus },
    #[error("delivery {id} is {status}; only failed deliveries can be retried")]
    NotFailed { id: i64, status: JobStatus },
    #[error("invalid delivery queue setting: {0}")]
    InvalidConfig(String),
}
