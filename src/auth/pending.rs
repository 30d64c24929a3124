//! The caller of a lone GraphQL write, looked up by that write (see `policy::Caller::Pending`
//! and `graphql::caller`).

use std::sync::OnceLock;

use sea_orm::ConnectionTrait;

use crate::auth::policy::Access;
use crate::auth::principal::{AuthState, UserLookup, load_user};
use crate::config::Settings;
use crate::error::{AppError, AuthError};

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

    /// The token's user id.
    pub(crate) fn user_id(&self) -> i64 {
        self.user_id
    }

    /// The id of the user still to be looked up, `None` once the lookup ran.
    pub(crate) fn lookup_due(&self) -> Option<i64> {
        self.resolved.get().is_none().then_some(self.user_id)
    }

    pub(crate) async fn resolve<C: ConnectionTrait>(&self, db: &C) -> Access {
        if let Some(access) = self.resolved.get() {
            return access.clone();
        }
        self.settle(load_user(db, self.user_id).await)
    }

    /// Keeps what the user's lookup (made by the write, within one of its statements) found.
    pub(crate) fn settle(&self, lookup: Result<UserLookup, AppError>) -> Access {
        let access = Access {
            auth: AuthState::of_lookup(self.user_id, lookup),
            ..self.unresolved.clone()
        };
        self.resolved.get_or_init(|| access).clone()
    }
}
