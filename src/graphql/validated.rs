//! Validation once per document: async-graphql checks every rule of the spec against the schema
//! each time it executes a request (a twentieth of the CPU of a small query, in `perf`). A
//! request whose query text, operation name and variables have already passed those rules runs
//! on a twin schema in `ValidationMode::Fast`, which still computes the complexity and depth
//! (and refuses what exceeds the limits) but skips the rules, whose outcome cannot differ for
//! the same document, variables and schema.

use std::hash::{Hash, Hasher};

use async_graphql::{Request, Response};

use crate::graphql::GqlSchema;
use crate::memo::Memo;

/// The schema twice: strict for documents seen first, fast for those that passed.
pub struct Validated {
    strict: GqlSchema,
    fast: GqlSchema,
    passed: Memo<u64, ()>,
}

impl Validated {
    /// `fast` must be `strict` built again with `ValidationMode::Fast`.
    pub fn new(strict: GqlSchema, fast: GqlSchema, capacity: usize) -> Self {
        Validated {
            strict,
            fast,
            passed: Memo::new(capacity),
        }
    }

    /// Executes the request, validating it fully unless the same request passed before.
    pub async fn execute(&self, request: Request) -> Response {
        let key = key(&request);
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

/// The request's query text, operation name and variables.
fn key(request: &Request) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    request.query.hash(&mut h);
    request.operation_name.hash(&mut h);
    serde_json::to_string(&request.variables)
        .unwrap_or_default()
        .hash(&mut h);
    h.finish()
}

/// No data and only errors without a path: the request did not get past its validation (or
/// the choice of its operation).
fn refused_before_execution(r: &Response) -> bool {
    r.data == async_graphql::Value::Null
        && !r.errors.is_empty()
        && r.errors.iter().all(|e| e.path.is_empty())
}
