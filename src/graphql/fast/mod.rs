//! The fast path for the hottest queries: `orders(...)` and `order(id)` with their nested
//! relations, rendered straight from one `OrderGraph` into JSON.
//!
//! async-graphql resolves every field as its own future and builds a value tree before
//! serialising it; for a page of 50 orders with their items that is thousands of futures.
//! This path walks the parsed selection once, loads what it asks for with one statement per
//! relation, and writes the response bytes directly.
//!
//! It only runs for documents async-graphql has already validated (a query text, with its
//! operation name, that once executed without errors is remembered), uses the same domain
//! functions (so the same permissions and rules), computes the same complexity as the schema
//! (refusing nothing itself), and gives way to the ordinary executor whenever anything is
//! outside what it knows: another root field, `@skip`/`@include`, an argument that does not
//! parse, a domain error. Its answers equal the executor's (a test compares them field by
//! field).

mod plan;
mod render;
mod selection;

use std::hash::{Hash, Hasher};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType,
};
use async_graphql::{Request, Variables};

use crate::auth::Access;
use crate::db::Reads;
use crate::memo::Memo;
use crate::state::AppState;

/// Query texts (with their operation names) that async-graphql has validated and executed
/// without errors.
pub struct Validated {
    seen: Memo<u64, ()>,
}

impl Validated {
    /// The memo key of a request: its query text and operation name.
    pub fn key(request: &Request) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        request.query.hash(&mut h);
        request.operation_name.hash(&mut h);
        h.finish()
    }

    pub fn new(capacity: usize) -> Self {
        Validated {
            seen: Memo::new(capacity),
        }
    }

    /// Whether the fast path may answer this request (it may still give way to the executor).
    pub fn may_answer(&self, state: &AppState, request: &Request) -> bool {
        self.allows(state, Validated::key(request))
    }

    /// The fast path is on and the query of this memo key was validated.
    fn allows(&self, state: &AppState, key: u64) -> bool {
        state.settings.fast_path && self.seen.get(&key).is_some()
    }

    /// Remembers a query the executor ran without errors.
    pub fn remember(&self, key: u64) {
        self.seen.put(key, ());
    }
}

/// The operation the request names (or its only one).
fn operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    let op = match &document.operations {
        DocumentOperations::Single(op) => &op.node,
        DocumentOperations::Multiple(ops) => match operation_name {
            Some(name) => &ops.get(name)?.node,
            None if ops.len() == 1 => &ops.values().next()?.node,
            None => return None,
        },
    };
    Some(op)
}

/// Whether the operation is a query (not a mutation or subscription).
pub fn is_query(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    operation(document, operation_name).is_some_and(|op| op.ty == OperationType::Query)
}

/// Whether the operation is a mutation.
pub fn is_mutation(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    operation(document, operation_name).is_some_and(|op| op.ty == OperationType::Mutation)
}

/// What the fast path needs of a request.
pub struct Query<'a> {
    pub key: u64,
    pub document: &'a ExecutableDocument,
    pub operation_name: Option<&'a str>,
    pub variables: &'a Variables,
}

/// Executes the request on the fast path and returns the response body, or `None` when the
/// ordinary executor must run it.
pub async fn execute(
    state: &AppState,
    access: &Access,
    validated: &Validated,
    query: Query<'_>,
    reads: Option<Reads<'_>>,
) -> Option<Vec<u8>> {
    if !validated.allows(state, query.key) {
        return None;
    }
    let document = query.document;
    let op = operation(document, query.operation_name)?;
    if op.ty != OperationType::Query || !op.directives.is_empty() {
        return None;
    }
    let vars = plan::Variables::new(query.variables, &op.variable_definitions);
    let root = plan::plan(
        &op.selection_set.node,
        &document.fragments,
        &vars,
        state.settings.max_complexity,
    )?;
    let body = render::run(state, access, &root, &document.fragments, reads).await?;
    state
        .fast_path_hits
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    metrics::counter!("oms_graphql_fast_path_total").increment(1);
    Some(body)
}
