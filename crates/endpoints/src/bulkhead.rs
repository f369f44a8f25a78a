//! Bulkheads between deliveries: those waiting on one Looker cannot take every delivery slot, deliveries that need
//! no Looker call (data-action messages) never wait behind Looker, and a Looker that looks down (its client's
//! circuit breaker is open) is not called at all: its deliveries wait in the queue and their channel is told once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Deliveries reading from one Looker at once: half of the queue's slots (4 workers and 4 express slots), so that a
/// hung Looker leaves the other half to other Lookers and to messages. A delivery gives its slot back once its
/// content is read, before it posts.
pub const DELIVERIES_PER_LOOKER: usize = 4;

/// When a delivery finds its Looker's slots taken, it waits this long for one: a Looker that answers keeps freeing
/// slots every few milliseconds, and a burst of deliveries then goes through at the pace Looker answers, instead of
/// most of it waiting [`BUSY_RETRY`] in the queue. A hung Looker costs each waiting delivery only this wait.
pub const BUSY_WAIT: Duration = Duration::from_millis(250);

/// When a delivery found its Looker's slots taken for [`BUSY_WAIT`], it goes back to the queue for this long.
pub const BUSY_RETRY: Duration = Duration::from_secs(5);

/// The delivery slots of each Looker, by its base URL.
#[derive(Default)]
pub struct LookerSlots(Mutex<HashMap<String, Arc<Semaphore>>>);

impl LookerSlots {
    /// A slot for a delivery from `looker`, if one is free or frees up within `wait`.
    pub async fn enter(&self, looker: &str, wait: Duration) -> Option<OwnedSemaphorePermit> {
        let slots = {
            let mut all = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let slots = all
                .entry(looker.to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(DELIVERIES_PER_LOOKER)));
            Arc::clone(slots)
        };
        if let Ok(slot) = Arc::clone(&slots).try_acquire_owned() {
            return Some(slot);
        }
        tokio::time::timeout(wait, slots.acquire_owned()).await.ok()?.ok()
    }
}

/// The reason a delivery waiting for a slot is given (it shows in `lookerbot deliveries`).
pub fn busy_reason(looker: &str) -> String {
    format!(
        "{DELIVERIES_PER_LOOKER} deliveries are already waiting on Looker at {looker}; this one waits its turn in the \
         queue"
    )
}
