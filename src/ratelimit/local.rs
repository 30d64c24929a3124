//! Token buckets held in this process: one `(level, last refill)` per key behind one mutex,
//! refilled lazily when the key is next charged.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Bucket, Outcome};

/// Keys kept before full (idle) buckets are forgotten.
const SWEEP_AT: usize = 100_000;
/// Keys kept at most: past it (after a sweep freed too little) a new key is not remembered
/// and gets a full bucket, so a flood of distinct clients cannot grow memory without bound.
const MAX_KEYS: usize = 2 * SWEEP_AT;
/// Sweeps run at most this often (each one walks every key under the lock).
const SWEEP_EVERY: Duration = Duration::from_secs(1);

pub struct LocalBuckets {
    slots: Mutex<Slots>,
}

struct Slots {
    by_key: HashMap<String, Slot>,
    swept: Instant,
}

impl Default for LocalBuckets {
    fn default() -> Self {
        LocalBuckets {
            slots: Mutex::new(Slots {
                by_key: HashMap::new(),
                swept: Instant::now(),
            }),
        }
    }
}

struct Slot {
    level: f64,
    at: Instant,
    /// The bucket this key is charged against (GraphQL points and REST requests share the
    /// map), so that a sweep judges each slot by its own size and rate.
    bucket: Bucket,
}

impl LocalBuckets {
    /// Refills the bucket of `key` for the time elapsed, then takes `cost` if it is there.
    pub fn take(&self, key: &str, bucket: Bucket, cost: u64) -> Outcome {
        let now = Instant::now();
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let Slots { by_key, swept } = &mut *slots;
        if !by_key.contains_key(key) {
            if by_key.len() >= SWEEP_AT && now.duration_since(*swept) >= SWEEP_EVERY {
                *swept = now;
                by_key.retain(|_, s| {
                    s.bucket.refilled(s.level, now.duration_since(s.at)) < s.bucket.capacity_f()
                });
            }
            if by_key.len() >= MAX_KEYS {
                let (allowed, level) = bucket.charge(bucket.capacity_f(), cost);
                return Outcome::new(allowed, level, bucket, cost);
            }
        }
        let slot = by_key.entry(key.to_owned()).or_insert(Slot {
            level: bucket.capacity_f(),
            at: now,
            bucket,
        });
        slot.bucket = bucket;
        let level = bucket.refilled(slot.level, now.duration_since(slot.at));
        let (allowed, level) = bucket.charge(level, cost);
        slot.level = level;
        slot.at = now;
        Outcome::new(allowed, level, bucket, cost)
    }
}
