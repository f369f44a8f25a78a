//! Work waiting for the storage thread, written together: whatever arrives while the thread is busy (a commit being
//! synced to disk) joins the next write, so a burst costs one transaction, not one each.

use std::sync::{Mutex, MutexGuard};

pub(super) struct Room<T>(Mutex<Waiting<T>>);

struct Waiting<T> {
    items: Vec<T>,
    /// Whether a write of the waiting items is already handed to the storage thread: it takes them all.
    write_coming: bool,
}

impl<T> Default for Room<T> {
    fn default() -> Room<T> {
        Room(Mutex::new(Waiting {
            items: Vec::new(),
            write_coming: false,
        }))
    }
}

impl<T> Room<T> {
    fn waiting(&self) -> MutexGuard<'_, Waiting<T>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds `item`; true when no write is coming yet, so the caller must hand one to the storage thread.
    pub(super) fn push(&self, item: T) -> bool {
        let mut waiting = self.waiting();
        waiting.items.push(item);
        !std::mem::replace(&mut waiting.write_coming, true)
    }

    /// Everything waiting, for the write that was handed over; the next item asks for a write of its own.
    pub(super) fn take(&self) -> Vec<T> {
        let mut waiting = self.waiting();
        waiting.write_coming = false;
        std::mem::take(&mut waiting.items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_write_is_asked_for_until_it_takes_what_waits() {
        let room = Room::default();
        assert!(room.push(1));
        assert!(!room.push(2), "a write is coming already");
        assert_eq!(room.take(), vec![1, 2]);
        assert!(room.take().is_empty());
        assert!(room.push(3), "the write that took 1 and 2 does not take 3");
    }
}
