//! Per-request DataLoaders, one per relation, so that no cache crosses requests or users.

use crate::state::AppState;

/// The DataLoaders of one request.
pub struct Loaders {
    pub state: AppState,
}

impl Loaders {
    pub fn new(state: &AppState) -> Self {
        Loaders {
            state: state.clone(),
        }
    }
}
