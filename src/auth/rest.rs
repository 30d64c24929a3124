//! `POST /api/accounts/token/` and `POST /api/accounts/token/refresh/`, answering exactly as
//! SimpleJWT's views do (bodies, status codes, messages).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;

use crate::auth::service;
use crate::error::{AppError, FieldErrors, Problem};
use crate::rest::body::DrfBody;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts/token/", post(obtain))
        .route("/api/accounts/token", post(obtain))
        .route("/api/accounts/token/refresh/", post(refresh))
        .route("/api/accounts/token/refresh", post(refresh))
}

async fn obtain(
    State(state): State<AppState>,
    DrfBody(body): DrfBody,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    let username = required_text(&body, "username", &mut errors);
    let password = required_text(&body, "password", &mut errors);
    errors.into_result()?;
    let pair = service::login(
        &state,
        &username.unwrap_or_default(),
        &password.unwrap_or_default(),
    )
    .await?;
    Ok(Json(serde_json::json!({ "refresh": pair.refresh, "access": pair.access })).into_response())
}

async fn refresh(
    State(state): State<AppState>,
    DrfBody(body): DrfBody,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    let token = required_text(&body, "refresh", &mut errors);
    errors.into_result()?;
    let pair = service::refresh(&state, &token.unwrap_or_default()).await?;
    Ok(Json(serde_json::json!({ "access": pair.access, "refresh": pair.refresh })).into_response())
}

/// A required, non-blank string field as DRF's `CharField` reads it (numbers are taken as text).
fn required_text(body: &Value, field: &str, errors: &mut FieldErrors) -> Option<String> {
    match body.get(field) {
        None => {
            errors.add_field(field, Problem::Required);
            None
        }
        Some(Value::Null) => {
            errors.add_field(field, Problem::Null);
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            errors.add_field(field, Problem::Blank);
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            errors.add_field(field, Problem::InvalidString);
            None
        }
    }
}
