//! One connection for all the reads of a request.
//!
//! sqlx pings every connection it takes back into its pool: a statement run on the pool costs
//! two round trips to PostgreSQL, its own and that ping. A request that reads an order with
//! its relations sends four or five statements, so half of its round trips were pings. A
//! [`Reads`] takes one connection from the pool for the request's reads and gives it back
//! once: one ping per request instead of one per statement. Read-only paths only (a request
//! holding a connection must never wait for a second one, or a full pool could deadlock). On
//! SQLite, an in-process database without round trips, it is the pool itself. Whatever runs
//! with a `Reads` must use it for every statement, never `state.db`.
//!
//! A `Reads` owns what it holds (a clone of the pool handle, or the checked-out connection),
//! so that a GraphQL request can carry it in its data for every resolver and loader; the
//! connection goes back to the pool when the last owner drops it.

use std::sync::Arc;

use sea_orm::sqlx::Postgres;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr,
    Statement,
};
use sea_query_sqlx::SqlxValues;
use tokio::sync::Mutex;

use super::SqlCounter;

/// Where a request's reads go.
pub enum Reads {
    Pool(DatabaseConnection),
    Held {
        conn: Mutex<PoolConnection<Postgres>>,
        counter: SqlCounter,
    },
}

impl Reads {
    /// On PostgreSQL, one connection taken from the pool now; on SQLite, the pool.
    pub async fn take(db: &DatabaseConnection, counter: &SqlCounter) -> Result<Self, DbErr> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(Reads::Pool(db.clone()));
        }
        // boxed: sqlx's acquire future is about 14 KiB, and inline it made every future that
        // may take a connection that size (a GraphQL root field's, the HTTP handler's), copied
        // whole each time one is created or moved (BENCHMARKS.md, "Futures kept small"); now
        // it is copied once, into its box
        let conn = Box::pin(db.get_postgres_connection_pool().acquire())
            .await
            .map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))))?;
        Ok(Reads::Held {
            conn: Mutex::new(conn),
            counter: counter.clone(),
        })
    }

    /// The pool itself: every statement takes its own connection (writes, and requests that
    /// must not hold one while they wait for something else).
    pub fn pool(db: &DatabaseConnection) -> Self {
        Reads::Pool(db.clone())
    }
}

fn query(stmt: &Statement) -> sea_orm::sqlx::query::Query<'_, Postgres, SqlxValues> {
    let values = stmt
        .values
        .clone()
        .unwrap_or_else(|| sea_orm::Values(Vec::new()));
    sea_orm::sqlx::query_with(
        sea_orm::sqlx::AssertSqlSafe(stmt.sql.as_str()),
        SqlxValues(values),
    )
}

fn query_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}

fn exec_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e)))
}

#[async_trait::async_trait]
impl ConnectionTrait for Reads {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Reads::Pool(db) => db.get_database_backend(),
            Reads::Held { .. } => DbBackend::Postgres,
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Reads::Pool(db) => db.execute_raw(stmt).await,
            Reads::Held { conn, counter } => {
                counter.record();
                let mut conn = conn.lock().await;
                query(&stmt)
                    .execute(&mut **conn)
                    .await
                    .map(ExecResult::from)
                    .map_err(exec_err)
            }
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Reads::Pool(db) => db.execute_unprepared(sql).await,
            Reads::Held { conn, counter } => {
                counter.record();
                let mut conn = conn.lock().await;
                sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(sql))
                    .execute(&mut **conn)
                    .await
                    .map(ExecResult::from)
                    .map_err(exec_err)
            }
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Reads::Pool(db) => db.query_one_raw(stmt).await,
            Reads::Held { conn, counter } => {
                counter.record();
                let mut conn = conn.lock().await;
                query(&stmt)
                    .fetch_optional(&mut **conn)
                    .await
                    .map(|row| row.map(QueryResult::from))
                    .map_err(query_err)
            }
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Reads::Pool(db) => db.query_all_raw(stmt).await,
            Reads::Held { conn, counter } => {
                counter.record();
                let mut conn = conn.lock().await;
                query(&stmt)
                    .fetch_all(&mut **conn)
                    .await
                    .map(|rows| rows.into_iter().map(QueryResult::from).collect())
                    .map_err(query_err)
            }
        }
    }
}
