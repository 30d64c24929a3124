//! The gateway's idempotency keys: one row per (user, operation, key) naming what the first
//! request with that key created, and the answer it got, so that a retry is answered the same
//! instead of creating again. Written in the same transaction as the write it guards; rows older
//! than the retention (a day by default) no longer count and are purged.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20251126_000001_idempotency_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let ts = crate::sql::timestamp_type(manager.get_database_backend());
        db.execute_unprepared(&format!(
            "CREATE TABLE IF NOT EXISTS gateway_idempotency (\
               user_id bigint NOT NULL, \
               operation varchar(64) NOT NULL, \
               idempotency_key varchar(255) NOT NULL, \
               fingerprint varchar(64) NOT NULL, \
               resource_id bigint NULL, \
               response text NULL, \
               created_at {ts} NOT NULL, \
               PRIMARY KEY (user_id, operation, idempotency_key))"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS gw_idempotency_created_at ON gateway_idempotency (created_at)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE IF EXISTS gateway_idempotency")
            .await?;
        Ok(())
    }
}
