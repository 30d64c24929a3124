//! `extensions.code` for the errors async-graphql raises itself, which carry none, in the codes
//! Apollo Server uses (and Apollo-based clients expect):
//!
//! - a document that does not parse: `GRAPHQL_PARSE_FAILED` (given where the gateway parses it,
//!   `apq::PersistedQueries::parse` and the WebSocket's `prepare_request`);
//! - a document that does not validate (unknown field, wrong argument, the depth, complexity,
//!   alias and field limits...): `GRAPHQL_VALIDATION_FAILED`;
//! - a value of the wrong type, given in the document or as a variable (a boolean for a
//!   `Decimal`, an `Int` outside 32 bits, a date that does not parse), refused while validating
//!   or while executing: `BAD_USER_INPUT`;
//! - an `operationName` that names no operation of the document, or none for a document of
//!   several: `OPERATION_RESOLUTION_FAILURE`; a subscription sent over HTTP: `BAD_REQUEST`.
//!
//! async-graphql gives these errors no kind, only a message; the messages matched here are those
//! of the pinned version (7.2), and the tests of `tests/api/graphql_http.rs` check each code.

use async_graphql::{ErrorExtensionValues, Response, ServerError, Value};

/// The codes this module gives (Apollo Server's names).
pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
pub const OPERATION_RESOLUTION_FAILURE: &str = "OPERATION_RESOLUTION_FAILURE";
pub const BAD_REQUEST: &str = "BAD_REQUEST";
pub const INTERNAL_SERVER_ERROR: &str = "INTERNAL_SERVER_ERROR";

/// Gives every error of the response without a code its code.
pub fn classify(response: &mut Response) {
    for e in &mut response.errors {
        if code(e).is_none() {
            let c = code_for(e);
            set_code(e, c);
        }
    }
}

/// The error's `extensions.code`, if it has one.
pub fn code(e: &ServerError) -> Option<&Value> {
    e.extensions.as_ref().and_then(|x| x.get("code"))
}

/// Sets the error's `extensions.code`.
pub fn set_code(e: &mut ServerError, code: &str) {
    e.extensions
        .get_or_insert_with(ErrorExtensionValues::default)
        .set("code", code);
}

/// An error with a message and a code.
pub fn coded(message: impl Into<String>, code: &str) -> ServerError {
    let mut e = ServerError::new(message, None);
    set_code(&mut e, code);
    e
}

fn code_for(e: &ServerError) -> &'static str {
    let m = e.message.as_str();
    if !e.path.is_empty() {
        // during execution: an argument the resolver could not parse (a `Decimal` that is not
        // a number, a malformed `DateTime`, a null that validation let through for a non-null
        // argument); resolvers' own errors always carry their code
        return if m.starts_with("Failed to parse") || m.starts_with("Expected input type") {
            BAD_USER_INPUT
        } else {
            INTERNAL_SERVER_ERROR
        };
    }
    // "Failed to parse": an argument of a field's complexity, read while validating
    if m.starts_with("Invalid value for argument") || m.starts_with("Failed to parse") {
        BAD_USER_INPUT
    } else if m.starts_with("Unknown operation named") || m == "Operation name required in request."
    {
        OPERATION_RESOLUTION_FAILURE
    } else if m.starts_with("Subscriptions are not supported") {
        BAD_REQUEST
    } else {
        VALIDATION_FAILED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_kind_of_error() {
        let mut r = Response::from_errors(vec![
            ServerError::new("Unknown field \"x\" on type \"Query\".", None),
            ServerError::new("Query is too complex.", None),
            ServerError::new(
                "Invalid value for argument \"id\", expected type \"Int\"",
                None,
            ),
            ServerError::new("Unknown operation named \"B\"", None),
            coded("Throttled", "THROTTLED"),
        ]);
        let mut parse = ServerError::new("Failed to parse \"Decimal\": nope", None);
        parse.path = vec![async_graphql::PathSegment::Field("orders".into())];
        r.errors.push(parse);
        classify(&mut r);
        let codes: Vec<String> = r
            .errors
            .iter()
            .map(|e| code(e).unwrap().to_string())
            .collect();
        assert_eq!(
            codes,
            [
                "\"GRAPHQL_VALIDATION_FAILED\"",
                "\"GRAPHQL_VALIDATION_FAILED\"",
                "\"BAD_USER_INPUT\"",
                "\"OPERATION_RESOLUTION_FAILURE\"",
                "\"THROTTLED\"",
                "\"BAD_USER_INPUT\"",
            ]
        );
    }
}
