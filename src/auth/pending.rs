//! The caller of a request whose one write or read looks its user up (see
//! `policy::Caller::Pending`, `graphql::caller` and `auth::riding`), and [`Asking`]: who asks
//! a request, as both faces (GraphQL, REST) hold it while the request runs.

use std::sync::{Arc, OnceLock};

use sea_orm::ConnectionTrait;

use crate::auth::policy::{Access, Caller, ReadScope};
use crate::auth::principal::{AuthState, Credentials, UserLookup, load_user};
use crate::config::Settings;
use crate::error::{AppError, AuthError};
use crate::memo::Memo;
use crate::state::AppState;

/// Who asks a request: a token's user left to the request's one write or read to look up (in
/// its transaction, in its statement: `auth::riding`), or a caller known already (looked up, or
/// known without the database: anonymous, a refused token).
#[derive(Debug, Clone)]
pub enum Asking {
    Pending(Arc<PendingCaller>),
    Known(Access),
}

impl Asking {
    /// Who `credentials` name. With `defer`, a token's user is left pending; otherwise it is
    /// looked up on `db` now. Credentials that name no user never ask the database.
    pub async fn of<C: ConnectionTrait>(
        state: &AppState,
        credentials: Credentials,
        defer: bool,
        db: &C,
    ) -> Asking {
        match credentials {
            Credentials::User(id) if defer => Asking::Pending(Arc::new(PendingCaller::new(
                id,
                &state.settings,
                &state.scopes,
            ))),
            other => Asking::Known(Access::new(other.resolve(db).await, &state.settings)),
        }
    }

    /// The caller as a write or a read takes it (a pending one looks its user up itself).
    pub fn caller(&self) -> Caller<'_> {
        match self {
            Asking::Pending(pending) => Caller::Pending(pending),
            Asking::Known(access) => Caller::Resolved(access),
        }
    }

    /// The caller's access as far as it is known: a pending user's is `Unavailable` until the
    /// lookup ran.
    pub fn access(&self) -> &Access {
        match self {
            Asking::Pending(pending) => pending.access(),
            Asking::Known(access) => access,
        }
    }

    /// The caller's access, its user looked up on `db` unless a read or write did already.
    pub async fn resolve<C: ConnectionTrait>(&self, db: &C) -> Access {
        self.caller().resolve(db).await
    }

    /// Whether the database could not be asked who the caller is (or was not asked yet):
    /// nothing can have run or been written, so a retry is safe.
    pub fn unidentified(&self) -> bool {
        matches!(
            self.access().auth,
            AuthState::Invalid(AuthError::Unavailable)
        )
    }
}

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
