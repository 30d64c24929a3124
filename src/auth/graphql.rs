//! The GraphQL face of authentication: `me`, `login` and `refreshToken` (the `User` type is
//! `graphql::nodes::UserObject`, re-exported here).

use async_graphql::{Context, Object, SimpleObject};

use crate::auth::service;
use crate::error::AppResult;
use crate::graphql::context::ContextExt;
pub use crate::graphql::nodes::UserObject;

#[derive(Debug, Clone, SimpleObject)]
#[graphql(serial)]
pub struct TokenPair {
    pub access: String,
    pub refresh: String,
}

impl From<service::TokenPair> for TokenPair {
    fn from(p: service::TokenPair) -> Self {
        TokenPair {
            access: p.access,
            refresh: p.refresh,
        }
    }
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The caller, or null without a token.
    async fn me(&self, ctx: &Context<'_>) -> AppResult<Option<UserObject>> {
        match &ctx.access().auth {
            crate::auth::AuthState::User(p) => Ok(Some(p.into())),
            crate::auth::AuthState::Anonymous => Ok(None),
            crate::auth::AuthState::Invalid(_) => ctx.access().user().map(|p| Some(p.into())),
        }
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Exchanges credentials for a token pair (as `POST /api/accounts/token/`).
    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> AppResult<TokenPair> {
        service::login(ctx.state(), &username, &password)
            .await
            .map(Into::into)
    }

    /// Rotates a refresh token (as `POST /api/accounts/token/refresh/`); the old one is blacklisted.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh: String) -> AppResult<TokenPair> {
        service::refresh(ctx.state(), &refresh)
            .await
            .map(Into::into)
    }
}
