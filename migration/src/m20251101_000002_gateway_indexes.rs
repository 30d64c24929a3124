//! The gateway's own indexes on the legacy tables: what its lists filter and sort by, so a page
//! is an index range scan (keyset pagination) however many rows the tables hold. Django created
//! none of these (it has no index on `oms_order.status` or `created_at`).
//!
//! On PostgreSQL they are built `CONCURRENTLY`, outside any transaction (this migration opts
//! out of SeaORM's), so adding them to a large live database never blocks the legacy
//! application's writes; an index a failed concurrent build left invalid is dropped and built
//! again (see [`ensure`]). SQLite gets plain `CREATE INDEX`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20251101_000002_gateway_indexes"
    }
}

/// (index name, table, columns)
pub const INDEXES: [(&str, &str, &str); 12] = [
    ("gw_order_status_id", "oms_order", "status, id"),
    ("gw_order_customer_id", "oms_order", "customer_id, id"),
    (
        "gw_order_customer_status_id",
        "oms_order",
        "customer_id, status, id",
    ),
    ("gw_order_created_at_id", "oms_order", "created_at, id"),
    ("gw_order_updated_at_id", "oms_order", "updated_at, id"),
    ("gw_order_total_amount_id", "oms_order", "total_amount, id"),
    ("gw_orderitem_order_id", "oms_orderitem", "order_id, id"),
    ("gw_payment_order_id", "oms_payment", "order_id, id"),
    ("gw_payment_status_id", "oms_payment", "status, id"),
    ("gw_payment_created_at_id", "oms_payment", "created_at, id"),
    ("gw_payment_paid_at_id", "oms_payment", "paid_at, id"),
    ("gw_payment_amount_id", "oms_payment", "amount, id"),
];

/// What [`ensure`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IndexReport {
    /// Indexes built because they were missing.
    pub created: Vec<&'static str>,
    /// Indexes found invalid (a failed concurrent build) and built again.
    pub rebuilt: Vec<&'static str>,
}

/// Makes every gateway index exist and be valid. PostgreSQL: `CREATE INDEX CONCURRENTLY` for a
/// missing one, `DROP INDEX CONCURRENTLY` then `CREATE ...` for an invalid one, each statement
/// on its own (never inside a transaction: `db` must not be one). SQLite: `CREATE INDEX IF NOT
/// EXISTS`.
pub async fn ensure<C: ConnectionTrait>(db: &C) -> Result<IndexReport, DbErr> {
    let mut report = IndexReport::default();
    if db.get_database_backend() != DbBackend::Postgres {
        for (name, table, columns) in INDEXES {
            db.execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"
            ))
            .await?;
        }
        return Ok(report);
    }
    let names = INDEXES
        .iter()
        .map(|(name, _, _)| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT c.relname::text AS name, i.indisvalid AS valid \
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 WHERE c.relnamespace = current_schema()::regnamespace AND c.relname IN ({names})"
            ),
        ))
        .await?;
    let mut found = std::collections::HashMap::new();
    for row in rows {
        found.insert(
            row.try_get::<String>("", "name")?,
            row.try_get::<bool>("", "valid")?,
        );
    }
    for (name, table, columns) in INDEXES {
        match found.get(name) {
            Some(true) => continue,
            Some(false) => {
                tracing::warn!(
                    index = name,
                    "an invalid index (a concurrent build that failed): dropping and building it again"
                );
                db.execute_unprepared(&format!("DROP INDEX CONCURRENTLY IF EXISTS {name}"))
                    .await?;
                report.rebuilt.push(name);
            }
            None => report.created.push(name),
        }
        tracing::info!(
            index = name,
            table,
            "building an index concurrently (the table stays writable)"
        );
        db.execute_unprepared(&format!(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({columns})"
        ))
        .await?;
    }
    Ok(report)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ensure(manager.get_connection()).await.map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let concurrently = match db.get_database_backend() {
            DbBackend::Postgres => "CONCURRENTLY ",
            _ => "",
        };
        for (name, _, _) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {concurrently}IF EXISTS {name}"))
                .await?;
        }
        Ok(())
    }

    /// `CREATE INDEX CONCURRENTLY` cannot run inside a transaction.
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }
}
