//! A posting budget kept where every replica sees it: Slack allows about one message per second per channel, for
//! the app as a whole, so replicas posting into one channel must share one token bucket per channel.

use std::time::Duration;

use async_trait::async_trait;

use crate::error::QueueError;

/// One token bucket per channel, shared by the replicas of a store: `burst` posts may go at once, then one more
/// every `interval`.
#[async_trait]
pub trait SharedPace: Send + Sync {
    /// Reserves the next free slot for one post into `channel` and says how long to wait for it (zero: post now).
    /// The reservation counts at once, so concurrent callers on any replica get successive slots.
    async fn reserve_post(&self, channel: &str, interval: Duration, burst: u32) -> Result<Duration, QueueError>;
}
