//! The HTTP answer to a GraphQL request (GraphQL over HTTP, CONTRACT §9): its status and media
//! type by what the client accepts, its body, and the refusals made before anything ran.
//!
//! A well-formed request answers 200 with `errors` under `application/json`; a client that
//! accepts `application/graphql-response+json` gets 400 for a request that could not run at all
//! (parse and validation errors). When the database is down and that is the only error, the
//! answer is 503 with `Retry-After`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use async_graphql::BatchResponse;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// Whether the client accepts `application/graphql-response+json`.
pub fn accepts_graphql_response_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains(GRAPHQL_RESPONSE_JSON))
}

fn content_type(headers: &HeaderMap) -> &'static str {
    if accepts_graphql_response_json(headers) {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    }
}

/// A response to a request that could not be executed at all (no data, no error path).
fn is_request_error(r: &async_graphql::Response) -> bool {
    r.data == async_graphql::Value::Null
        && !r.errors.is_empty()
        && r.errors.iter().all(|e| e.path.is_empty())
}

/// The answer to executed requests. `retryable`: no operation of the request was a mutation,
/// so a 503 may invite a retry.
pub fn executed(headers: &HeaderMap, response: BatchResponse, retryable: bool) -> Response {
    let modern = accepts_graphql_response_json(headers);
    let unavailable = retryable && is_unavailable(&response);
    let status = match &response {
        _ if unavailable => StatusCode::SERVICE_UNAVAILABLE,
        BatchResponse::Single(r) if modern && is_request_error(r) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let body = match serde_json::to_vec(&response) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "serialising a GraphQL response failed");
            return request_error(
                headers,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal server error.",
            );
        }
    };
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, content_type(headers))],
        body,
    )
        .into_response();
    let extra = response.http_headers();
    resp.headers_mut().extend(extra);
    if unavailable {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    resp
}

/// Whether the database being down is all that went wrong: every response of the request
/// failed, and only with `SERVICE_UNAVAILABLE`. Such an answer is a 503 with `Retry-After`,
/// like REST's, so that clients and load balancers retry it; any other outcome keeps the
/// GraphQL-over-HTTP status.
fn is_unavailable(response: &BatchResponse) -> bool {
    let unavailable = |r: &async_graphql::Response| {
        !r.errors.is_empty()
            && r.errors.iter().all(|e| {
                e.extensions
                    .as_ref()
                    .and_then(|x| x.get("code"))
                    .is_some_and(|c| *c == async_graphql::Value::from("SERVICE_UNAVAILABLE"))
            })
    };
    match response {
        BatchResponse::Single(r) => unavailable(r),
        BatchResponse::Batch(rs) => !rs.is_empty() && rs.iter().all(unavailable),
    }
}

/// A GraphQL-shaped error body for a request that never reached execution (`BAD_REQUEST`).
pub fn request_error(headers: &HeaderMap, status: StatusCode, message: &str) -> Response {
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": "BAD_REQUEST" } }] });
    (
        status,
        [(header::CONTENT_TYPE, content_type(headers))],
        body.to_string(),
    )
        .into_response()
}

/// A request (or batch) refused for its cost before anything ran.
pub struct CostRefusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// `extensions.cost`.
    pub cost: Value,
    pub retry_after: Option<u64>,
}

/// The answer to a request refused for its cost: the error under each request of a batch.
pub fn cost_refused(headers: &HeaderMap, single: bool, refusal: CostRefusal) -> Response {
    let one = json!({
        "errors": [{
            "message": refusal.message,
            "extensions": { "code": refusal.code, "cost": refusal.cost },
        }],
        "extensions": { "cost": refusal.cost },
    });
    let body = if single { one } else { json!([one]) };
    let mut response = (
        refusal.status,
        [(header::CONTENT_TYPE, content_type(headers))],
        body.to_string(),
    )
        .into_response();
    if let Some(secs) = refusal.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}
