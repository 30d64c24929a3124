//! Bodies that are too large or too slow, answered clearly: every 413 carries a JSON body that
//! names the limit (DRF's `{"detail": ...}` on REST, a GraphQL error on `/graphql`), whether the
//! body announced its length or came chunked; a body still arriving when `OMS_REQUEST_TIMEOUT`
//! runs out answers 408 (and the connection is closed) instead of the timeout's 503.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::json;

/// The limits the guard names in its answers.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    pub timeout: Duration,
}

/// Middleware around every route (outside the timeout and body-limit layers).
pub async fn guard(limits: BodyLimits, request: Request, next: Next) -> Response {
    let graphql = request.uri().path().starts_with("/graphql");
    let headers = request.headers();
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|n| n > 0);
    let (request, received) = if has_body {
        // notes when the body has been read to its end
        let received = Arc::new(AtomicBool::new(false));
        let flag = received.clone();
        let (parts, body) = request.into_parts();
        let end = futures_util::stream::once(async move {
            flag.store(true, Ordering::Relaxed);
            None::<Result<Bytes, axum::Error>>
        })
        .filter_map(|x| async move { x });
        let body = Body::from_stream(body.into_data_stream().chain(end));
        (Request::from_parts(parts, body), Some(received))
    } else {
        (request, None)
    };
    let response = next.run(request).await;
    match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(graphql, limits.max_bytes),
        // only the timeout layer answers 408 (see `app`)
        StatusCode::REQUEST_TIMEOUT
            if received
                .as_ref()
                .is_some_and(|r| !r.load(Ordering::Relaxed)) =>
        {
            too_slow(graphql, limits.timeout)
        }
        StatusCode::REQUEST_TIMEOUT => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        _ => response,
    }
}

fn too_large(graphql: bool, max: usize) -> Response {
    let message = format!("Request body too large: the limit is {max} bytes.");
    let body = if graphql {
        json!({ "errors": [{ "message": message, "extensions": { "code": "PAYLOAD_TOO_LARGE" } }] })
    } else {
        json!({ "detail": message })
    };
    closing(StatusCode::PAYLOAD_TOO_LARGE, body)
}

fn too_slow(graphql: bool, timeout: Duration) -> Response {
    let message = format!(
        "Request body not received within {}.",
        humantime::format_duration(timeout)
    );
    let body = if graphql {
        json!({ "errors": [{ "message": message, "extensions": { "code": "REQUEST_TIMEOUT" } }] })
    } else {
        json!({ "detail": message })
    };
    closing(StatusCode::REQUEST_TIMEOUT, body)
}

/// A JSON answer after which the connection is closed (the rest of the body is not read).
fn closing(status: StatusCode, body: serde_json::Value) -> Response {
    (status, [(header::CONNECTION, "close")], axum::Json(body)).into_response()
}
