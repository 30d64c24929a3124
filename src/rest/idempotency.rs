//! The REST side of idempotent retries: the `Idempotency-Key` request header of a `POST`, and
//! the answer to a replay (the first answer again, marked `Idempotent-Replayed: true`). The
//! rules are in `crate::idempotency`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::AppError;
use crate::idempotency::IdempotencyKey;

pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The request's `Idempotency-Key`, if it sent one; a bad one (or several) is a 400.
pub struct IdempotencyHeader(pub Option<IdempotencyKey>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyHeader {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut values = parts.headers.get_all(&HEADER).iter();
        let Some(value) = values.next() else {
            return Ok(IdempotencyHeader(None));
        };
        if values.next().is_some() {
            return Err(AppError::BadRequest(
                "Send one Idempotency-Key header, not several.".into(),
            ));
        }
        value
            .to_str()
            .ok()
            .and_then(|text| IdempotencyKey::parse(text).ok())
            .map(|key| IdempotencyHeader(Some(key)))
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "Idempotency-Key {}.",
                    crate::idempotency::InvalidKey
                ))
            })
    }
}

/// A create's 201; `replayed` when it repeats the answer of an earlier request with the key.
pub fn created(body: Value, replayed: bool) -> Response {
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    if replayed {
        response
            .headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
    }
    response
}
