//! Small helpers shared by the migrations: running a script statement by statement and asking
//! the database which tables exist.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

/// The column type of a UTC timestamp on this backend (as Django declares it on each).
pub fn timestamp_type(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "timestamp with time zone",
        _ => "datetime",
    }
}

/// Runs every `;`-terminated statement of `script` (comments and `BEGIN`/`COMMIT` lines are
/// skipped: the migrator already holds the transaction).
pub async fn run_script(manager: &SchemaManager<'_>, script: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in split_statements(script) {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

/// Splits a DDL script (no semicolons inside literals) into statements.
pub fn split_statements(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in script.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with("--") {
            continue;
        }
        let upper = trimmed.to_ascii_uppercase();
        if upper == "BEGIN;" || upper == "COMMIT;" {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if trimmed.ends_with(';') {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

/// Whether a table of that name exists in the connection's schema.
pub async fn table_exists(manager: &SchemaManager<'_>, table: &str) -> Result<bool, DbErr> {
    table_exists_on(manager.get_connection(), table).await
}

/// Whether a table of that name exists in the schema of `db`.
pub async fn table_exists_on<C: ConnectionTrait>(db: &C, table: &str) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let stmt = match backend {
        DbBackend::Postgres => Statement::from_sql_and_values(
            backend,
            "SELECT 1 AS present FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = $1",
            [table.into()],
        ),
        _ => Statement::from_sql_and_values(
            backend,
            "SELECT 1 AS present FROM sqlite_master WHERE type = 'table' AND name = ?",
            [table.into()],
        ),
    };
    Ok(db.query_one_raw(stmt).await?.is_some())
}

/// Reads one value of the gateway's key-value table, if the table and the key exist.
pub async fn meta_get(manager: &SchemaManager<'_>, key: &str) -> Result<Option<String>, DbErr> {
    if !table_exists(manager, "gateway_meta").await? {
        return Ok(None);
    }
    let db = manager.get_connection();
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT value FROM gateway_meta WHERE key = $1",
        _ => "SELECT value FROM gateway_meta WHERE key = ?",
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [key.into()]))
        .await?;
    match row {
        Some(row) => Ok(Some(row.try_get::<String>("", "value")?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_the_legacy_script_into_its_statements() {
        let script = include_str!("../sql/legacy-postgres.sql");
        let statements = split_statements(script);
        assert!(
            statements
                .iter()
                .all(|s| !s.trim_start().starts_with("BEGIN"))
        );
        let creates = statements
            .iter()
            .filter(|s| s.starts_with("CREATE TABLE"))
            .count();
        assert_eq!(creates, 9);
    }
}
