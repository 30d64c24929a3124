//! The caller of a lone GraphQL write, looked up by that write (see `policy::Caller::Pending`
//! and `graphql::caller`).

use std::sync::OnceLock;

use sea_orm::ConnectionTrait;

use crate::auth::policy::Access;
use crate::auth::principal::{AuthState, Credentials};
use crate::config::Settings;
use crate::error::AuthError;

/// The caller of a GraphQL request made of one write (`createOrder`, `createPayment`): the
/// token checked out, its user not looked up yet. The write looks the user up in its own
/// transaction (one pool connection instead of two) and leaves the `Access` here.
#[derive(Debug)]
pub struct PendingCaller {
    user_id: i64,
    /// What the request may do until the lookup ran: nothing (the database was not asked).
    unresolved: Access,
    resolved: OnceLock<Access>,
}

impl PendingCaller {
    pub fn new(user_id: i64, settings: &Settings) -> Self {
        PendingCaller {
            user_id,
            unresolved: Access::new(AuthState::Invalid(AuthError::Unavailable), settings),
            resolved: OnceLock::new(),
        }
    }

    /// The caller as looked up, or `Unavailable` before the lookup.
    pub fn access(&self) -> &Access {
        self.resolved.get().unwrap_or(&self.unresolved)
    }

    /// Whether the lookup failed or never ran: the write cannot have written anything.
    pub fn unidentified(&self) -> bool {
        matches!(
            self.access().auth,
            AuthState::Invalid(AuthError::Unavailable)
        )
    }

    pub(crate) async fn resolve<C: ConnectionTrait>(&self, db: &C) -> Access {
        if let Some(access) = self.resolved.get() {
            return access.clone();
        }
        let access = Access {
            auth: Credentials::User(self.user_id).resolve(db).await,
            ..self.unresolved.clone()
        };
        self.resolved.get_or_init(|| access).clone()
    }
}
