//! A small in-memory cache whose entries expire, for Slack lookups that change rarely (users, channels).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Values kept for `ttl` after they were stored.
pub struct TtlCache<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration) -> Self {
        TtlCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The value stored for `key`, if it has not expired.
    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().expect("cache lock");
        entries
            .get(key)
            .filter(|(stored, _)| stored.elapsed() < self.ttl)
            .map(|(_, value)| value.clone())
    }

    pub fn insert(&self, key: K, value: V) {
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() > 10_000 {
            entries.retain(|_, (stored, _)| stored.elapsed() < self.ttl);
        }
        entries.insert(key, (Instant::now(), value));
    }

    /// Stores `key` unless a live entry exists; true when it was stored (the first sighting).
    pub fn insert_if_absent(&self, key: K, value: V) -> bool {
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.get(&key).is_some_and(|(stored, _)| stored.elapsed() < self.ttl) {
            return false;
        }
        if entries.len() > 10_000 {
            entries.retain(|_, (stored, _)| stored.elapsed() < self.ttl);
        }
        entries.insert(key, (Instant::now(), value));
        true
    }

    pub fn remove(&self, key: &K) {
        self.entries.lock().expect("cache lock").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire() {
        let cache = TtlCache::new(Duration::from_millis(30));
        cache.insert("a", 1);
        assert_eq!(cache.get(&"a"), Some(1));
        assert!(!cache.insert_if_absent("a", 2));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get(&"a"), None);
        assert!(cache.insert_if_absent("a", 3));
        assert_eq!(cache.get(&"a"), Some(3));
    }
}
