//! Dropping Events API redeliveries: Slack retries an event it thinks we missed, with the same `event_id`.

use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// How long an event id is remembered: Slack retries within minutes.
const EVENT_MEMORY: Duration = Duration::from_secs(3600);

/// Slack event ids remembered in the durable store, so retries are dropped even across restarts, and in memory,
/// so that a first delivery is handled without waiting for the store (it is recorded there meanwhile) unless the
/// store is shared with other replicas.
pub struct DurableDedupe {
    store: Arc<dyn queue::Store>,
    recent: MemoryDedupe,
    /// Until then every event waits for the store: a signed request seen by the previous process can be replayed
    /// while its signature is fresh.
    replays_possible_until: Instant,
    /// The store is shared by several replicas: Slack may hand the same event to two of them (two Socket Mode
    /// connections, an Events API retry landing elsewhere), so even a first delivery asks the store.
    shared: bool,
}

/// How long after start-up a request the previous process handled may still come again with a fresh enough
/// signature: timestamps are accepted 5 minutes either side of now.
const REPLAY_WINDOW: Duration = Duration::from_secs(2 * crate::verify::MAX_CLOCK_SKEW_SECS.unsigned_abs());

impl DurableDedupe {
    pub fn new(store: Arc<dyn queue::Store>) -> DurableDedupe {
        DurableDedupe {
            store,
            recent: MemoryDedupe::new(EVENT_MEMORY),
            replays_possible_until: Instant::now() + REPLAY_WINDOW,
            shared: false,
        }
    }

    /// For a store other replicas use too: every event waits for the store's answer.
    pub fn shared(store: Arc<dyn queue::Store>) -> DurableDedupe {
        DurableDedupe {
            shared: true,
            ..DurableDedupe::new(store)
        }
    }

    async fn record(store: &dyn queue::Store, event_id: &str) -> bool {
        match store
            .first_sighting(&format!("slack-event:{event_id}"), EVENT_MEMORY)
            .await
        {
            Ok(first) => first,
            Err(e) => {
                tracing::warn!(error = %e, "event dedupe store failed; handling the event");
                true
            }
        }
    }
}

#[async_trait]
impl EventDedupe for DurableDedupe {
    async fn first_sighting(&self, event_id: &str, redelivery: bool) -> bool {
        if !self.recent.first_sighting(event_id, redelivery).await {
            return false;
        }
        if redelivery || self.shared || Instant::now() < self.replays_possible_until {
            // The first delivery may have come before a restart, or to another replica: only the store knows.
            return DurableDedupe::record(self.store.as_ref(), event_id).await;
        }
        let (store, event_id) = (Arc::clone(&self.store), event_id.to_owned());
        tokio::spawn(async move { DurableDedupe::record(store.as_ref(), &event_id).await });
        true
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

    #[tokio::test]
    async fn event_ids_are_remembered_in_memory_at_once_and_on_disk_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let path = queue::SqliteStore::default_path(dir.path());
        let store: Arc<dyn queue::Store> = Arc::new(queue::SqliteStore::open(&path, 100).unwrap());
        let running = DurableDedupe::new(Arc::clone(&store));
        assert!(running.first_sighting("Ev1", false).await);
        assert!(
            !running.first_sighting("Ev1", true).await,
            "a retry right behind the first delivery is dropped"
        );

        tokio::time::sleep(Duration::from_millis(500)).await; // the background write
        let restarted = DurableDedupe::new(Arc::clone(&store));
        assert!(
            !restarted.first_sighting("Ev1", true).await,
            "after a restart the store remembers"
        );
        let replayed = DurableDedupe::new(Arc::clone(&store));
        assert!(
            !replayed.first_sighting("Ev1", false).await,
            "the same signed request replayed after a restart is not handled again"
        );
        assert!(
            restarted.first_sighting("Ev2", true).await,
            "a retry of an unseen event is handled"
        );
        assert!(!restarted.first_sighting("Ev2", true).await);
    }
}
