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

use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::postgres::{PgConnection, PgPool, PgQueryResult, PgRow};
use sea_orm::sqlx::{Postgres, query::Query};
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
        held: Mutex<Held>,
        counter: SqlCounter,
    },
}

/// The connection a request holds.
pub struct Held {
    /// `None` once a lost connection could not be replaced (see `Held::conn`).
    conn: Option<PoolConnection<Postgres>>,
    /// The pool, until the connection's first statement has come back. A connection can be
    /// closed under the pool (a database restart, a terminated backend): one taken straight
    /// from the idle queue (`try_acquire`) was not checked at all, and one from `acquire` is
    /// pinged only after a second idle (`db::connect`). If the first read finds it closed,
    /// the read is made again on a connection from this pool, which from then on checks
    /// every connection for a while (`db::connection_trouble`).
    unproven: Option<PgPool>,
}

impl Reads {
    /// On PostgreSQL, one connection taken from the pool now; on SQLite, the pool.
    ///
    /// An idle connection is taken as it is (`try_acquire`): sqlx's `acquire` future is about
    /// 14 KiB, and copying it into a box was 4.6% of a GraphQL order's instructions, its
    /// timer and check hooks a little more (BENCHMARKS.md). Only when none is idle, or while
    /// the pool's connections are being checked after trouble, does the request wait in
    /// `acquire`.
    pub async fn take(db: &DatabaseConnection, counter: &SqlCounter) -> Result<Self, DbErr> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(Reads::Pool(db.clone()));
        }
        let pool = db.get_postgres_connection_pool();
        let idle = if super::checking_connections() {
            None
        } else {
            pool.try_acquire()
        };
        let conn = match idle {
            Some(conn) => conn,
            None => acquire(pool).await.map_err(conn_err)?,
        };
        let held = Held {
            conn: Some(conn),
            unproven: Some(pool.clone()),
        };
        Ok(Reads::Held {
            held: Mutex::new(held),
            counter: counter.clone(),
        })
    }

    /// The pool itself: every statement takes its own connection (writes, and requests that
    /// must not hold one while they wait for something else).
    pub fn pool(db: &DatabaseConnection) -> Self {
        Reads::Pool(db.clone())
    }
}

/// A connection from the pool, checked as `db::connect` asks. Boxed: sqlx's acquire future is
/// about 14 KiB, and inline it made every future that may take a connection that size (a
/// GraphQL root field's, the HTTP handler's), copied whole each time one is created or moved.
async fn acquire(pool: &PgPool) -> Result<PoolConnection<Postgres>, sea_orm::sqlx::Error> {
    Box::pin(pool.acquire()).await
}

impl Held {
    /// The connection; none after a lost one could not be replaced (the database is down:
    /// every later statement of the request answers as unreachable).
    fn conn(&mut self) -> Result<&mut PgConnection, DbErr> {
        self.conn.as_deref_mut().ok_or_else(|| {
            DbErr::Conn(RuntimeErr::Internal(
                "the request's connection was lost".to_owned(),
            ))
        })
    }

    /// Makes a read; on an unproven connection that turns out closed, once more on a checked
    /// one (a read: making it again changes nothing).
    async fn read<T: Fetched>(
        &mut self,
        counter: &SqlCounter,
        stmt: &Statement,
    ) -> Result<T, DbErr> {
        let conn = self.conn()?;
        counter.record();
        let got = T::fetch(stmt, conn).await;
        let Some(pool) = self.unproven.take() else {
            return got.map_err(query_err);
        };
        match got {
            Err(e) if crate::error::connection_lost(&e) => {
                let lost = query_err(e);
                tracing::info!(
                    error = %crate::error::short_db_error(&lost),
                    "a pooled connection was closed; reading again on another"
                );
                super::connection_trouble();
                // out of the pool at once (no ping on its way back), so that this request never
                // holds a slot while it waits for another
                if let Some(dead) = self.conn.take() {
                    drop(dead.detach());
                }
                let conn = self.conn.insert(acquire(&pool).await.map_err(conn_err)?);
                counter.record();
                T::fetch(stmt, conn).await.map_err(query_err)
            }
            other => other.map_err(query_err),
        }
    }

    /// What a statement that is not a read did: never made again; a success proves the
    /// connection.
    fn executed(
        &mut self,
        done: Result<PgQueryResult, sea_orm::sqlx::Error>,
    ) -> Result<ExecResult, DbErr> {
        let done = done.map_err(exec_err)?;
        self.unproven = None;
        Ok(ExecResult::from(done))
    }
}

/// What a read fetches: one row at most, or all of them.
trait Fetched: Sized {
    fn fetch<'a>(
        stmt: &'a Statement,
        conn: &'a mut PgConnection,
    ) -> impl Future<Output = Result<Self, sea_orm::sqlx::Error>> + Send + 'a;
}

impl Fetched for Option<PgRow> {
    fn fetch<'a>(
        stmt: &'a Statement,
        conn: &'a mut PgConnection,
    ) -> impl Future<Output = Result<Self, sea_orm::sqlx::Error>> + Send + 'a {
        query(stmt).fetch_optional(conn)
    }
}

impl Fetched for Vec<PgRow> {
    fn fetch<'a>(
        stmt: &'a Statement,
        conn: &'a mut PgConnection,
    ) -> impl Future<Output = Result<Self, sea_orm::sqlx::Error>> + Send + 'a {
        query(stmt).fetch_all(conn)
    }
}

fn query(stmt: &Statement) -> Query<'_, Postgres, SqlxValues> {
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

fn conn_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)))
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
            Reads::Held { held, counter } => {
                let mut held = held.lock().await;
                let conn = held.conn()?;
                counter.record();
                let done = query(&stmt).execute(conn).await;
                held.executed(done)
            }
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Reads::Pool(db) => db.execute_unprepared(sql).await,
            Reads::Held { held, counter } => {
                let mut held = held.lock().await;
                let conn = held.conn()?;
                counter.record();
                let done = sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(sql))
                    .execute(conn)
                    .await;
                held.executed(done)
            }
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Reads::Pool(db) => db.query_one_raw(stmt).await,
            Reads::Held { held, counter } => {
                let row: Option<PgRow> = held.lock().await.read(counter, &stmt).await?;
                Ok(row.map(QueryResult::from))
            }
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Reads::Pool(db) => db.query_all_raw(stmt).await,
            Reads::Held { held, counter } => {
                let rows: Vec<PgRow> = held.lock().await.read(counter, &stmt).await?;
                Ok(rows.into_iter().map(QueryResult::from).collect())
            }
        }
    }
}
