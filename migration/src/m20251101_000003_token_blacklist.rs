//! The gateway's refresh-token blacklist: a used refresh token's `jti` is recorded here so that
//! every replica refuses it again (SimpleJWT's rotation with blacklisting, shared through the
//! database). Rows can be purged once `expires_at` has passed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20251101_000003_token_blacklist"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let ts = crate::sql::timestamp_type(manager.get_database_backend());
        db.execute_unprepared(&format!(
            "CREATE TABLE IF NOT EXISTS gateway_token_blacklist (\
               jti varchar(64) NOT NULL PRIMARY KEY, \
               user_id bigint NOT NULL, \
               expires_at {ts} NOT NULL, \
               blacklisted_at {ts} NOT NULL)"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS gw_token_blacklist_expires_at ON gateway_token_blacklist (expires_at)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE IF EXISTS gateway_token_blacklist")
            .await?;
        Ok(())
    }
}
