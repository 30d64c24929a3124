//! Reads that look their caller up in their own statement.
//!
//! Every request of a token's user looks the user up, so that one deactivated or deleted is
//! refused at once (SimpleJWT does the same). As a statement of its own that lookup was one of
//! the two statements of a GraphQL or REST read of orders. A read of a `PendingCaller` instead
//! carries the lookup as one more branch of its statement (`orders::relations`), made under the
//! scope the user's last lookup gave (`LastScopes`). The scope is then decided as always, by
//! `Access::read_scope` on the row that statement read; a read made under another scope than
//! that one is thrown away and made again under the right one. So no rule is written twice:
//! the SQL is the scope's (`orders::service::scope_filter`), the decision `policy`'s.

use std::future::Future;

use sea_orm::ConnectionTrait;

use crate::auth::policy::{Access, Caller, ReadScope};
use crate::auth::principal::UserLookup;
use crate::error::{AppError, AppResult};

/// What a read found, with the lookup of the user it was asked to look up (`None` when it was
/// asked for none); `UserLookup::Missing` when the user has no row.
pub type Along<T> = (T, Option<UserLookup>);

/// Reads what `read` reads under the caller's scope. `read(scope, lookup)` reads under `scope`
/// and, given a user id in `lookup`, looks that user up in the same statement.
///
/// - A caller already known: `read` under its scope. One whose scope nothing suggests: looked
///   up first (by its own statement), then the same.
/// - A `PendingCaller` whose last scope is remembered: `read` under that scope with the lookup
///   along; then the lookup decides. A refusal (inactive, deleted) is answered as before, and
///   what was read is dropped; another scope reads again. A read that fails (other than for an
///   unreachable database) looks the caller up, and its failure stands only if the scope was
///   the caller's.
pub async fn read_as<C, T, F>(
    db: &C,
    caller: Caller<'_>,
    read_under: impl Fn(ReadScope, Option<i64>) -> F,
) -> AppResult<T>
where
    C: ConnectionTrait,
    F: Future<Output = AppResult<Along<T>>>,
{
    // boxed, so that the future of every resolver and handler that reads orders holds a
    // pointer to the read's, not the read's (several KiB, copied when it is created and
    // moved: BENCHMARKS.md)
    let read = |scope, lookup| Box::pin(read_under(scope, lookup));
    let riding = match caller {
        Caller::Pending(pending) => pending.assumed_scope().map(|s| (pending, s)),
        _ => None,
    };
    let Some((pending, assumed)) = riding else {
        return Ok(read(scope_of(db, caller).await?, None).await?.0);
    };
    let (outcome, lookup) = match read(assumed, Some(pending.user_id())).await {
        Ok((found, lookup)) => (Ok(found), lookup),
        // the database cannot be reached: it would not look the caller up either (nor quickly)
        Err(AppError::Unavailable) => return Err(AppError::Unavailable),
        // failed before its lookup came back (a bad cursor, say): who asks decides first, as
        // when the caller is looked up before the read, and the failure stands only under the
        // scope it was read under
        Err(failed) => (Err(failed), None),
    };
    // `None`: looked up now
    let scope = resolved(db, caller, lookup).await.read_scope()?;
    if scope == assumed {
        return outcome;
    }
    tracing::debug!(
        user_id = pending.user_id(),
        "the caller's scope changed: read again"
    );
    Ok(read(scope, None).await?.0)
}

/// The scope of a caller that no read looks up: its own, looked up first when it is due.
async fn scope_of<C: ConnectionTrait>(db: &C, caller: Caller<'_>) -> AppResult<ReadScope> {
    match caller {
        Caller::Resolved(access) => access.read_scope(),
        other => resolved(db, other, None).await.read_scope(),
    }
}

/// The caller's `Access`: from `lookup` when a read made it, else looked up on `db` when it is
/// due (`Caller::resolve_with`); boxed, as the reads above.
async fn resolved<C: ConnectionTrait>(
    db: &C,
    caller: Caller<'_>,
    lookup: Option<UserLookup>,
) -> Access {
    Box::pin(caller.resolve_with(db, lookup)).await
}
