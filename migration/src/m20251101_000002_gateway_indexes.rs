//! The gateway's own indexes on the legacy tables: what its lists filter and sort by, so a page
//! is an index range scan (keyset pagination) however many rows the tables hold. Django created
//! none of these (it has no index on `oms_order.status` or `created_at`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20251101_000002_gateway_indexes"
    }
}

/// (index name, table, columns)
const INDEXES: [(&str, &str, &str); 12] = [
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, table, columns) in INDEXES {
            db.execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, _, _) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {name}"))
                .await?;
        }
        Ok(())
    }
}
