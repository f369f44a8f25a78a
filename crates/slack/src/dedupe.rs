//! Dropping Events API redeliveries: Slack retries an event it thinks we missed, with the same `event_id`.

use std::time::Duration;

use async_trait::async_trait;

use crate::cache::TtlCache;

/// Remembers which events were handled. The in-memory one forgets on restart; a durable one can be plugged in.
#[async_trait]
pub trait EventDedupe: Send + Sync {
    /// True the first time `event_id` is seen (handle it), false for a repeat (skip it). `redelivery` says Slack
    /// marked it as a retry; a first delivery cannot repeat an event handled before a restart, so a durable store
    /// need not wait for its disk then.
    async fn first_sighting(&self, event_id: &str, redelivery: bool) -> bool;
}

/// Event ids remembered in memory for a while (Slack retries within minutes).
pub struct MemoryDedupe {
    seen: TtlCache<String, ()>,
}

impl MemoryDedupe {
    pub fn new(ttl: Duration) -> Self {
        MemoryDedupe {
            seen: TtlCache::new(ttl),
        }
    }
}

impl Default for MemoryDedupe {
    fn default() -> Self {
        MemoryDedupe::new(Duration::from_secs(60 * 60))
    }
}

#[async_trait]
impl EventDedupe for MemoryDedupe {
    async fn first_sighting(&self, event_id: &str, _redelivery: bool) -> bool {
        self.seen.insert_if_absent(event_id.to_string(), ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn second_sighting_is_a_repeat() {
        let dedupe = MemoryDedupe::default();
        assert!(dedupe.first_sighting("Ev1", false).await);
        assert!(!dedupe.first_sighting("Ev1", true).await);
        assert!(dedupe.first_sighting("Ev2", true).await);
    }
}
