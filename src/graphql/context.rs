//! What a resolver reads from the request: the application state, the caller's `Access`, the
//! connection the request's statements go to, and the per-request DataLoaders.

use async_graphql::Context;

use crate::auth::Access;
use crate::auth::pending::Asking;
use crate::auth::policy::Caller;
use crate::db::Reads;
use crate::graphql::loaders::Loaders;
use crate::state::AppState;

pub trait ContextExt {
    fn state(&self) -> &AppState;
    fn access(&self) -> &Access;
    /// The caller as a write or a read of orders takes it: still to be looked up when the
    /// request is that one write or read (see `graphql::caller`), so that it looks the caller
    /// up itself (in its transaction, in its statement).
    fn caller(&self) -> Caller<'_>;
    fn loaders(&self) -> &Loaders;
    /// Where every read of the request goes: the connection a query holds (see `Reads`), or
    /// the pool. Never `state().db` in a resolver that reads.
    fn db(&self) -> &Reads;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &AppState {
        self.data_unchecked::<AppState>()
    }

    fn access(&self) -> &Access {
        self.data_unchecked::<Asking>().access()
    }

    fn caller(&self) -> Caller<'_> {
        self.data_unchecked::<Asking>().caller()
    }

    fn loaders(&self) -> &Loaders {
        self.data_unchecked::<Loaders>()
    }

    fn db(&self) -> &Reads {
        self.loaders().db()
    }
}
