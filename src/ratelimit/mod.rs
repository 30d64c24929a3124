//! Per-client rate limits (`OMS_RATE_LIMIT=on`): a token bucket per client, GraphQL requests
//! charged their cost (the complexity `OMS_MAX_COMPLEXITY` measures, computed before
//! execution), REST and token requests charged one each.
//!
//! A client is its user (a validly signed access token), else its IP address. The buckets
//! live in the process, or in Redis with `OMS_REDIS_URL` so that every replica shares one
//! limit; when Redis cannot be reached the process's own buckets answer (requests still
//! pass, limited per process) and Redis is tried again a moment later.

pub mod body;
mod local;
mod redis;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::principal::bearer;
use crate::auth::token::TokenType;
use crate::config::RateLimitSettings;
use crate::error::AppError;
use crate::state::AppState;

use self::local::LocalBuckets;
use self::redis::RedisBuckets;

/// A bucket's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Points when full.
    pub capacity: u64,
    /// Points restored per second.
    pub per_second: f64,
}

impl Bucket {
    fn capacity_f(&self) -> f64 {
        self.capacity as f64
    }

    /// The level after `elapsed` of refilling, capped at the capacity.
    fn refilled(&self, level: f64, elapsed: Duration) -> f64 {
        (level + elapsed.as_secs_f64() * self.per_second).min(self.capacity_f())
    }

    /// Takes `cost` from `level` if it is there: (taken, the level after).
    fn charge(&self, level: f64, cost: u64) -> (bool, f64) {
        let cost = cost as f64;
        if level + 1e-9 >= cost {
            (true, (level - cost).max(0.0))
        } else {
            (false, level)
        }
    }
}

/// What charging a bucket gave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub allowed: bool,
    /// Whole points left after this request.
    pub available: u64,
    /// Seconds until the bucket holds the cost again (0 when allowed).
    pub retry_after_secs: u64,
    pub bucket: Bucket,
}

impl Outcome {
    fn new(allowed: bool, level: f64, bucket: Bucket, cost: u64) -> Outcome {
        let retry_after_secs = if allowed {
            0
        } else {
            (((cost as f64 - level) / bucket.per_second).ceil() as u64).max(1)
        };
        Outcome {
            allowed,
            available: level.max(0.0).floor() as u64,
            retry_after_secs,
            bucket,
        }
    }
}

/// The rate limiter of one process: its buckets, and Redis's when configured.
#[derive(Clone)]
pub struct RateLimiter {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    graphql: Bucket,
    rest: Bucket,
    local: LocalBuckets,
    redis: Option<Arc<RedisBuckets>>,
}

impl RateLimiter {
    /// The limiter of the settings (`None` inside when `OMS_RATE_LIMIT` is off).
    pub fn new(settings: &RateLimitSettings) -> RateLimiter {
        if !settings.enabled {
            return RateLimiter { inner: None };
        }
        let redis = settings.redis_url.as_deref().and_then(|url| {
            RedisBuckets::new(url, &settings.redis_prefix)
                .inspect_err(|e| tracing::warn!(error = %e, "OMS_REDIS_URL is unusable: rate limits are held per process"))
                .ok()
        });
        RateLimiter {
            inner: Some(Arc::new(Inner {
                graphql: Bucket {
                    capacity: settings.graphql_bucket,
                    per_second: settings.graphql_restore as f64,
                },
                rest: Bucket {
                    capacity: settings.rest_per_minute,
                    per_second: settings.rest_per_minute as f64 / 60.0,
                },
                local: LocalBuckets::default(),
                redis,
            })),
        }
    }

    pub fn enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// The GraphQL cost bucket (when enabled).
    pub fn graphql_bucket(&self) -> Option<Bucket> {
        self.inner.as_ref().map(|i| i.graphql)
    }

    /// Charges `cost` points to the client's GraphQL bucket; `None` when limits are off.
    pub async fn charge_graphql(&self, client: &ClientKey, cost: u64) -> Option<Outcome> {
        let inner = self.inner.as_ref()?;
        Some(
            inner
                .take(&format!("gql:{}", client.0), inner.graphql, cost)
                .await,
        )
    }

    /// Charges one request to the client's REST bucket; `None` when limits are off.
    pub async fn charge_rest(&self, client: &ClientKey) -> Option<Outcome> {
        let inner = self.inner.as_ref()?;
        Some(
            inner
                .take(&format!("rest:{}", client.0), inner.rest, 1)
                .await,
        )
    }
}

impl Inner {
    async fn take(&self, key: &str, bucket: Bucket, cost: u64) -> Outcome {
        if let Some(redis) = &self.redis
            && let Some(outcome) = redis.take(key, bucket, cost).await
        {
            return outcome;
        }
        self.local.take(key, bucket, cost)
    }
}

/// Who a bucket belongs to: `u:<user id>` or `ip:<address>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientKey(pub String);

impl ClientKey {
    pub fn user(id: i64) -> ClientKey {
        ClientKey(format!("u:{id}"))
    }

    pub fn ip(addr: Option<SocketAddr>) -> ClientKey {
        match addr {
            Some(a) => ClientKey(format!("ip:{}", a.ip())),
            None => ClientKey("ip:unknown".to_owned()),
        }
    }

    /// The user of a validly signed access token in the headers, else the peer's address.
    /// (Only the signature and lifetime are checked: no database read.)
    pub fn from_request(state: &AppState, headers: &HeaderMap, addr: Option<SocketAddr>) -> Self {
        if let Ok(Some(token)) = bearer(headers)
            && let Ok(claims) = state.tokens.verify(&token, TokenType::Access)
            && let Some(id) = claims.user_id()
        {
            return ClientKey::user(id);
        }
        ClientKey::ip(addr)
    }
}

/// The peer's address, when the server recorded it (`ConnectInfo`); never refuses.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// Middleware of the REST and token routes: one request from the client's bucket, or 429
/// with DRF's body and `Retry-After`.
pub async fn throttle_rest(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if state.limiter.enabled() {
        let addr = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        let client = ClientKey::from_request(&state, request.headers(), addr);
        if let Some(outcome) = state.limiter.charge_rest(&client).await
            && !outcome.allowed
        {
            metrics::counter!("oms_ratelimit_refused_total", "api" => "rest").increment(1);
            return AppError::RateLimited {
                retry_after_secs: outcome.retry_after_secs,
            }
            .into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refills_at_its_rate_and_never_beyond_its_capacity() {
        let b = Bucket {
            capacity: 100,
            per_second: 10.0,
        };
        assert_eq!(b.refilled(0.0, Duration::from_secs(3)), 30.0);
        assert_eq!(b.refilled(95.0, Duration::from_secs(3)), 100.0);
        assert_eq!(b.charge(30.0, 40), (false, 30.0));
        assert_eq!(b.charge(30.0, 30), (true, 0.0));
        let refused = Outcome::new(false, 30.0, b, 45);
        assert_eq!(refused.retry_after_secs, 2);
        assert_eq!(refused.available, 30);
    }

    #[test]
    fn local_buckets_are_per_key() {
        let b = Bucket {
            capacity: 10,
            per_second: 0.001,
        };
        let local = LocalBuckets::default();
        assert!(local.take("a", b, 10).allowed);
        assert!(!local.take("a", b, 1).allowed);
        assert!(local.take("b", b, 1).allowed);
    }
}
