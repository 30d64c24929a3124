//! The error catalogue: every error the gateway answers with, in one enum.
//!
//! Each variant knows its GraphQL `extensions.code` (see `graphql::errors`) and its
//! DRF-shaped HTTP answer (see `rest::errors`). Causes of internal errors are logged, never
//! shown. Field errors are collected all at once, keyed by a path of snake_case field names
//! and list positions (`items.1.product_id`); each face renders that path its own way.
//!
//! Here: the enum; `fields` holds field errors and their problems, `db` reads database errors.

mod db;
mod fields;

pub(crate) use db::connection_lost;
pub use db::{is_connection_error, short_db_error, unique_violation_field};
pub use fields::{FieldErrors, FieldPath, PathSeg, Problem};

pub type AppResult<T> = Result<T, AppError>;

/// Why a request carries no usable identity (each answers 401). SimpleJWT's wording of each
/// lives in `auth::answers`, for both APIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header at all.
    NotProvided,
    /// An access token that does not verify, and why.
    InvalidAccessToken(crate::auth::token::TokenError),
    /// Login with wrong credentials, or an inactive user.
    BadCredentials,
    /// A refresh token that does not verify or was already used, and why.
    InvalidRefreshToken(crate::auth::token::TokenError),
    /// A valid token without a `user_id` claim.
    NoUserIdentification,
    /// An access token whose user no longer exists.
    UserNotFound,
    /// An access token whose user is inactive.
    UserInactive,
    /// A refresh token whose user is gone or inactive.
    NoActiveAccountForToken,
    /// `Authorization: Bearer` without exactly one token.
    BadAuthorizationHeader,
    /// The user behind a token could not be checked because the database is down (503).
    Unavailable,
}

/// Deliberately not `Display`: that keeps `?` from turning it into a code-less GraphQL error
/// through async-graphql's blanket conversion; `graphql::errors` converts it properly.
#[derive(Debug, Clone)]
pub enum AppError {
    Unauthenticated(AuthError),
    Forbidden(String),
    /// The named model (`Order`, `Payment`, ...) has no row the caller may see with that id.
    NotFound(&'static str),
    Validation(FieldErrors),
    /// A rule of the model refuses the change (insufficient stock, illegal status change).
    Conflict {
        field: Option<FieldPath>,
        message: String,
    },
    /// An idempotency key already used by this user for a request with another body.
    IdempotencyKeyReused,
    /// A malformed request (body not parseable, bad query string) with DRF's `detail` text.
    BadRequest(String),
    MethodNotAllowed {
        method: String,
        allow: &'static str,
    },
    UnsupportedMediaType(String),
    PayloadTooLarge,
    RateLimited {
        retry_after_secs: u64,
    },
    /// The database cannot be reached; the request may be retried.
    Unavailable,
    Internal(std::sync::Arc<anyhow::Error>),
}

impl AppError {
    pub fn conflict_on(field: FieldPath, message: impl Into<String>) -> Self {
        AppError::Conflict {
            field: Some(field),
            message: message.into(),
        }
    }

    pub fn forbidden() -> Self {
        AppError::Forbidden("You do not have permission to perform this action.".to_owned())
    }

    pub fn invalid(field: &str, problem: Problem) -> Self {
        AppError::Validation(FieldErrors::single(field, problem))
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(std::sync::Arc::new(e.into()))
    }

    /// Whether this is the server's fault (logged with its cause) rather than the client's.
    pub fn is_server_error(&self) -> bool {
        matches!(self, AppError::Internal(_) | AppError::Unavailable)
    }
}
