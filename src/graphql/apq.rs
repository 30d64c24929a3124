//! Apollo automatic persisted queries: a client sends the SHA-256 of a query instead of its
//! text; the first time, the server answers `PersistedQueryNotFound` and the client sends both,
//! which the server remembers (bounded LRU, per process).

use std::num::NonZeroUsize;
use std::sync::Mutex;

use async_graphql::{ErrorExtensionValues, Request, ServerError};
use lru::LruCache;
use sha2::{Digest, Sha256};

/// Remembered queries by their SHA-256 (hex).
pub struct PersistedQueries {
    cache: Mutex<LruCache<String, String>>,
}

impl PersistedQueries {
    pub fn new(capacity: usize) -> Self {
        PersistedQueries {
            cache: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    /// Resolves the `persistedQuery` extension of a request, if any: fills in the query text
    /// from the cache, or checks and remembers a query sent with its hash.
    pub fn resolve(&self, mut request: Request) -> Result<Request, ServerError> {
        let Some(value) = request.extensions.remove("persistedQuery") else {
            return Ok(request);
        };
        let json = value.into_json().map_err(|_| invalid())?;
        let version = json.get("version").and_then(|v| v.as_i64());
        let hash = json
            .get("sha256Hash")
            .and_then(|v| v.as_str())
            .map(str::to_ascii_lowercase);
        let Some(hash) = hash else {
            return Err(invalid());
        };
        if version != Some(1) {
            return Err(coded(
                "Only version 1 of the \"persistedQuery\" extension is supported.",
                "PERSISTED_QUERY_NOT_SUPPORTED",
            ));
        }
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if request.query.is_empty() {
            match cache.get(&hash) {
                Some(query) => {
                    request.query = query.clone();
                    Ok(request)
                }
                None => Err(coded("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")),
            }
        } else {
            let actual = format!("{:x}", Sha256::digest(request.query.as_bytes()));
            if actual != hash {
                return Err(coded("provided sha does not match query", "BAD_USER_INPUT"));
            }
            cache.put(hash, request.query.clone());
            Ok(request)
        }
    }
}

fn invalid() -> ServerError {
    coded("Invalid \"persistedQuery\" extension.", "BAD_USER_INPUT")
}

fn coded(message: &str, code: &str) -> ServerError {
    let mut e = ServerError::new(message, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", code);
    e.extensions = Some(ext);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_ext(query: &str, hash: &str) -> Request {
        let mut r = Request::new(query);
        r.extensions.insert(
            "persistedQuery".into(),
            async_graphql::Value::from_json(serde_json::json!({"version": 1, "sha256Hash": hash}))
                .unwrap(),
        );
        r
    }

    #[test]
    fn registers_then_serves_by_hash() {
        let apq = PersistedQueries::new(8);
        let q = "{ me { id } }";
        let hash = format!("{:x}", Sha256::digest(q.as_bytes()));
        let e = apq.resolve(with_ext("", &hash)).unwrap_err();
        assert_eq!(e.message, "PersistedQueryNotFound");
        assert!(apq.resolve(with_ext(q, "00")).is_err());
        assert_eq!(apq.resolve(with_ext(q, &hash)).unwrap().query, q);
        assert_eq!(apq.resolve(with_ext("", &hash)).unwrap().query, q);
    }
}
