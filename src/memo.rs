//! A bounded, least-recently-used memo shared by the request handlers: persisted queries,
//! parsed query documents, validated queries and request costs.

use std::hash::Hash;
use std::num::NonZeroUsize;
use std::sync::{Mutex, MutexGuard};

use lru::LruCache;

pub struct Memo<K: Hash + Eq, V> {
    entries: Mutex<LruCache<K, V>>,
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    /// At most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        Memo {
            entries: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    /// A copy of the value remembered for `key` (which becomes the most recently used).
    pub fn get(&self, key: &K) -> Option<V> {
        self.lock().get(key).cloned()
    }

    pub fn put(&self, key: K, value: V) {
        self.lock().put(key, value);
    }

    // a panic elsewhere while holding the lock leaves the entries usable
    fn lock(&self) -> MutexGuard<'_, LruCache<K, V>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}
