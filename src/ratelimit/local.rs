//! Token buckets held in this process: one `(level, last refill)` per key behind one mutex,
//! refilled lazily when the key is next charged.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::{Bucket, Outcome};

/// Keys kept before full (idle) buckets are forgotten.
const SWEEP_AT: usize = 100_000;

#[derive(Default)]
pub struct LocalBuckets {
    slots: Mutex<HashMap<String, Slot>>,
}

struct Slot {
    level: f64,
    at: Instant,
}

impl LocalBuckets {
    /// Refills the bucket of `key` for the time elapsed, then takes `cost` if it is there.
    pub fn take(&self, key: &str, bucket: Bucket, cost: u64) -> Outcome {
        let now = Instant::now();
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots.len() >= SWEEP_AT && !slots.contains_key(key) {
            slots.retain(|_, s| {
                bucket.refilled(s.level, now.duration_since(s.at)) < bucket.capacity_f()
            });
        }
        let slot = slots.entry(key.to_owned()).or_insert(Slot {
            level: bucket.capacity_f(),
            at: now,
        });
        let level = bucket.refilled(slot.level, now.duration_since(slot.at));
        let (allowed, level) = bucket.charge(level, cost);
        slot.level = level;
        slot.at = now;
        Outcome::new(allowed, level, bucket, cost)
    }
}
