//! Arguments that fields of several slices take alike.

use crate::error::{AppError, AppResult, Problem};
use crate::idempotency::IdempotencyKey;

/// The `idempotencyKey` argument of a create, or `BAD_USER_INPUT` on it.
pub fn idempotency_key(raw: Option<&str>) -> AppResult<Option<IdempotencyKey>> {
    raw.map(|raw| {
        IdempotencyKey::parse(raw)
            .map_err(|e| AppError::invalid("idempotency_key", Problem::Rule(e.to_string())))
    })
    .transpose()
}
