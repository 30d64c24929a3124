//! Schema migrations of the gateway.
//!
//! The nine legacy tables are created only where they are absent (an empty SQLite file or
//! PostgreSQL database); on a database the Django application already created, they are left
//! exactly as they are and only the gateway's own indexes and tables are added beside them.
//! The gateway records its migrations in `gateway_migrations`, apart from Django's
//! `django_migrations`.
//!
//! Run them through [`up`] and [`down_all`] rather than `Migrator` alone: on PostgreSQL those
//! hold an advisory lock (two replicas starting at once migrate one after the other), check
//! the concurrently built indexes, and `down_all` leaves nothing of the gateway behind.

pub use sea_orm_migration::prelude::*;

mod m20251101_000001_legacy_tables;
pub mod m20251101_000002_gateway_indexes;
mod m20251101_000003_token_blacklist;
mod m20251126_000001_idempotency_keys;
pub mod sql;
pub mod triggers;

pub use m20251101_000002_gateway_indexes::{INDEXES, IndexReport};
use sea_orm_migration::sea_orm::{DatabaseConnection, DbBackend, sqlx};

/// Names of the nine legacy tables, parents before children.
pub const LEGACY_TABLES: [&str; 9] = [
    "accounts_user",
    "products_category",
    "products_product",
    "wms_warehouse",
    "wms_location",
    "wms_stock",
    "oms_order",
    "oms_orderitem",
    "oms_payment",
];

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20251101_000001_legacy_tables::Migration),
            Box::new(m20251101_000002_gateway_indexes::Migration),
            Box::new(m20251101_000003_token_blacklist::Migration),
            Box::new(m20251126_000001_idempotency_keys::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "gateway_migrations".into_iden()
    }
}

/// The advisory lock the gateway's migrations hold on PostgreSQL ("oms-gw" in ASCII).
const MIGRATION_LOCK: i64 = 0x6f6d_732d_6777;

/// What [`up`] did beside the migrations.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UpReport {
    /// Indexes built or rebuilt after the migrations (a failed concurrent build found invalid).
    pub indexes: IndexReport,
    /// Whether the change triggers were installed.
    pub triggers: bool,
}

/// Applies every pending migration; then (PostgreSQL) makes sure the concurrently built
/// indexes exist and are valid, and installs the change triggers if asked.
pub async fn up(db: &DatabaseConnection, with_triggers: bool) -> Result<UpReport, DbErr> {
    locked(db, async {
        Migrator::up(db, None).await?;
        let mut report = UpReport::default();
        let indexes_applied = Migrator::get_applied_migrations(db)
            .await?
            .iter()
            .any(|m| m.name() == "m20251101_000002_gateway_indexes");
        if indexes_applied {
            report.indexes = m20251101_000002_gateway_indexes::ensure(db).await?;
        }
        if with_triggers {
            triggers::install(db).await?;
            report.triggers = true;
        }
        Ok(report)
    })
    .await
}

/// What [`down_all`] left in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remains {
    /// Nothing of the gateway's: not a table, index, trigger or function.
    Nothing,
    /// The nine legacy tables, which the gateway did not create or Django has taken over.
    LegacyTables,
}

/// Reverts every migration, removes the change triggers, and drops `gateway_migrations`: the
/// database is left as it was before the gateway, except the legacy tables when they are not
/// the gateway's to drop (see [`Remains`]).
pub async fn down_all(db: &DatabaseConnection) -> Result<Remains, DbErr> {
    locked(db, async {
        triggers::remove(db).await?;
        Migrator::down(db, None).await?;
        Migrator::uninstall(db).await?;
        let left = sql::table_exists_on(db, "accounts_user").await?;
        Ok(if left {
            Remains::LegacyTables
        } else {
            Remains::Nothing
        })
    })
    .await
}

/// Runs `work` holding the migration lock (PostgreSQL; SQLite serializes writers by itself).
async fn locked<T>(
    db: &DatabaseConnection,
    work: impl Future<Output = Result<T, DbErr>>,
) -> Result<T, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return work.await;
    }
    // a connection of its own, outside the pool: the migrations need the pool's (even one)
    use sqlx::Connection;
    let to_err = |e: sqlx::Error| DbErr::Migration(format!("the migration lock: {e}"));
    let options = db.get_postgres_connection_pool().connect_options();
    let mut conn = sqlx::PgConnection::connect_with(&options)
        .await
        .map_err(to_err)?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut conn)
        .await
        .map_err(to_err)?;
    let result = work.await;
    // closing the session releases the lock
    let _ = conn.close().await;
    result
}
