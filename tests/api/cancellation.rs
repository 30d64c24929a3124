//! Requests abandoned half-way: a client that goes away (a closed tab, a proxy's timeout) drops
//! its request's future wherever it was waiting, the database's answer to a BEGIN included.

use std::time::Duration;

use futures_util::FutureExt;
use oms_gateway::db::begin_write;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::helpers::spawn_app;

/// Connections of the test's database that sit inside a transaction nobody is running.
async fn idle_in_transaction(db: &impl ConnectionTrait) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND state LIKE 'idle in transaction%'",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

/// A write whose BEGIN was sent but whose answer was never read (the future polled once, then
/// dropped) leaves no pooled connection inside a transaction: such a connection would hold the
/// locks of every later read on it until some write happened to commit there, blocking the
/// Django application's migrations and the vacuum. And the pool still serves writes after.
#[tokio::test]
async fn an_abandoned_begin_leaves_no_connection_inside_a_transaction() {
    let app = spawn_app().await;
    let db = &app.state.db;
    for _ in 0..40 {
        // a statement first, so that the next checkout needs no ping and the one poll below
        // gets as far as sending BEGIN
        db.execute_unprepared("SELECT 1").await.unwrap();
        if let Some(done) = begin_write(db).now_or_never() {
            done.unwrap().rollback().await.unwrap();
        }
    }
    if db.get_database_backend() == DbBackend::Postgres {
        let observer = sea_orm::Database::connect(app.database_url.as_str())
            .await
            .unwrap();
        let mut left = -1;
        for _ in 0..50 {
            left = idle_in_transaction(&observer).await;
            if left == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(left, 0, "connections left inside a transaction");
    }
    let write = tokio::time::timeout(Duration::from_secs(5), async {
        let txn = begin_write(db).await.unwrap();
        txn.execute_unprepared("SELECT 1").await.unwrap();
        txn.commit().await.unwrap();
    });
    write.await.expect("a write after the abandoned ones");
}
