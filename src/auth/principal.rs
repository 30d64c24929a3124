//! Who is asking: the bearer token of a request resolved to a live, active user.
//!
//! `AuthState` never rejects by itself: a request without a token may still log in or read
//! anonymously; each domain function decides through `policy::Access` what the state allows.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use entity::positional::Cell;
use entity::user;
use std::sync::LazyLock;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};

use crate::auth::service::{SUMMARY_COLUMNS, UserSummary};
use crate::auth::token::TokenType;
use crate::db::shapes::Shapes;
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
        return Err(AuthError::InvalidAccessToken(
            crate::auth::token::TokenError::Invalid,
        ));
    };
    // `to_str` let through only visible ASCII, spaces and tabs: ASCII whitespace is all the
    // whitespace Python's `split()` could find here, and splitting by bytes is cheaper
    let mut parts = text.split_ascii_whitespace();
    match parts.next() {
        Some("Bearer") => {}
        _ => return Ok(None),
    }
    match (parts.next(), parts.next()) {
        (Some(token), None) => Ok(Some(token.to_owned())),
        _ => Err(AuthError::BadAuthorizationHeader),
    }
}

/// What a request's `Authorization` header amounts to before the database is asked: no token,
/// the user id of a token whose signature, type and lifetime check out, or a refusal. Split
/// from [`AuthState`] so that a request can look its user up on the connection it holds for
/// its other reads (see `db::Reads`) instead of taking one more from the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    Anonymous,
    User(i64),
    Invalid(AuthError),
}

impl Credentials {
    /// The credentials of the request's headers.
    pub fn of(state: &AppState, headers: &HeaderMap) -> Credentials {
        match bearer(headers) {
            Ok(None) => Credentials::Anonymous,
            Ok(Some(token)) => Credentials::of_token(state, &token),
            Err(e) => Credentials::Invalid(e),
        }
    }

    /// The credentials of an access token.
    pub fn of_token(state: &AppState, token: &str) -> Credentials {
        let claims = match state.tokens.verify(token, TokenType::Access) {
            Ok(c) => c,
            Err(e) => return Credentials::Invalid(AuthError::InvalidAccessToken(e)),
        };
        if !claims.has_user_id() {
            return Credentials::Invalid(AuthError::NoUserIdentification);
        }
        match claims.user_id() {
            Some(id) => Credentials::User(id),
            // SimpleJWT answers 500 for a user id that is not a number; no such user exists
            None => Credentials::Invalid(AuthError::UserNotFound),
        }
    }

    /// Looks the token's user up on `db`: it must still exist (SimpleJWT: "User not found")
    /// and be active ("User is inactive").
    pub async fn resolve<C: ConnectionTrait>(self, db: &C) -> AuthState {
        let user_id = match self {
            Credentials::Anonymous => return AuthState::Anonymous,
            Credentials::Invalid(e) => return AuthState::Invalid(e),
            Credentials::User(id) => id,
        };
        AuthState::of_lookup(user_id, load_user(db, user_id).await)
    }
}

impl AuthState {
    /// What a token's user, looked up, amounts to: active, or refused as SimpleJWT words it.
    pub fn of_lookup(user_id: i64, lookup: Result<UserLookup, AppError>) -> AuthState {
        match lookup {
            Ok(UserLookup::Active(p)) => {
                tracing::trace!(user_id, "authenticated by an access token");
                AuthState::User(p)
            }
            Ok(UserLookup::Inactive) => {
                tracing::debug!(user_id, "an access token of an inactive user");
                AuthState::Invalid(AuthError::UserInactive)
            }
            Ok(UserLookup::Missing) => {
                tracing::debug!(user_id, "an access token of a missing user");
                AuthState::Invalid(AuthError::UserNotFound)
            }
            Err(AppError::Unavailable) => AuthState::Invalid(AuthError::Unavailable),
            Err(e) => {
                tracing::error!(error = ?e, "loading the token's user failed");
                AuthState::Invalid(AuthError::Unavailable)
            }
        }
    }
}

/// Resolves an access token to its user: the signature, type and lifetime must check out and
/// the user must still exist and be active.
pub async fn authenticate_token(state: &AppState, token: &str) -> AuthState {
    Credentials::of_token(state, token).resolve(&state.db).await
}

/// The request's `AuthState` from its headers.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> AuthState {
    Credentials::of(state, headers).resolve(&state.db).await
}

/// What the database holds for a token's user id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserLookup {
    Active(Principal),
    Inactive,
    Missing,
}

/// The user of that id, without its password hash, and whether it may act.
pub async fn load_user<C: ConnectionTrait>(db: &C, id: i64) -> Result<UserLookup, AppError> {
    // every authenticated request runs this: its SQL is built once (`db::shapes`)
    static LOOKUP: LazyLock<Shapes<()>> = LazyLock::new(Shapes::default);
    let backend = db.get_database_backend();
    let lookup = |ids: &[&[i64]]| {
        let select = user::Entity::find()
            .select_only()
            .columns(UserLookup::COLUMNS)
            .filter(user::Column::Id.eq(ids[0][0]));
        Some(select.build(backend))
    };
    let statement = LOOKUP
        .statement(backend, (), &[&[id]], lookup)
        .expect("the lookup always makes a statement");
    match db.query_one_raw(statement).await? {
        Some(row) => UserLookup::from_columns(&row, 0),
        None => Ok(UserLookup::Missing),
    }
}

// `from_columns` reads `is_active` right after the summary
const _: () = assert!(UserLookup::COLUMNS.len() == SUMMARY_COLUMNS.len() + 1);

impl UserLookup {
    /// The columns a lookup selects: `SUMMARY_COLUMNS`, then `is_active`.
    pub const COLUMNS: [user::Column; 6] = [
        SUMMARY_COLUMNS[0],
        SUMMARY_COLUMNS[1],
        SUMMARY_COLUMNS[2],
        SUMMARY_COLUMNS[3],
        SUMMARY_COLUMNS[4],
        user::Column::IsActive,
    ];

    /// From the `COLUMNS` of a row, starting at column `at`; all NULL (an outer join that
    /// found no user) is `Missing`.
    pub fn from_columns(row: &sea_orm::QueryResult, at: usize) -> Result<UserLookup, AppError> {
        if Option::<i64>::cell(row, at)?.is_none() {
            return Ok(UserLookup::Missing);
        }
        // the summary (staff = is_staff or is_superuser, as everywhere), then is_active
        let user = UserSummary::from_columns(row, at)?;
        let active = bool::cell(row, at + SUMMARY_COLUMNS.len())?;
        Ok(UserLookup::of(user, active))
    }

    /// What a user's row says: the user may act only while active.
    pub fn of(user: UserSummary, active: bool) -> UserLookup {
        if active {
            UserLookup::Active(Principal {
                id: user.id,
                username: user.username,
                email: user.email,
                is_staff: user.is_staff,
            })
        } else {
            UserLookup::Inactive
        }
    }
}

/// The active user of that id, without its password hash.
pub async fn load_principal<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<Principal>, AppError> {
    Ok(match load_user(db, id).await? {
        UserLookup::Active(p) => Some(p),
        UserLookup::Inactive | UserLookup::Missing => None,
    })
}

impl FromRequestParts<AppState> for Credentials {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Credentials::of(state, &parts.headers))
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::IdenStatic;

    #[test]
    fn a_lookup_selects_the_summary_then_is_active() {
        let names = |cols: &[user::Column]| cols.iter().map(|c| c.as_str()).collect::<Vec<_>>();
        let (summary, rest) = UserLookup::COLUMNS.split_at(SUMMARY_COLUMNS.len());
        assert_eq!(names(summary), names(&SUMMARY_COLUMNS));
        assert_eq!(names(rest), ["is_active"]);
    }
}
