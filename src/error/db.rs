//! Database errors read for what they mean to a request: the database unreachable (503, not
//! 500), a unique violation naming a field, and a short text for logs that shows no SQL.

use sea_orm::{DbErr, RuntimeErr, SqlErr};

use crate::error::AppError;

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if is_connection_error(&err) {
            // a pool that is merely saturated (acquire timed out) has no dead connections
            if !is_pool_timeout(&err) {
                crate::db::connection_trouble();
            }
            tracing::warn!(error = %short_db_error(&err), "database unavailable");
            return AppError::Unavailable;
        }
        AppError::internal(err)
    }
}

/// Whether no connection was free in time (a busy pool, not a broken one).
fn is_pool_timeout(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => {
            matches!(e.as_ref(), sea_orm::sqlx::Error::PoolTimedOut)
        }
        _ => false,
    }
}

/// Whether the database could not be reached (pool timeout, refused, closed, I/O).
pub fn is_connection_error(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            connection_lost(e)
                || matches!(
                    e.as_ref(),
                    sea_orm::sqlx::Error::PoolTimedOut
                        | sea_orm::sqlx::Error::PoolClosed
                        | sea_orm::sqlx::Error::WorkerCrashed
                )
        }
        _ => false,
    }
}

/// Whether a statement failed because its connection was gone, not because of the statement:
/// I/O, the server ending the session (SQLSTATE 57P: `pg_terminate_backend`, a shutdown) or
/// a connection exception (08).
pub(crate) fn connection_lost(e: &sea_orm::sqlx::Error) -> bool {
    match e {
        sea_orm::sqlx::Error::Io(_) => true,
        sea_orm::sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")),
        _ => false,
    }
}

/// A database error reduced to its kind, for logs: no SQL text, no parameters.
pub fn short_db_error(err: &DbErr) -> String {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                sea_orm::sqlx::Error::Database(d) => {
                    format!("database error {}", d.code().unwrap_or_default())
                }
                other => format!("{other}"),
            }
        }
        DbErr::ConnectionAcquire(e) => format!("connection acquire: {e}"),
        DbErr::Conn(_) => "connection error".to_owned(),
        _ => "database error".to_owned(),
    }
}

/// If `err` is a unique violation, which of the `(column, field)` pairs it names.
pub fn unique_violation_field<'a>(err: &DbErr, columns: &[(&str, &'a str)]) -> Option<&'a str> {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(msg)) => columns
            .iter()
            .find(|(column, _)| msg.contains(column))
            .map(|(_, field)| *field)
            .or_else(|| columns.first().map(|(_, f)| *f)),
        _ => None,
    }
}
