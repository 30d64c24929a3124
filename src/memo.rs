//! A bounded, least-recently-used memo shared by the request handlers: persisted queries,
//! parsed query documents, validated queries and request costs.

use std::borrow::Borrow;
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

    /// A copy of the value remembered for `key` (which becomes the most recently used); `key`
    /// may be a borrowed form of `K` (a `&str` for a `Box<str>`).
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.lock().get(key).cloned()
    }

    /// How many entries are remembered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    pub fn put(&self, key: K, value: V) {
        self.lock().put(key, value);
    }

    // a panic elsewhere while holding the lock leaves the entries usable
    fn lock(&self) -> MutexGuard<'_, LruCache<K, V>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}
