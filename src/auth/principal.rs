//! Who is asking: the bearer token of a request resolved to a live, active user.
//!
//! `AuthState` never rejects by itself: a request without a token may still log in or read
//! anonymously; each domain function decides through `policy::Access` what the state allows.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use entity::user;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use crate::auth::token::{TokenError, TokenType};
use crate::error::{AppError, AuthError};
use crate::state::AppState;

/// An authenticated, active user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub id: i64,
    pub username: String,
    pub email: String,
    /// `is_staff` or `is_superuser`: may do everything under `OMS_AUTHZ=roles`.
    pub is_staff: bool,
}

/// What the `Authorization` header of a request amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthState {
    Anonymous,
    User(Principal),
    Invalid(AuthError),
}

impl AuthState {
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            AuthState::User(p) => Some(p),
            _ => None,
        }
    }
}

/// The bearer token of the headers, as SimpleJWT's `JWTAuthentication` reads it: a header of
/// another scheme is no credential at all; `Bearer` without exactly one token is malformed.
pub fn bearer(headers: &HeaderMap) -> Result<Option<String>, AuthError> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let Ok(text) = value.to_str() else {
        return Err(AuthError::InvalidAccessToken { expired: false });
    };
    let mut parts = text.split_whitespace();
    match parts.next() {
        Some("Bearer") => {}
        _ => return Ok(None),
    }
    match (parts.next(), parts.next()) {
        (Some(token), None) => Ok(Some(token.to_owned())),
        _ => Err(AuthError::BadAuthorizationHeader),
    }
}

/// Resolves an access token to its user: the signature, type and lifetime must check out and
/// the user must still exist and be active.
pub async fn authenticate_token(state: &AppState, token: &str) -> AuthState {
    let claims = match state.tokens.verify(token, TokenType::Access) {
        Ok(c) => c,
        Err(TokenError::Expired) => {
            return AuthState::Invalid(AuthError::InvalidAccessToken { expired: true });
        }
        Err(TokenError::Invalid) => {
            return AuthState::Invalid(AuthError::InvalidAccessToken { expired: false });
        }
    };
    let Some(user_id) = claims.user_id() else {
        return AuthState::Invalid(AuthError::InvalidAccessToken { expired: false });
    };
    match load_principal(&state.db, user_id).await {
        Ok(Some(p)) => {
            tracing::trace!(user_id, "authenticated by an access token");
            AuthState::User(p)
        }
        // SimpleJWT: "User not found" / "User is inactive"; both 401 with the invalid-token body
        Ok(None) => {
            tracing::debug!(user_id, "an access token of a missing or inactive user");
            AuthState::Invalid(AuthError::InvalidAccessToken { expired: false })
        }
        Err(AppError::Unavailable) => AuthState::Invalid(AuthError::Unavailable),
        Err(e) => {
            tracing::error!(error = ?e, "loading the token's user failed");
            AuthState::Invalid(AuthError::Unavailable)
        }
    }
}

/// The request's `AuthState` from its headers.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> AuthState {
    match bearer(headers) {
        Ok(None) => AuthState::Anonymous,
        Ok(Some(token)) => authenticate_token(state, &token).await,
        Err(e) => AuthState::Invalid(e),
    }
}

/// The active user of that id, without its password hash.
pub async fn load_principal(
    db: &DatabaseConnection,
    id: i64,
) -> Result<Option<Principal>, AppError> {
    let row: Option<(i64, String, String, bool, bool, bool)> = user::Entity::find()
        .select_only()
        .columns([
            user::Column::Id,
            user::Column::Username,
            user::Column::Email,
            user::Column::IsStaff,
            user::Column::IsSuperuser,
            user::Column::IsActive,
        ])
        .filter(user::Column::Id.eq(id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(
        row.and_then(|(id, username, email, is_staff, is_superuser, is_active)| {
            is_active.then_some(Principal {
                id,
                username,
                email,
                is_staff: is_staff || is_superuser,
            })
        }),
    )
}

impl FromRequestParts<AppState> for AuthState {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(authenticate(state, &parts.headers).await)
    }
}
