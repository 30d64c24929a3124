//! `AppError` as Django REST Framework answers it: `{"detail": ...}` for 401/403/404/405/415
//! and parse errors, field maps (nested for list items) for validation, `non_field_errors` for
//! the rest; 401 always carries `WWW-Authenticate: Bearer realm="api"`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::error::{AppError, AuthError, FieldErrors, PathSeg};

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            AppError::Unauthenticated(reason) => (StatusCode::UNAUTHORIZED, auth_body(reason)),
            AppError::Forbidden(detail) => (StatusCode::FORBIDDEN, json!({ "detail": detail })),
            AppError::NotFound(model) => (
                StatusCode::NOT_FOUND,
                json!({ "detail": format!("No {model} matches the given query.") }),
            ),
            AppError::Validation(errors) => (StatusCode::BAD_REQUEST, field_map(errors)),
            AppError::Conflict { field, message } => {
                let body = match field {
                    Some(path) => {
                        let mut errors = FieldErrors::new();
                        errors.add(path.clone(), crate::error::Problem::Rule(message.clone()));
                        field_map(&errors)
                    }
                    None => json!({ "non_field_errors": [message] }),
                };
                (StatusCode::BAD_REQUEST, body)
            }
            AppError::IdempotencyKeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "detail": "This Idempotency-Key was already used for a different request." }),
            ),
            AppError::BadRequest(detail) => (StatusCode::BAD_REQUEST, json!({ "detail": detail })),
            AppError::MethodNotAllowed { method, .. } => (
                StatusCode::METHOD_NOT_ALLOWED,
                json!({ "detail": format!("Method \"{method}\" not allowed.") }),
            ),
            AppError::UnsupportedMediaType(media) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                json!({ "detail": format!("Unsupported media type \"{media}\" in request.") }),
            ),
            AppError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({ "detail": "Request body is too large." }),
            ),
            AppError::RateLimited { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                json!({ "detail": format!("Request was throttled. Expected available in {retry_after_secs} seconds.") }),
            ),
            AppError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "detail": "The database is unavailable; try again shortly." }),
            ),
            AppError::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({ "detail": "A server error occurred." }),
                )
            }
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            AppError::Unauthenticated(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"api\""),
                );
            }
            AppError::MethodNotAllowed { allow, .. } => {
                headers.insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            AppError::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            AppError::Unavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response
    }
}

/// SimpleJWT's bodies for each kind of authentication failure (worded in `auth::answers`).
fn auth_body(reason: &AuthError) -> Value {
    reason.drf_body()
}

/// The nested DRF error map: `{"field": [...], "items": [{}, {"quantity": [...]}]}`.
pub fn field_map(errors: &FieldErrors) -> Value {
    let mut root = Value::Object(Map::new());
    for (path, problems) in &errors.fields {
        let messages = Value::Array(problems.iter().map(|p| Value::String(p.drf())).collect());
        insert(&mut root, &path.0, messages, errors, String::new());
    }
    root
}

fn insert(node: &mut Value, path: &[PathSeg], leaf: Value, errors: &FieldErrors, prefix: String) {
    let Some((first, rest)) = path.split_first() else {
        // errors on the list itself when its items also have errors: keep the item errors
        if !node.is_array() {
            *node = leaf;
        }
        return;
    };
    match first {
        PathSeg::Field(name) => {
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            let map = node.as_object_mut().expect("object");
            let child = map.entry(name.clone()).or_insert(Value::Null);
            let prefix = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            insert(child, rest, leaf, errors, prefix);
        }
        PathSeg::Index(i) => {
            let len = errors
                .list_lengths
                .get(&prefix)
                .copied()
                .unwrap_or(0)
                .max(i + 1);
            if !node.is_array() {
                *node = Value::Array(Vec::new());
            }
            let list = node.as_array_mut().expect("array");
            while list.len() < len {
                list.push(Value::Object(Map::new()));
            }
            insert(&mut list[*i], rest, leaf, errors, format!("{prefix}.{i}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{FieldPath, Problem};

    #[test]
    fn nests_item_errors_by_position() {
        let mut e = FieldErrors::new();
        e.set_list_len("items", 3);
        e.add(
            FieldPath::item("items", 1, "price"),
            Problem::MaxDecimalPlaces(2),
        );
        e.add_field("customer_id", Problem::DoesNotExist("999".into()));
        assert_eq!(
            field_map(&e),
            json!({
                "customer_id": ["Invalid pk \"999\" - object does not exist."],
                "items": [{}, {"price": ["Ensure that there are no more than 2 decimal places."]}, {}],
            })
        );
    }
}
