//! Token buckets in Redis, shared by every replica: one hash per key (`level`, `at`), refilled
//! and charged by one Lua script in one round trip, with Redis's own clock.
//!
//! When Redis cannot be reached or errors, the caller falls back to the in-process buckets;
//! after a failure Redis is left alone for a moment, then tried again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use redis::{Client, Script};
use tokio::sync::OnceCell;

use super::{Bucket, Outcome};

/// Longest a Redis call may take before the request falls back to the process's buckets.
const CALL_TIMEOUT: Duration = Duration::from_millis(250);
/// After a failure, Redis is not asked again for this long.
const BACKOFF: Duration = Duration::from_secs(1);
/// At most one warning about Redis in this interval.
const WARN_EVERY: Duration = Duration::from_secs(10);

const SCRIPT: &str = r#"
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local s = redis.call('HMGET', KEYS[1], 'level', 'at')
local level = tonumber(s[1])
local at = tonumber(s[2])
if level == nil or at == nil then
  level = cap
  at = now
end
if now > at then
  level = math.min(cap, level + (now - at) * rate / 1000)
end
local allowed = 0
if level >= cost then
  level = level - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((cap - level) * 1000 / rate) + 1000)
return {allowed, tostring(level)}
"#;

pub struct RedisBuckets {
    client: Client,
    connection: OnceCell<ConnectionManager>,
    script: Script,
    prefix: String,
    started: Instant,
    /// Milliseconds since `started` before which Redis is not tried.
    down_until: AtomicU64,
    /// Milliseconds since `started` of the last warning (0: none yet).
    warned_at: AtomicU64,
}

impl RedisBuckets {
    pub fn new(url: &str, prefix: &str) -> Result<Arc<RedisBuckets>, redis::RedisError> {
        Ok(Arc::new(RedisBuckets {
            client: Client::open(url)?,
            connection: OnceCell::new(),
            script: Script::new(SCRIPT),
            prefix: prefix.to_owned(),
            started: Instant::now(),
            down_until: AtomicU64::new(0),
            warned_at: AtomicU64::new(0),
        }))
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// The outcome from Redis, or `None` when Redis is down (the caller charges locally).
    pub async fn take(&self, key: &str, bucket: Bucket, cost: u64) -> Option<Outcome> {
        if self.now_ms() < self.down_until.load(Ordering::Relaxed) {
            return None;
        }
        match tokio::time::timeout(CALL_TIMEOUT, self.call(key, bucket, cost)).await {
            Ok(Ok(outcome)) => Some(outcome),
            Ok(Err(e)) => {
                self.failed(&e.to_string());
                None
            }
            Err(_) => {
                self.failed("no answer within 250 ms");
                None
            }
        }
    }

    async fn call(&self, key: &str, bucket: Bucket, cost: u64) -> redis::RedisResult<Outcome> {
        let connection = self
            .connection
            .get_or_try_init(|| async {
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(CALL_TIMEOUT))
                    .set_response_timeout(Some(CALL_TIMEOUT))
                    .set_number_of_retries(1);
                ConnectionManager::new_with_config(self.client.clone(), config).await
            })
            .await?;
        let mut connection = connection.clone();
        let (allowed, level): (i64, String) = self
            .script
            .key(format!("{}{key}", self.prefix))
            .arg(bucket.capacity)
            .arg(bucket.per_second)
            .arg(cost)
            .invoke_async(&mut connection)
            .await?;
        let level = level.parse::<f64>().unwrap_or(0.0);
        Ok(Outcome::new(allowed == 1, level, bucket, cost))
    }

    fn failed(&self, reason: &str) {
        let now = self.now_ms();
        self.down_until
            .store(now + BACKOFF.as_millis() as u64, Ordering::Relaxed);
        let last = self.warned_at.load(Ordering::Relaxed);
        if (last == 0 || now.saturating_sub(last) >= WARN_EVERY.as_millis() as u64)
            && self
                .warned_at
                .compare_exchange(last, now.max(1), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                reason,
                "Redis is unreachable: rate limits are held per process until it answers again"
            );
        }
        metrics::counter!("oms_ratelimit_redis_failures_total").increment(1);
    }
}
