//! Schema migrations of the gateway.
//!
//! The nine legacy tables are created only where they are absent (an empty SQLite file or
//! PostgreSQL database); on a database the Django application already created, they are left
//! exactly as they are and only the gateway's own indexes and tables are added beside them.
//! The gateway records its migrations in `gateway_migrations`, apart from Django's
//! `django_migrations`.

pub use sea_orm_migration::prelude::*;

mod m20251101_000001_legacy_tables;
mod m20251101_000002_gateway_indexes;
mod m20251101_000003_token_blacklist;
mod m20251126_000001_idempotency_keys;
pub mod sql;

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
