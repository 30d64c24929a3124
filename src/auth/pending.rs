//! The caller of a request whose one write or read looks its user up (see
//! `policy::Caller::Pending`, `graphql::caller` and `auth::riding`).

use std::sync::{Arc, OnceLock};

use sea_orm::ConnectionTrait;

use crate::auth::policy::{Access, ReadScope};
use crate::auth::principal::{AuthState, UserLookup, load_user};
use crate::config::Settings;
use crate::error::{AppError, AuthError};
use crate::memo::Memo;

/// The caller of a request made of one write (`createOrder`, `createPayment`) or one read of
/// orders: the token checked out, its user not looked up yet. The write looks the user up in
/// its own transaction (one pool connection instead of two), the read in its own statement
/// (`auth::riding`), and leaves the `Access` here.
#[derive(Debug)]
pub struct PendingCaller {
    user_id: i64,
    /// What the request may do until the lookup ran: nothing (the database was not asked).
    unresolved: Access,
    resolved: OnceLock<Access>,
    scopes: Arc<LastScopes>,
    /// What `scopes` held for the user when the request began (read once: the request's read
    /// assumes it, and its lookup is remembered only when it gives something else).
    last: Option<ReadScope>,
}

/// Users remembered, the least recently used forgotten first.
const REMEMBERED: usize = 4096;

/// The read scope each user's last lookup gave, by user id: what a read that looks its caller
/// up in its own statement assumes (`auth::riding`). Only an assumption: the read's own lookup
/// decides, and a read made under another scope than it gives is made again.
pub struct LastScopes {
    memo: Memo<i64, Option<ReadScope>>,
}

impl std::fmt::Debug for LastScopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LastScopes")
            .field("remembered", &self.memo.len())
            .finish()
    }
}

impl Default for LastScopes {
    fn default() -> Self {
        LastScopes {
            memo: Memo::new(REMEMBERED),
        }
    }
}

impl LastScopes {
    /// The scope `user_id`'s last lookup gave, if it gave one and is remembered.
    pub fn of(&self, user_id: i64) -> Option<ReadScope> {
        self.memo.get(&user_id).flatten()
    }

    /// Remembers the scope a lookup of `user_id` gave (`None`: none, a refusal).
    fn remember(&self, user_id: i64, scope: Option<ReadScope>) {
        self.memo.put(user_id, scope);
    }
}

impl PendingCaller {
    pub fn new(user_id: i64, settings: &Settings, scopes: &Arc<LastScopes>) -> Self {
        PendingCaller {
            user_id,
            unresolved: Access::new(AuthState::Invalid(AuthError::Unavailable), settings),
            resolved: OnceLock::new(),
            scopes: Arc::clone(scopes),
            last: scopes.of(user_id),
        }
    }

    /// The scope a read that looks this caller up in its own statement assumes: the one the
    /// user's last lookup gave. `None` once the lookup ran, or when nothing is remembered (the
    /// user is then looked up first).
    pub(crate) fn assumed_scope(&self) -> Option<ReadScope> {
        self.lookup_due()?;
        self.last
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

    /// Keeps what the user's lookup (made by the write or the read, within one of its
    /// statements, or by `resolve`) found, and remembers the scope it gives.
    pub(crate) fn settle(&self, lookup: Result<UserLookup, AppError>) -> Access {
        let access = Access {
            auth: AuthState::of_lookup(self.user_id, lookup),
            ..self.unresolved.clone()
        };
        // a lookup the database could not make says nothing of the user; one that gave what is
        // remembered leaves the memo as it is (reading it made the user the most recent)
        let unavailable = matches!(access.auth, AuthState::Invalid(AuthError::Unavailable));
        let scope = access.read_scope().ok();
        if !unavailable && scope != self.last {
            self.scopes.remember(self.user_id, scope);
        }
        self.resolved.get_or_init(|| access).clone()
    }
}
