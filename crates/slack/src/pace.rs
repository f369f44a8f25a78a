//! Posting paced like Slack's own clients: `chat.postMessage` allows about one message per second per channel with
//! short bursts (Slack's "Rate limits" page). Each channel has a token bucket: a burst goes out at once, later posts
//! wait for the next token, and a 429 that still comes is waited out by the Web API client (`Retry-After`).
//!
//! Slack's limit is the app's, whichever replica posts: replicas sharing a PostgreSQL store share each channel's
//! bucket there ([`queue::SharedPace`]). While that store cannot be asked, each replica paces its own posts again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Posts the bot sends into one channel at once before pacing starts. Slack documents bursts without a number; the
/// simulator allows 8, and the bot stays below that so that its clock and Slack's may differ a little.
pub const DEFAULT_BURST: u32 = 6;

/// A token bucket per channel: this process's own, or the one every replica shares.
pub(crate) struct Pacer {
    /// Time for one token to come back; zero turns pacing off.
    interval: Duration,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
    shared: Option<SharedBuckets>,
}

/// The buckets replicas share, and when to ask them again after they could not be asked.
struct SharedBuckets {
    store: Arc<dyn queue::SharedPace>,
    resting_until: Mutex<Option<Instant>>,
}

/// Longest wait for the shared store's answer before a post is paced by this process alone.
const SHARED_TIMEOUT: Duration = Duration::from_secs(2);

/// After the shared store failed, posts are paced by this process alone for this long before it is asked again,
/// so that chat does not wait for a database that is down.
const SHARED_REST: Duration = Duration::from_secs(30);

/// Tokens may go below zero: each post waiting for its turn has reserved one.
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Buckets kept before full ones are forgotten (a full bucket is the same as a new one).
const MAX_BUCKETS: usize = 10_000;

impl Pacer {
    pub(crate) fn new(interval: Duration, burst: u32) -> Self {
        Pacer {
            interval,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// The same pacing, with each channel's bucket kept in `store`, shared by every replica that uses it.
    pub(crate) fn shared(interval: Duration, burst: u32, store: Arc<dyn queue::SharedPace>) -> Self {
        Pacer {
            shared: Some(SharedBuckets {
                store,
                resting_until: Mutex::new(None),
            }),
            ..Pacer::new(interval, burst)
        }
    }

    /// Waits until a post into `channel` may go.
    pub(crate) async fn wait_turn(&self, channel: &str) {
        let wait = match self.reserve_shared(channel).await {
            Some(wait) => Some(wait).filter(|wait| !wait.is_zero()),
            None => self.reserve(channel, Instant::now()),
        };
        if let Some(wait) = wait {
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes a token from the shared bucket of `channel` and returns the wait for it; `None` when there is no
    /// shared store or it cannot be asked now.
    async fn reserve_shared(&self, channel: &str) -> Option<Duration> {
        let shared = self.shared.as_ref()?;
        if self.interval.is_zero() {
            return Some(Duration::ZERO);
        }
        {
            let mut resting = shared.resting_until.lock().expect("pacer lock");
            match *resting {
                Some(until) if Instant::now() < until => return None,
                Some(_) => *resting = None,
                None => {}
            }
        }
        let burst = self.burst as u32;
        let reserved =
            tokio::time::timeout(SHARED_TIMEOUT, shared.store.reserve_post(channel, self.interval, burst)).await;
        let problem = match reserved {
            Ok(Ok(wait)) => return Some(wait),
            Ok(Err(error)) => error.to_string(),
            Err(_) => format!("no answer within {SHARED_TIMEOUT:?}"),
        };
        tracing::warn!(
            error = %problem,
            "cannot reserve a posting slot in the shared queue database; this replica paces its own posts for \
             the next {}s",
            SHARED_REST.as_secs()
        );
        *shared.resting_until.lock().expect("pacer lock") = Some(Instant::now() + SHARED_REST);
        None
    }

    /// Takes a token for a post into `channel` at `now`; returns how long the post must wait for it, if at all.
    fn reserve(&self, channel: &str, now: Instant) -> Option<Duration> {
        if self.interval.is_zero() {
            return None;
        }
        let mut buckets = self.buckets.lock().expect("pacer lock");
        if buckets.len() > MAX_BUCKETS {
            buckets.retain(|_, bucket| self.refilled(bucket, now) < self.burst);
        }
        let bucket = buckets.entry(channel.to_string()).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        bucket.tokens = self.refilled(bucket, now) - 1.0;
        bucket.updated = now;
        (bucket.tokens < 0.0).then(|| self.interval.mul_f64(-bucket.tokens))
    }

    fn refilled(&self, bucket: &Bucket, now: Instant) -> f64 {
        let earned = now.saturating_duration_since(bucket.updated).as_secs_f64() / self.interval.as_secs_f64();
        (bucket.tokens + earned).min(self.burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_goes_at_once_then_posts_wait_a_token_each() {
        let pacer = Pacer::new(Duration::from_secs(1), 3);
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(pacer.reserve("C1", now), None);
        }
        assert_eq!(pacer.reserve("C1", now), Some(Duration::from_secs(1)));
        assert_eq!(pacer.reserve("C1", now), Some(Duration::from_secs(2)));
        assert_eq!(pacer.reserve("C2", now), None, "other channels are not held up");
        // Four seconds later the two waiting posts have gone and two tokens are back.
        let later = now + Duration::from_secs(4);
        assert_eq!(pacer.reserve("C1", later), None);
        assert_eq!(pacer.reserve("C1", later), None);
        assert!(pacer.reserve("C1", later).is_some());
    }

    #[test]
    fn a_bucket_refills_to_the_burst_and_no_further() {
        let pacer = Pacer::new(Duration::from_secs(1), 2);
        let now = Instant::now();
        pacer.reserve("C1", now);
        pacer.reserve("C1", now);
        let much_later = now + Duration::from_secs(3600);
        assert_eq!(pacer.reserve("C1", much_later), None);
        assert_eq!(pacer.reserve("C1", much_later), None);
        assert!(pacer.reserve("C1", much_later).is_some());
    }

    #[test]
    fn a_zero_interval_never_waits() {
        let pacer = Pacer::new(Duration::ZERO, 1);
        let now = Instant::now();
        assert!((0..100).all(|_| pacer.reserve("C1", now).is_none()));
    }
}
