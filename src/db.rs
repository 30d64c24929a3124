//! Connecting to the database: pool settings per backend, the SQL statement counter, and
//! transactions that take their write lock up front.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::{Settings, redact_url};

mod positional;
mod reads;
pub mod shapes;
pub use positional::{all_positional, first_positional, one_positional};
pub use reads::Reads;

/// Rows by their id. Hashed with foldhash instead of std's SipHash: a page's relations are
/// looked up several times per item (an order's lines, their product, stock, location and
/// warehouse), and SipHash was 6% of a REST list's CPU. Still seeded per process.
pub type IdMap<V> = std::collections::HashMap<i64, V, foldhash::fast::RandomState>;

/// The ids of an iterator, each once, in first-seen order (the list of an `IN (...)`).
pub fn distinct_ids(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut seen = std::collections::HashSet::with_hasher(foldhash::fast::RandomState::default());
    ids.filter(|id| seen.insert(*id)).collect()
}

/// Counts the SQL statements the gateway sends. Per application instance (not global), so
/// that a test can read how many statements one request executed.
#[derive(Clone, Default, Debug)]
pub struct SqlCounter(Arc<AtomicU64>);

impl SqlCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// One statement sent: counted here and in `oms_sql_statements_total`.
    pub(crate) fn record(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        metrics::counter!("oms_sql_statements_total").increment(1);
    }
}

/// Until when (ms since the Unix epoch) every pooled connection is pinged before use: set for
/// a while after any statement failed for want of a connection, so that once one dead
/// connection has shown up (a database restart, terminated backends) the others are checked
/// and replaced instead of failing one request each. Process-wide: a false alarm costs only
/// pings.
static CHECK_CONNECTIONS_UNTIL: AtomicU64 = AtomicU64::new(0);
const CHECK_CONNECTIONS_FOR: Duration = Duration::from_secs(10);

fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// PostgreSQL connections when `OMS_DB_POOL_SIZE` is not set: four per core of this machine,
/// 8 to 32. Connections beyond what the cores serve only queue in the database's scheduler: on
/// the 2-core benchmark machine, 8 instead of 16 answered G1 15% faster and raised writes from
/// 0.52 to 0.59 of the database's limit (BENCHMARKS.md); 4 starved the writes.
pub fn default_postgres_pool() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 4).clamp(8, 32) as u32
}

/// Records that a statement failed because its connection or the database was unreachable.
pub fn connection_trouble() {
    CHECK_CONNECTIONS_UNTIL.store(
        unix_ms() + CHECK_CONNECTIONS_FOR.as_millis() as u64,
        Ordering::Relaxed,
    );
}

pub(crate) fn checking_connections() -> bool {
    unix_ms() < CHECK_CONNECTIONS_UNTIL.load(Ordering::Relaxed)
}

/// Why the database could not be opened, phrased for the one-line start-up error.
#[derive(Debug, thiserror::Error)]
#[error("cannot open DATABASE_URL {url}: {reason}")]
pub struct ConnectError {
    pub url: String,
    pub reason: String,
}

/// Opens the pool and checks that the database answers.
pub async fn connect(
    settings: &Settings,
    counter: SqlCounter,
) -> Result<DatabaseConnection, ConnectError> {
    let url = &settings.database_url;
    let is_sqlite = url.starts_with("sqlite:");
    let mut opt = ConnectOptions::new(url.clone());
    let pool = settings.db_pool_size.unwrap_or(if is_sqlite {
        4
    } else {
        default_postgres_pool()
    });
    opt.max_connections(pool)
        .min_connections(if is_sqlite { 1 } else { 2 })
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .idle_timeout(Duration::from_secs(300))
        // sqlx pings a connection on every checkout by default: one more round trip for each
        // statement outside a transaction. Only a connection idle for a second or more is
        // pinged, so one the database closed while it sat in the pool (a restart, a terminated
        // backend) is replaced before use, and a busy pool sends no pings at all. (The reads
        // of a request take an idle connection without this check and make their first
        // statement again if the connection turns out closed: `db::Reads`.)
        .test_before_acquire_if_idle_for(Duration::from_secs(1))
        // ... and after connection trouble, every connection for a while (see above)
        .map_sqlx_postgres_before_acquire(|conn, _meta| {
            Box::pin(async move {
                if !checking_connections() {
                    return Ok(true);
                }
                use sea_orm::sqlx::Connection;
                Ok(conn.ping().await.is_ok())
            })
        })
        // Statements are never logged: they could carry personal data, and logs must not hold SQL.
        .sqlx_logging(false);
    if is_sqlite {
        opt.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // LIKE is case-sensitive on PostgreSQL; make SQLite's agree (`contains`, `startsWith`)
                .pragma("case_sensitive_like", "ON")
        });
    }
    let mut db = Database::connect(opt).await.map_err(|e| ConnectError {
        url: redact_url(url),
        reason: describe_connect_error(&e),
    })?;
    db.ping().await.map_err(|e| ConnectError {
        url: redact_url(url),
        reason: describe_connect_error(&e),
    })?;
    db.set_metric_callback(move |_info| counter.record());
    Ok(db)
}

fn describe_connect_error(e: &DbErr) -> String {
    let text = match e {
        DbErr::Conn(inner) => inner.to_string(),
        other => other.to_string(),
    };
    // sqlx prefixes are noise for a person reading a start-up error
    text.trim_start_matches("Connection Error: ")
        .trim_start_matches("error communicating with database: ")
        .to_owned()
}

/// A write transaction. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken at the start,
/// so concurrent writers queue (busy timeout) instead of failing when they upgrade a read lock.
///
/// The BEGIN runs in a task of its own, which finishes even when the request that asked for it
/// is dropped (its client went away). sqlx counts a transaction as begun only once the
/// database's answer to BEGIN is read, so a future dropped between sending BEGIN and reading the
/// answer gave its connection back to the pool inside a transaction that nothing would end:
/// every later read on that connection kept its tables' locks and held back the vacuum until
/// some write happened to COMMIT there, and DDL (the Django application's migrations) waited
/// behind them (`tests/api/cancellation.rs`). Finished in its task, a transaction nobody awaits
/// any more is dropped there and so rolled back.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let db = db.clone();
    tokio::spawn(async move { begin_now(&db).await })
        .await
        .map_err(|e| DbErr::Custom(format!("the task beginning a transaction failed: {e}")))?
}

async fn begin_now(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.begin_with_options(TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        })
        .await
    } else {
        db.begin().await
    }
}

/// Whether the database answers (readiness).
pub async fn ping(db: &DatabaseConnection) -> bool {
    tokio::time::timeout(Duration::from_secs(2), db.execute_unprepared("SELECT 1"))
        .await
        .is_ok_and(|r| r.is_ok())
}
