//! The REST side of idempotent retries: the `Idempotency-Key` request header of a `POST`, and
//! the answer to a replay (the first answer again, marked `Idempotent-Replayed: true`). The
//! rules are in `crate::idempotency`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::{AppError, AppResult};
use crate::idempotency::{IdempotencyKey, Outcome, Replay};

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

/// The 201 of a REST create: the body rendered inside its transaction (`Done`) or stored with
/// its key (`Replayed`), or, for a key first used through GraphQL (which stores no REST body),
/// `current` renders the resource as it is now.
pub async fn respond<T>(
    outcome: Outcome<T>,
    current: impl AsyncFnOnce(i64) -> AppResult<Value>,
) -> AppResult<Response> {
    match outcome {
        Outcome::Done {
            answer: Some(answer),
            ..
        } => Ok(created(answer, false)),
        Outcome::Replayed(Replay {
            answer: Some(answer),
            ..
        }) => Ok(created(answer, true)),
        Outcome::Replayed(Replay { resource_id, .. }) => {
            Ok(created(current(resource_id).await?, true))
        }
        Outcome::Done { answer: None, .. } => Err(AppError::internal(anyhow::anyhow!(
            "a REST create rendered no answer in its transaction"
        ))),
    }
}

/// The JSON of the one representation a create or a replay renders.
pub fn body_of<T: serde::Serialize>(shown: &[T], what: &str, id: i64) -> AppResult<Value> {
    let first = shown
        .first()
        .ok_or_else(|| crate::rest::repr::missing(what, id))?;
    serde_json::to_value(first).map_err(AppError::internal)
}
