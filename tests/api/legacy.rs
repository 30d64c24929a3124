//! The situation of a running Django deployment, for the neighbour tests: a database built
//! from the legacy DDL (`migration/sql/legacy-postgres.sql`, which is legacy-schema.sql
//! verbatim) plus, if asked, SimpleJWT's blacklist tables as `token_blacklist` creates them
//! (`tests/fixtures/`). On SQLite the gateway's migrations create the nine tables (Django's
//! SQLite DDL) and the SimpleJWT tables come from their SQLite fixture.

use std::sync::Arc;

use migration::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::common::TestDatabase;

/// Django's DDL of the nine tables, verbatim.
pub const LEGACY_SQL: &str = include_str!("../../migration/sql/legacy-postgres.sql");
/// SimpleJWT's blacklist tables on PostgreSQL.
pub const SIMPLEJWT_POSTGRES: &str = include_str!("../fixtures/simplejwt-blacklist-postgres.sql");
/// SimpleJWT's blacklist tables on SQLite.
pub const SIMPLEJWT_SQLITE: &str = include_str!("../fixtures/simplejwt-blacklist-sqlite.sql");

/// Runs every statement of a script.
pub async fn run(db: &DatabaseConnection, script: &str) {
    for statement in migration::sql::split_statements(script) {
        db.execute_unprepared(&statement)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

/// A fresh database on the run's backend holding what the legacy deployment made: on
/// PostgreSQL its nine tables; with `simplejwt`, SimpleJWT's two blacklist tables too.
pub async fn legacy_database(simplejwt: bool) -> Arc<TestDatabase> {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    if database.is_postgres() {
        run(&db, LEGACY_SQL).await;
        if simplejwt {
            run(&db, SIMPLEJWT_POSTGRES).await;
        }
    } else if simplejwt {
        run(&db, SIMPLEJWT_SQLITE).await;
    }
    let _ = db.close().await;
    Arc::new(database)
}

/// The single integer column `n` of the first row of `sql`.
pub async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let backend = db.get_database_backend();
    db.query_one_raw(Statement::from_string(backend, sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("one row")
        .try_get::<i64>("", "n")
        .expect("an integer column n")
}
