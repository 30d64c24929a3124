//! The nine tables of the legacy InventoryHub application, created only where absent.
//!
//! PostgreSQL gets Django's own DDL verbatim (`sql/legacy-postgres.sql`); SQLite gets the
//! equivalent that Django would emit for SQLite. When all nine tables already exist (the
//! gateway was pointed at the legacy database), nothing is touched. When only some exist, the
//! migration refuses with the list, rather than guess.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::LEGACY_TABLES;
use crate::sql::{meta_get, run_script, table_exists};

pub struct Migration;

const CREATED_KEY: &str = "legacy_tables_created_by_gateway";

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20251101_000001_legacy_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE IF NOT EXISTS gateway_meta (key varchar(100) NOT NULL PRIMARY KEY, value text NOT NULL)",
        )
        .await?;

        let mut present = Vec::new();
        for table in LEGACY_TABLES {
            if table_exists(manager, table).await? {
                present.push(table);
            }
        }
        if present.len() == LEGACY_TABLES.len() {
            tracing::info!("the legacy tables already exist: left as they are");
            return Ok(());
        }
        if !present.is_empty() {
            let missing: Vec<&str> = LEGACY_TABLES
                .iter()
                .copied()
                .filter(|t| !present.contains(t))
                .collect();
            return Err(DbErr::Migration(format!(
                "the database holds some legacy tables ({}) but not the others ({}); \
                 refusing to guess: create them with the legacy application or start from an empty database",
                present.join(", "),
                missing.join(", ")
            )));
        }
        match backend {
            DbBackend::Postgres => {
                run_script(manager, include_str!("../sql/legacy-postgres.sql")).await?
            }
            _ => run_script(manager, SQLITE_DDL).await?,
        }
        db.execute_unprepared(&format!(
            "INSERT INTO gateway_meta (key, value) VALUES ('{CREATED_KEY}', 'true')"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // the change triggers live on these tables (installed or not)
        crate::triggers::remove(db).await?;
        let created = meta_get(manager, CREATED_KEY).await?.as_deref() == Some("true");
        if created && !adopted_by_django(manager).await? {
            for table in LEGACY_TABLES.iter().rev() {
                db.execute_unprepared(&format!("DROP TABLE IF EXISTS \"{table}\""))
                    .await?;
            }
        } else if created {
            tracing::warn!(
                "the legacy tables were created by the gateway but Django has taken them over \
                 (django_migrations records them): they are kept, with their rows"
            );
        } else {
            tracing::warn!(
                "the legacy tables were not created by the gateway: they are kept, with their rows"
            );
        }
        db.execute_unprepared("DROP TABLE IF EXISTS gateway_meta")
            .await?;
        Ok(())
    }
}

/// Whether Django records the legacy apps' migrations as applied (`manage.py migrate
/// --fake-initial` after the gateway created the tables): the tables are then Django's.
pub async fn adopted_by_django(manager: &SchemaManager<'_>) -> Result<bool, DbErr> {
    if !table_exists(manager, "django_migrations").await? {
        return Ok(false);
    }
    let row = manager
        .get_connection()
        .query_one_raw(Statement::from_string(
            manager.get_database_backend(),
            "SELECT 1 AS present FROM django_migrations \
             WHERE app IN ('accounts', 'products', 'wms', 'oms')",
        ))
        .await?;
    Ok(row.is_some())
}

/// What Django emits for these models on SQLite, in spirit: same names, types, NULLs, checks,
/// uniques and deferred foreign keys. `AUTOINCREMENT` keeps ids of deleted rows from coming back,
/// as PostgreSQL's identity columns do.
const SQLITE_DDL: &str = r#"
CREATE TABLE "accounts_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "first_name" varchar(150) NOT NULL, "last_name" varchar(150) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL, "email" varchar(254) NOT NULL UNIQUE, "phone" varchar(15) NULL, "date_of_birth" date NULL);
CREATE TABLE "products_category" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(255) NOT NULL UNIQUE, "slug" varchar(255) NOT NULL UNIQUE, "lft" integer unsigned NOT NULL CHECK ("lft" >= 0), "rght" integer unsigned NOT NULL CHECK ("rght" >= 0), "tree_id" integer unsigned NOT NULL CHECK ("tree_id" >= 0), "level" integer unsigned NOT NULL CHECK ("level" >= 0), "parent_id" bigint NULL REFERENCES "products_category" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE INDEX "products_category_tree_id_7d9b3ae8" ON "products_category" ("tree_id");
CREATE INDEX "products_category_parent_id_3388f6c9" ON "products_category" ("parent_id");
CREATE TABLE "products_product" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(255) NOT NULL UNIQUE, "slug" varchar(255) NOT NULL UNIQUE, "description" text NULL, "sku" varchar(100) NOT NULL UNIQUE, "price" decimal NOT NULL, "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, "category_id" bigint NOT NULL REFERENCES "products_category" ("id") DEFERRABLE INITIALLY DEFERRED, "created_by_id" bigint NULL REFERENCES "accounts_user" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE INDEX "products_product_category_id_9b594869" ON "products_product" ("category_id");
CREATE INDEX "products_product_created_by_id_dd4af40e" ON "products_product" ("created_by_id");
CREATE TABLE "wms_warehouse" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(255) NOT NULL UNIQUE, "address" text NULL, "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL);
CREATE TABLE "wms_location" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "code" varchar(100) NOT NULL UNIQUE, "description" text NULL, "warehouse_id" bigint NOT NULL REFERENCES "wms_warehouse" ("id") DEFERRABLE INITIALLY DEFERRED, CONSTRAINT "wms_location_warehouse_id_code_d1762e13_uniq" UNIQUE ("warehouse_id", "code"));
CREATE INDEX "wms_location_warehouse_id_71772ed7" ON "wms_location" ("warehouse_id");
CREATE TABLE "wms_stock" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "quantity" integer unsigned NOT NULL CHECK ("quantity" >= 0), "updated_at" datetime NOT NULL, "location_id" bigint NOT NULL REFERENCES "wms_location" ("id") DEFERRABLE INITIALLY DEFERRED, "product_id" bigint NOT NULL REFERENCES "products_product" ("id") DEFERRABLE INITIALLY DEFERRED, CONSTRAINT "wms_stock_product_id_location_id_f077a5f3_uniq" UNIQUE ("product_id", "location_id"));
CREATE INDEX "wms_stock_location_id_5370ae6f" ON "wms_stock" ("location_id");
CREATE INDEX "wms_stock_product_id_5341290b" ON "wms_stock" ("product_id");
CREATE TABLE "oms_order" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "status" varchar(20) NOT NULL, "total_amount" decimal NOT NULL, "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, "customer_id" bigint NOT NULL REFERENCES "accounts_user" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE INDEX "oms_order_customer_id_3056ffc2" ON "oms_order" ("customer_id");
CREATE TABLE "oms_payment" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "amount" decimal NOT NULL, "payment_method" varchar(50) NOT NULL, "status" varchar(20) NOT NULL, "paid_at" datetime NULL, "created_at" datetime NOT NULL, "order_id" bigint NOT NULL REFERENCES "oms_order" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE INDEX "oms_payment_order_id_4652b64a" ON "oms_payment" ("order_id");
CREATE TABLE "oms_orderitem" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "quantity" integer unsigned NOT NULL CHECK ("quantity" >= 0), "price" decimal NOT NULL, "order_id" bigint NOT NULL REFERENCES "oms_order" ("id") DEFERRABLE INITIALLY DEFERRED, "product_id" bigint NOT NULL REFERENCES "products_product" ("id") DEFERRABLE INITIALLY DEFERRED, "stock_id" bigint NULL REFERENCES "wms_stock" ("id") DEFERRABLE INITIALLY DEFERRED, CONSTRAINT "oms_orderitem_order_id_product_id_d7c16894_uniq" UNIQUE ("order_id", "product_id"));
CREATE INDEX "oms_orderitem_order_id_322ba66f" ON "oms_orderitem" ("order_id");
CREATE INDEX "oms_orderitem_product_id_19bd2f3c" ON "oms_orderitem" ("product_id");
CREATE INDEX "oms_orderitem_stock_id_3614a75c" ON "oms_orderitem" ("stock_id");
"#;
