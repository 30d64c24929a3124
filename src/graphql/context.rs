//! What a resolver reads from the request: the application state, the caller's `Access`, and
//! the per-request DataLoaders.

use async_graphql::Context;

use crate::auth::Access;
use crate::graphql::loaders::Loaders;
use crate::state::AppState;

pub trait ContextExt {
    fn state(&self) -> &AppState;
    fn access(&self) -> &Access;
    fn loaders(&self) -> &Loaders;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &AppState {
        self.data_unchecked::<AppState>()
    }

    fn access(&self) -> &Access {
        self.data_unchecked::<Access>()
    }

    fn loaders(&self) -> &Loaders {
        self.data_unchecked::<Loaders>()
    }
}
