//! Who asks a GraphQL request, identified once per HTTP request (see `graphql::http`).
//!
//! A read-only request looks its caller up on the connection it then holds for its
//! statements. A request that is one write taking a `policy::Caller` (`createOrder`,
//! `createPayment`) does not look it up at all: the write does, inside its own transaction,
//! so that it costs one pool connection instead of two (W1 in BENCHMARKS.md). A request that
//! is one read of orders (`order`, `orders`) leaves it to that read's statement
//! (`auth::riding`), so that it costs one statement instead of two.

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection};

use crate::auth::Credentials;
use crate::auth::pending::Asking;
use crate::db::Reads;
use crate::graphql::operation;
use crate::state::AppState;

/// The mutations that look their caller up in their own transaction.
const LOOKING_UP_IN_THEIR_WRITE: &[&str] = &["createOrder", "createPayment"];

/// The queries that look their caller up in their own statement.
const LOOKING_UP_IN_THEIR_READ: &[&str] = &["order", "orders"];

/// Who is asking, and the connection the request holds.
pub struct Caller {
    /// The user of a lone write or read is left pending, looked up by it (see the module's
    /// doc); anyone else is known before the request runs.
    pub asking: Asking,
    /// The connection a read-only request holds, when the caller was looked up on it (or is
    /// left to the request's one read).
    pub held: Option<Reads>,
}

/// How the request reaches the database.
pub enum Plan {
    /// Queries only: the caller is looked up on a connection the request keeps.
    Hold,
    /// One write that looks its caller up itself.
    LoneWrite,
    /// One read that looks its caller up itself, on a connection the request keeps.
    LoneRead,
    /// Anything else: the caller is looked up on the pool first.
    Pool,
}

/// Whether the operation is a mutation of exactly one field that looks its caller up itself.
pub fn is_lone_write(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    lone_field(document, operation_name, OperationType::Mutation)
        .is_some_and(|name| LOOKING_UP_IN_THEIR_WRITE.contains(&name))
}

/// Whether the operation is a query of exactly one field that looks its caller up itself.
pub fn is_lone_read(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    lone_field(document, operation_name, OperationType::Query)
        .is_some_and(|name| LOOKING_UP_IN_THEIR_READ.contains(&name))
}

/// The name of the one field of the operation, when it is of type `ty` and selects exactly
/// one field (not a fragment).
fn lone_field<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
    ty: OperationType,
) -> Option<&'a str> {
    let op = operation::operation(document, operation_name).filter(|op| op.ty == ty)?;
    match op.selection_set.node.items.as_slice() {
        [one] => match &one.node {
            Selection::Field(field) => Some(field.node.name.node.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// Identifies the caller as `plan` says. A token that names no user is settled here, without
/// the database, whatever the plan.
pub async fn identify(state: &AppState, credentials: Credentials, plan: Plan) -> Caller {
    let held = match plan {
        Plan::Hold | Plan::LoneRead => Some(hold(state).await),
        Plan::LoneWrite | Plan::Pool => None,
    };
    let defer = matches!(plan, Plan::LoneWrite | Plan::LoneRead);
    let asking = match &held {
        Some(db) => Asking::of(state, credentials, defer, db).await,
        None => Asking::of(state, credentials, defer, &state.db).await,
    };
    Caller { asking, held }
}

/// A connection held for a read-only request's statements; the pool itself when none can be
/// had (each statement then fails, or not, on its own, as without one).
pub async fn hold(state: &AppState) -> Reads {
    Reads::take(&state.db, &state.sql)
        .await
        .unwrap_or_else(|_| Reads::pool(&state.db))
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::{is_lone_read, is_lone_write};

    fn lone(query: &str, operation: Option<&str>) -> bool {
        is_lone_write(&parse_query(query).expect("a valid document"), operation)
    }

    fn lone_read(query: &str, operation: Option<&str>) -> bool {
        is_lone_read(&parse_query(query).expect("a valid document"), operation)
    }

    #[test]
    fn only_a_query_of_one_order_or_orders_field_is_a_lone_read() {
        assert!(lone_read("{ orders { nodes { id } } }", None));
        assert!(lone_read(
            "query Q($id: Int!) { mine: order(id: $id) { id } }",
            None
        ));
        // another field beside it, another field, a fragment, a mutation or a subscription
        assert!(!lone_read("{ __typename orders { totalCount } }", None));
        assert!(!lone_read(
            "{ a: orders { totalCount } b: orders { totalCount } }",
            None
        ));
        assert!(!lone_read("{ payments { totalCount } }", None));
        assert!(!lone_read(
            "{ ...F } fragment F on Query { orders { totalCount } }",
            None
        ));
        assert!(!lone_read("mutation { orders { id } }", None));
        assert!(!lone_read("subscription { orders { id } }", None));
        // the operation the request names decides
        let two = "query A { orders { totalCount } } query B { me { id } }";
        assert!(lone_read(two, Some("A")));
        assert!(!lone_read(two, Some("B")));
        assert!(!lone_read(two, None));
    }

    #[test]
    fn only_a_mutation_of_one_deferring_field_is_a_lone_write() {
        assert!(lone(
            "mutation { createOrder(input: {items: []}) { id } }",
            None
        ));
        assert!(lone(
            "mutation M { p: createPayment(input: {}) { id } }",
            None
        ));
        // two writes, another write, a fragment, a query: looked up first, as before
        assert!(!lone(
            "mutation { a: createOrder(input: {}) { id } b: createOrder(input: {}) { id } }",
            None
        ));
        assert!(!lone(
            "mutation { updateOrder(id: 1, input: {}) { id } }",
            None
        ));
        assert!(!lone(
            "mutation { ...F } fragment F on Mutation { createOrder(input: {}) { id } }",
            None
        ));
        assert!(!lone("{ createOrder { id } }", None));
        // the operation the request names decides
        let two = "query Q { orders { totalCount } } mutation M { createOrder(input: {}) { id } }";
        assert!(lone(two, Some("M")));
        assert!(!lone(two, Some("Q")));
        assert!(!lone(two, None));
    }
}
