//! Validation once per document: async-graphql checks every rule of the spec against the schema
//! each time it executes a request (a twentieth of the CPU of a small query, in `perf`). A
//! request whose query text, operation name and variables have already passed those rules runs
//! on a twin schema in `ValidationMode::Fast`, which still computes the complexity and depth
//! (and refuses what exceeds the limits) but skips the rules, whose outcome cannot differ for
//! the same document, variables and schema.

use std::hash::{BuildHasher, Hash, Hasher, RandomState};

use async_graphql::{Request, Response};

use crate::graphql::GqlSchema;
use crate::memo::Memo;

/// The schema twice: strict for documents seen first, fast for those that passed.
pub struct Validated {
    strict: GqlSchema,
    fast: GqlSchema,
    passed: Memo<u64, ()>,
    keys: RequestKeys,
}

impl Validated {
    /// `fast` must be `strict` built again with `ValidationMode::Fast`.
    pub fn new(strict: GqlSchema, fast: GqlSchema, capacity: usize) -> Self {
        Validated {
            strict,
            fast,
            passed: Memo::new(capacity),
            keys: RequestKeys::default(),
        }
    }

    /// Executes the request, validating it fully unless the same request passed before.
    pub async fn execute(&self, request: Request) -> Response {
        let key = self.keys.of(&request);
        if self.passed.get(&key).is_some() {
            return self.fast.execute(request).await;
        }
        let response = self.strict.execute(request).await;
        if !refused_before_execution(&response) {
            self.passed.put(key, ());
        }
        response
    }
}

/// Memo keys of requests: a hash of the query text, operation name and variables, keyed by a
/// random per-process seed, so that no client can craft two requests with one key (a document
/// that would then skip its validation, or be charged another's cost).
#[derive(Default)]
pub struct RequestKeys(RandomState);

impl RequestKeys {
    pub fn of(&self, request: &Request) -> u64 {
        let mut h = self.0.build_hasher();
        request.query.hash(&mut h);
        request.operation_name.hash(&mut h);
        serde_json::to_string(&request.variables)
            .unwrap_or_default()
            .hash(&mut h);
        h.finish()
    }
}

/// No data and only errors without a path: the request did not get past its validation (or
/// the choice of its operation).
fn refused_before_execution(r: &Response) -> bool {
    r.data == async_graphql::Value::Null
        && !r.errors.is_empty()
        && r.errors.iter().all(|e| e.path.is_empty())
}
