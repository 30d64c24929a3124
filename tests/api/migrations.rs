//! The migrations on the three situations they meet: an empty SQLite file, an empty PostgreSQL
//! database (the gateway creates the nine tables, with their constraints, and drops them again),
//! the database of a running legacy Django deployment (left exactly as it is; only the gateway's
//! own indexes and tables are added and removed), and a partial legacy schema (refused).

use migration::sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Statement};
use migration::{LEGACY_TABLES, Migrator, MigratorTrait};
use oms_gateway::state::AppState;

use crate::helpers::{TestDatabase, postgres_admin_url, test_settings};

/// Django's DDL, verbatim.
const LEGACY_SQL: &str = include_str!("../../migration/sql/legacy-postgres.sql");

/// The Django-made hash of `admin12345` (legacy-schema.md §2).
const DJANGO_HASH: &str =
    "pbkdf2_sha256$870000$ZkzyoqNRiAQ3J6Tq8hbYBE$bUr/OSYFy9KGKgdZ1O+HSo/fnZ2/gTSnpwP8U9h7UN0=";

/// The indexes the gateway must add beside the legacy ones.
const GATEWAY_INDEXES: [&str; 5] = [
    "gw_order_status_id",
    "gw_order_customer_id",
    "gw_order_created_at_id",
    "gw_orderitem_order_id",
    "gw_payment_order_id",
];

const TS: &str = "'2025-11-08 10:00:00.123456+00'";

/// One row per legacy table, as Django writes them: every NOT NULL column named, no defaults.
fn legacy_rows() -> Vec<String> {
    vec![
        format!(
            "INSERT INTO accounts_user (password, last_login, is_superuser, username, first_name, \
             last_name, is_staff, is_active, date_joined, email, phone, date_of_birth) VALUES \
             ('{DJANGO_HASH}', {TS}, TRUE, 'admin', 'Ada', 'Admin', TRUE, TRUE, {TS}, \
             'admin@inventoryhub.example', '+15550100', '1990-01-02')"
        ),
        "INSERT INTO products_category (name, slug, lft, rght, tree_id, level, parent_id) VALUES \
         ('Electronics', 'electronics', 1, 2, 1, 0, NULL)"
            .to_owned(),
        format!(
            "INSERT INTO products_product (name, slug, description, sku, price, created_at, \
             updated_at, category_id, created_by_id) VALUES ('Laptop', 'laptop', 'A laptop', \
             'SKU123', 999.99, {TS}, {TS}, \
             (SELECT id FROM products_category WHERE slug = 'electronics'), \
             (SELECT id FROM accounts_user WHERE username = 'admin'))"
        ),
        format!(
            "INSERT INTO wms_warehouse (name, address, created_at, updated_at) VALUES \
             ('Main WH', '123 Street', {TS}, {TS})"
        ),
        "INSERT INTO wms_location (code, description, warehouse_id) VALUES ('A1', 'Shelf A1', \
         (SELECT id FROM wms_warehouse WHERE name = 'Main WH'))"
            .to_owned(),
        format!(
            "INSERT INTO wms_stock (quantity, updated_at, location_id, product_id) VALUES (49, {TS}, \
             (SELECT id FROM wms_location WHERE code = 'A1'), \
             (SELECT id FROM products_product WHERE sku = 'SKU123'))"
        ),
        format!(
            "INSERT INTO oms_order (status, total_amount, created_at, updated_at, customer_id) VALUES \
             ('pending', 999.99, {TS}, {TS}, (SELECT id FROM accounts_user WHERE username = 'admin'))"
        ),
        "INSERT INTO oms_orderitem (quantity, price, order_id, product_id, stock_id) VALUES \
         (1, 999.99, (SELECT MIN(id) FROM oms_order), \
         (SELECT id FROM products_product WHERE sku = 'SKU123'), (SELECT MIN(id) FROM wms_stock))"
            .to_owned(),
        format!(
            "INSERT INTO oms_payment (amount, payment_method, status, paid_at, created_at, order_id) \
             VALUES (999.99, 'Credit Card', 'pending', NULL, {TS}, (SELECT MIN(id) FROM oms_order))"
        ),
    ]
}

async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The single text column `j` of every row of `sql`.
async fn texts(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|row| row.try_get::<String>("", "j").expect("a text column j"))
        .collect()
}

fn legacy_list() -> String {
    LEGACY_TABLES
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn tables(db: &DatabaseConnection) -> Vec<String> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            texts(
                db,
                "SELECT table_name::text AS j FROM information_schema.tables \
                 WHERE table_schema = current_schema() ORDER BY 1",
            )
            .await
        }
        _ => {
            texts(
                db,
                "SELECT name AS j FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' ORDER BY 1",
            )
            .await
        }
    }
}

async fn indexes(db: &DatabaseConnection) -> Vec<String> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            texts(
                db,
                "SELECT indexname::text AS j FROM pg_indexes \
                 WHERE schemaname = current_schema() ORDER BY 1",
            )
            .await
        }
        _ => {
            texts(
                db,
                "SELECT name AS j FROM sqlite_master WHERE type = 'index' ORDER BY 1",
            )
            .await
        }
    }
}

/// Every row of the nine tables, as JSON text (PostgreSQL).
async fn pg_rows(db: &DatabaseConnection) -> Vec<String> {
    let mut all = Vec::new();
    for table in LEGACY_TABLES {
        let rows = texts(
            db,
            &format!(
                "SELECT '{table} ' || row_to_json(t)::text AS j FROM \"{table}\" t ORDER BY t.id"
            ),
        )
        .await;
        assert_eq!(rows.len(), 1, "one row in {table}");
        all.extend(rows);
    }
    all
}

/// Columns (name, position, type, length, precision, NULL, default, identity), constraints
/// (kind, definition, deferrability) and the legacy indexes of the nine tables (PostgreSQL).
async fn pg_legacy_schema(db: &DatabaseConnection) -> Vec<String> {
    let list = legacy_list();
    let mut all = texts(
        db,
        &format!(
            "SELECT concat_ws('|', table_name, column_name, ordinal_position, data_type, \
               coalesce(character_maximum_length::text, '-'), coalesce(numeric_precision::text, '-'), \
               coalesce(numeric_scale::text, '-'), is_nullable, coalesce(column_default, '-'), \
               is_identity, coalesce(identity_generation, '-')) AS j \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name IN ({list}) \
             ORDER BY table_name, ordinal_position"
        ),
    )
    .await;
    let columns = all.len();
    assert!(
        columns >= 50,
        "the nine tables have their columns: {columns}"
    );
    let constraints = texts(
        db,
        &format!(
            "SELECT concat_ws('|', r.relname, c.conname, c.contype, pg_get_constraintdef(c.oid), \
               c.condeferrable, c.condeferred) AS j \
             FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid \
             JOIN pg_namespace n ON n.oid = r.relnamespace \
             WHERE n.nspname = current_schema() AND r.relname IN ({list}) ORDER BY 1"
        ),
    )
    .await;
    assert!(
        constraints
            .iter()
            .any(|c| c.contains("CHECK ((quantity >= 0))")),
        "{constraints:#?}"
    );
    assert!(
        constraints.iter().any(|c| c
            .contains("oms_order_customer_id_3056ffc2_fk_accounts_user_id")
            && c.ends_with("|t|t")),
        "deferred foreign keys: {constraints:#?}"
    );
    all.extend(constraints);
    all.extend(
        texts(
            db,
            &format!(
                "SELECT indexname || '|' || indexdef AS j FROM pg_indexes \
                 WHERE schemaname = current_schema() AND tablename IN ({list}) \
                 AND indexname NOT LIKE 'gw\\_%' ORDER BY 1"
            ),
        )
        .await,
    );
    all
}

/// All the schema holds (tables, columns, indexes, the migrations table), to show that a
/// second `up` changes nothing (PostgreSQL).
async fn pg_everything(db: &DatabaseConnection) -> Vec<String> {
    let mut all = texts(
        db,
        "SELECT concat_ws('|', table_name, column_name, data_type, is_nullable, \
           coalesce(column_default, '-')) AS j FROM information_schema.columns \
         WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
    )
    .await;
    all.extend(
        texts(
            db,
            "SELECT indexname || '|' || indexdef AS j FROM pg_indexes \
             WHERE schemaname = current_schema() ORDER BY 1",
        )
        .await,
    );
    all.extend(
        texts(
            db,
            "SELECT row_to_json(m)::text AS j FROM gateway_migrations m ORDER BY version",
        )
        .await,
    );
    all.extend(pg_rows(db).await);
    all
}

/// Reads one row of every table through the gateway's entities (types and names match).
async fn read_through_entities(db: &DatabaseConnection) {
    use entity::prelude::*;
    assert_eq!(User::find().all(db).await.expect("users").len(), 1);
    assert_eq!(Category::find().all(db).await.expect("categories").len(), 1);
    let products = Product::find().all(db).await.expect("products");
    assert_eq!(products.len(), 1);
    assert_eq!(products[0].sku, "SKU123");
    assert_eq!(
        Warehouse::find().all(db).await.expect("warehouses").len(),
        1
    );
    assert_eq!(Location::find().all(db).await.expect("locations").len(), 1);
    let stock = Stock::find().all(db).await.expect("stock");
    assert_eq!(stock[0].quantity, 49);
    assert_eq!(Order::find().all(db).await.expect("orders").len(), 1);
    assert_eq!(OrderItem::find().all(db).await.expect("items").len(), 1);
    assert_eq!(Payment::find().all(db).await.expect("payments").len(), 1);
}

fn skip(test: &str) -> bool {
    if postgres_admin_url().is_none() {
        eprintln!("note: {test} needs PostgreSQL: set OMS_TEST_DATABASE_URL to run it (skipped)");
        return true;
    }
    false
}

#[tokio::test]
async fn postgres_legacy_database_is_left_as_it_is() {
    if skip("postgres_legacy_database_is_left_as_it_is") {
        return;
    }
    let admin = postgres_admin_url().unwrap();
    let database = TestDatabase::postgres(&admin).await;
    let db = database.connect().await;

    // the situation of a running Django deployment: its DDL, a row in each of its tables
    for statement in migration::sql::split_statements(LEGACY_SQL) {
        exec(&db, &statement).await;
    }
    for insert in legacy_rows() {
        exec(&db, &insert).await;
    }
    let rows = pg_rows(&db).await;
    let schema = pg_legacy_schema(&db).await;

    Migrator::up(&db, None).await.expect("the migrations apply");

    assert_eq!(pg_rows(&db).await, rows, "every row is kept unchanged");
    assert_eq!(
        pg_legacy_schema(&db).await,
        schema,
        "no legacy column, constraint or index changed"
    );
    let present = indexes(&db).await;
    for index in GATEWAY_INDEXES {
        assert!(present.iter().any(|i| i == index), "{index} in {present:?}");
    }
    assert!(
        tables(&db)
            .await
            .iter()
            .any(|t| t == "gateway_token_blacklist")
    );
    assert!(tables(&db).await.iter().any(|t| t == "gateway_idempotency"));
    assert!(!tables(&db).await.iter().any(|t| t == "seaql_migrations"));
    read_through_entities(&db).await;

    // a second `up` is a no-op
    let everything = pg_everything(&db).await;
    Migrator::up(&db, None).await.expect("a second up");
    assert_eq!(pg_everything(&db).await, everything);
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );

    // down all the way: the gateway's additions go, the legacy tables and rows stay
    Migrator::down(&db, None).await.expect("down all the way");
    assert_eq!(pg_rows(&db).await, rows);
    assert_eq!(pg_legacy_schema(&db).await, schema);
    let left = tables(&db).await;
    for table in LEGACY_TABLES {
        assert!(left.iter().any(|t| t == table), "{table} kept: {left:?}");
    }
    assert!(
        !left.iter().any(|t| t == "gateway_token_blacklist"
            || t == "gateway_meta"
            || t == "gateway_idempotency"),
        "{left:?}"
    );
    let left = indexes(&db).await;
    assert!(!left.iter().any(|i| i.starts_with("gw_")), "{left:?}");

    // and up again, then the legacy admin logs in through the gateway with its Django hash
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(pg_rows(&db).await, rows);
    let state = AppState::connect(test_settings(&database.url))
        .await
        .unwrap();
    let pair = oms_gateway::auth::service::login(&state, "admin", "admin12345")
        .await
        .expect("the legacy admin logs in");
    assert!(!pair.access.is_empty());
}

/// On an empty database the gateway creates the nine tables, with Django's constraints, and a
/// `down` all the way drops them again (the gateway created them).
async fn an_empty_database_gets_the_nine_tables(database: &TestDatabase) {
    let state = AppState::connect(test_settings(&database.url))
        .await
        .unwrap();
    let db = &state.db;
    assert!(tables(db).await.is_empty(), "starts empty");

    Migrator::up(db, None).await.expect("the migrations apply");
    let created = tables(db).await;
    for table in LEGACY_TABLES
        .iter()
        .chain(&["gateway_token_blacklist", "gateway_idempotency"])
    {
        assert!(created.iter().any(|t| t == table), "{table} in {created:?}");
    }
    let present = indexes(db).await;
    for index in GATEWAY_INDEXES {
        assert!(present.iter().any(|i| i == index), "{index} in {present:?}");
    }

    // Django-shaped rows fit
    for insert in legacy_rows() {
        exec(db, &insert).await;
    }

    let refused = |sql: String, what: &'static str| async move {
        let result = db.execute_unprepared(&sql).await;
        assert!(result.is_err(), "{what} must be refused: {sql}");
    };
    // UNIQUE
    refused(
        format!(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, \
             is_staff, is_active, date_joined, email) VALUES ('!', FALSE, 'admin', '', '', FALSE, \
             TRUE, {TS}, 'other@example.com')"
        ),
        "a duplicate username",
    )
    .await;
    refused(
        "INSERT INTO products_product (name, slug, sku, price, created_at, updated_at, category_id) \
         SELECT 'Laptop 2', 'laptop-2', 'SKU123', 1, created_at, updated_at, category_id \
         FROM products_product"
            .to_owned(),
        "a duplicate SKU",
    )
    .await;
    // CHECK
    refused(
        "UPDATE wms_stock SET quantity = -1".to_owned(),
        "a negative stock",
    )
    .await;
    refused(
        "UPDATE oms_orderitem SET quantity = -1".to_owned(),
        "a negative item quantity",
    )
    .await;
    // FOREIGN KEY
    refused(
        format!(
            "INSERT INTO oms_order (status, total_amount, created_at, updated_at, customer_id) \
             VALUES ('pending', 1, {TS}, {TS}, 987654)"
        ),
        "an order of a missing customer",
    )
    .await;
    refused(
        "INSERT INTO oms_payment (amount, payment_method, status, created_at, order_id) \
         SELECT 1, 'Cash', 'pending', created_at, 987654 FROM oms_order"
            .to_owned(),
        "a payment of a missing order",
    )
    .await;
    // and what is allowed still is (so the refusals were about the constraints)
    exec(db, "UPDATE wms_stock SET quantity = 0").await;
    exec(
        db,
        &format!(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, \
             is_staff, is_active, date_joined, email) VALUES ('!', FALSE, 'user', '', '', FALSE, \
             TRUE, {TS}, 'user@example.com')"
        ),
    )
    .await;

    Migrator::down(db, None).await.expect("down all the way");
    let left = tables(db).await;
    for table in LEGACY_TABLES.iter().chain(&[
        "gateway_token_blacklist",
        "gateway_meta",
        "gateway_idempotency",
    ]) {
        assert!(
            !left.iter().any(|t| t == table),
            "{table} dropped: {left:?}"
        );
    }
}

#[tokio::test]
async fn sqlite_empty_database_gets_the_nine_tables_with_constraints() {
    an_empty_database_gets_the_nine_tables(&TestDatabase::sqlite()).await;
}

#[tokio::test]
async fn postgres_empty_database_gets_the_nine_tables_with_constraints() {
    if skip("postgres_empty_database_gets_the_nine_tables_with_constraints") {
        return;
    }
    let database = TestDatabase::postgres(&postgres_admin_url().unwrap()).await;
    an_empty_database_gets_the_nine_tables(&database).await;
}

/// Some legacy tables but not all: `up` refuses, naming the missing ones, and creates none.
async fn a_partial_legacy_schema_is_refused(database: &TestDatabase) {
    let db = database.connect().await;
    if database.is_postgres() {
        let statements = migration::sql::split_statements(LEGACY_SQL);
        for statement in statements
            .iter()
            .filter(|s| s.contains("\"accounts_user\""))
            .take(3)
        {
            exec(&db, statement).await;
        }
    } else {
        exec(
            &db,
            "CREATE TABLE accounts_user (id integer NOT NULL PRIMARY KEY AUTOINCREMENT, \
             username varchar(150) NOT NULL UNIQUE)",
        )
        .await;
    }
    assert_eq!(tables(&db).await, ["accounts_user"]);

    let error = Migrator::up(&db, None)
        .await
        .expect_err("a partial legacy schema is refused")
        .to_string();
    for missing in LEGACY_TABLES.iter().filter(|t| **t != "accounts_user") {
        assert!(error.contains(missing), "{missing} named in: {error}");
    }
    assert!(error.contains("accounts_user"), "{error}");
    let after = tables(&db).await;
    for missing in LEGACY_TABLES.iter().filter(|t| **t != "accounts_user") {
        assert!(
            !after.iter().any(|t| t == missing),
            "{missing} not created: {after:?}"
        );
    }
    assert_eq!(
        Migrator::get_pending_migrations(&db).await.unwrap().len(),
        Migrator::migrations().len(),
        "nothing recorded as applied"
    );
}

#[tokio::test]
async fn sqlite_partial_legacy_schema_is_refused() {
    a_partial_legacy_schema_is_refused(&TestDatabase::sqlite()).await;
}

#[tokio::test]
async fn postgres_partial_legacy_schema_is_refused() {
    if skip("postgres_partial_legacy_schema_is_refused") {
        return;
    }
    let database = TestDatabase::postgres(&postgres_admin_url().unwrap()).await;
    a_partial_legacy_schema_is_refused(&database).await;
}

// ---- online migrations, triggers and leaving (issue 13) ----

/// Tables, indexes, triggers and functions of the schema (PostgreSQL).
async fn pg_objects(db: &DatabaseConnection) -> Vec<String> {
    let mut all: Vec<String> = tables(db)
        .await
        .into_iter()
        .map(|t| format!("table {t}"))
        .collect();
    all.extend(indexes(db).await.into_iter().map(|i| format!("index {i}")));
    all.extend(
        texts(
            db,
            "SELECT 'trigger ' || tgname::text AS j FROM pg_trigger t JOIN pg_class c \
             ON c.oid = t.tgrelid WHERE NOT t.tgisinternal \
             AND c.relnamespace = current_schema()::regnamespace ORDER BY 1",
        )
        .await,
    );
    all.extend(
        texts(
            db,
            "SELECT 'function ' || proname::text AS j FROM pg_proc \
             WHERE pronamespace = current_schema()::regnamespace ORDER BY 1",
        )
        .await,
    );
    all
}

/// The validity and identity of one index (PostgreSQL).
async fn index_state(db: &DatabaseConnection, name: &str) -> (bool, i64) {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT i.indisvalid AS valid, i.indexrelid::oid::bigint AS oid FROM pg_index i \
                 WHERE i.indexrelid = '{name}'::regclass"
            ),
        ))
        .await
        .unwrap()
        .expect("the index exists");
    (
        row.try_get::<bool>("", "valid").unwrap(),
        row.try_get::<i64>("", "oid").unwrap(),
    )
}

/// A legacy database (legacy-schema.sql and SimpleJWT's tables, a row in each legacy table).
async fn pg_legacy_with_rows() -> Option<TestDatabase> {
    let admin = postgres_admin_url()?;
    let database = TestDatabase::postgres(&admin).await;
    let db = database.connect().await;
    crate::legacy::run(&db, LEGACY_SQL).await;
    crate::legacy::run(&db, crate::legacy::SIMPLEJWT_POSTGRES).await;
    for insert in legacy_rows() {
        exec(&db, &insert).await;
    }
    Some(database)
}

#[tokio::test]
async fn postgres_an_invalid_gateway_index_is_rebuilt() {
    if skip("postgres_an_invalid_gateway_index_is_rebuilt") {
        return;
    }
    let database = pg_legacy_with_rows().await.unwrap();
    let db = database.connect().await;
    let first = migration::up(&db, false).await.expect("up");
    // the migration built them; the check after it found nothing to do
    assert_eq!(first.indexes, migration::IndexReport::default());
    let (valid, before) = index_state(&db, "gw_order_status_id").await;
    assert!(valid);

    // what a concurrent build that failed half-way leaves behind
    exec(
        &db,
        "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'gw_order_status_id'::regclass",
    )
    .await;
    let report = migration::up(&db, false).await.expect("up again");
    assert_eq!(report.indexes.rebuilt, ["gw_order_status_id"]);
    assert!(report.indexes.created.is_empty());
    let (valid, after) = index_state(&db, "gw_order_status_id").await;
    assert!(valid, "rebuilt valid");
    assert_ne!(before, after, "dropped and built again");

    // and when the index migration itself failed (not recorded), its next run redoes it
    exec(
        &db,
        "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'gw_payment_amount_id'::regclass",
    )
    .await;
    exec(
        &db,
        "DELETE FROM gateway_migrations WHERE version = 'm20251101_000002_gateway_indexes'",
    )
    .await;
    let report = migration::up(&db, false)
        .await
        .expect("the migration again");
    assert!(report.indexes.rebuilt.is_empty(), "{report:?}");
    assert!(index_state(&db, "gw_payment_amount_id").await.0);
}

/// While the gateway builds its indexes on a table that has an open writing transaction
/// (the legacy application mid-request), other writers are not blocked: the build waits, they
/// do not (a plain CREATE INDEX would queue them behind its lock).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_building_the_indexes_never_blocks_the_legacy_writers() {
    use migration::sea_orm::TransactionTrait;
    if skip("postgres_building_the_indexes_never_blocks_the_legacy_writers") {
        return;
    }
    let database = pg_legacy_with_rows().await.unwrap();
    let insert = format!(
        "INSERT INTO oms_order (status, total_amount, created_at, updated_at, customer_id) \
         SELECT 'pending', 1, {TS}, {TS}, id FROM accounts_user"
    );
    let open = database.connect().await;
    let mid_request = open.begin().await.unwrap();
    mid_request.execute_unprepared(&insert).await.unwrap();

    let db = database.connect().await;
    let migrating = tokio::spawn(async move { migration::up(&db, false).await });
    // the build has started and waits for the open transaction
    let watcher = database.connect().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let waiting = texts(
            &watcher,
            "SELECT query AS j FROM pg_stat_activity WHERE datname = current_database() \
             AND query LIKE 'CREATE INDEX CONCURRENTLY%' AND wait_event_type = 'Lock'",
        )
        .await;
        if !waiting.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the concurrent build never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // another writer gets through at once
    let writer = database.connect().await;
    let other = writer.begin().await.unwrap();
    other
        .execute_unprepared("SET LOCAL statement_timeout = '3s'")
        .await
        .unwrap();
    other
        .execute_unprepared(&insert)
        .await
        .expect("a writer is not blocked by the index build");
    other.commit().await.unwrap();
    assert!(
        !migrating.is_finished(),
        "the build waits for the open transaction"
    );

    mid_request.commit().await.unwrap();
    let report = tokio::time::timeout(std::time::Duration::from_secs(60), migrating)
        .await
        .expect("the build finishes once the transaction ends")
        .unwrap()
        .expect("the migrations apply");
    assert_eq!(report.indexes, migration::IndexReport::default());
    for (name, _, _) in migration::INDEXES {
        assert!(index_state(&watcher, name).await.0, "{name} valid");
    }
}

/// Up (with the change triggers) then down --all on a legacy database: exactly its tables,
/// indexes, triggers and functions are left, with every row; `gateway_migrations` too is gone.
#[tokio::test]
async fn postgres_down_all_leaves_the_legacy_database_as_it_was() {
    if skip("postgres_down_all_leaves_the_legacy_database_as_it_was") {
        return;
    }
    let database = pg_legacy_with_rows().await.unwrap();
    let db = database.connect().await;
    let objects = pg_objects(&db).await;
    let rows = pg_rows(&db).await;

    let report = migration::up(&db, true).await.expect("up with triggers");
    assert!(report.triggers);
    assert!(migration::triggers::installed(&db).await.unwrap());
    let added = pg_objects(&db).await;
    for wanted in [
        "table gateway_migrations",
        "table gateway_token_blacklist",
        "index gw_order_status_id",
        "trigger gw_order_created",
        "trigger gw_orderitem_changed",
        "function gateway_item_changed",
    ] {
        assert!(added.iter().any(|o| o == wanted), "{wanted} in {added:#?}");
    }

    let remains = migration::down_all(&db).await.expect("down --all");
    assert_eq!(remains, migration::Remains::LegacyTables);
    assert_eq!(
        pg_objects(&db).await,
        objects,
        "exactly what was there before"
    );
    assert_eq!(pg_rows(&db).await, rows);
}

/// On a database the gateway filled itself, down --all leaves it empty.
async fn down_all_empties_what_the_gateway_created(database: &TestDatabase) {
    let db = database.connect().await;
    migration::up(&db, false).await.expect("up");
    assert!(!tables(&db).await.is_empty());
    let remains = migration::down_all(&db).await.expect("down --all");
    assert_eq!(remains, migration::Remains::Nothing);
    assert_eq!(tables(&db).await, Vec::<String>::new());
    let left: Vec<String> = indexes(&db)
        .await
        .into_iter()
        .filter(|i| !i.starts_with("sqlite_"))
        .collect();
    assert_eq!(left, Vec::<String>::new());
}

#[tokio::test]
async fn sqlite_down_all_empties_what_the_gateway_created() {
    down_all_empties_what_the_gateway_created(&TestDatabase::sqlite()).await;
}

#[tokio::test]
async fn postgres_down_all_empties_what_the_gateway_created() {
    if skip("postgres_down_all_empties_what_the_gateway_created") {
        return;
    }
    let database = TestDatabase::postgres(&postgres_admin_url().unwrap()).await;
    down_all_empties_what_the_gateway_created(&database).await;
}

/// `oms-gateway migrate ...` of the binary, on `url`: (success, stdout, stderr).
fn cli(url: &str, args: &[&str]) -> (bool, String, String) {
    let output = crate::process::command()
        .env("DATABASE_URL", url)
        .arg("migrate")
        .args(args)
        .output()
        .expect("run oms-gateway");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The command line: `migrate down --all` says what it left; the flags refuse the wrong
/// action; triggers are refused on SQLite and installed (then removed) on PostgreSQL.
#[tokio::test]
async fn the_migrate_command_goes_down_all_the_way_and_installs_triggers() {
    let database = TestDatabase::create().await;
    let url = database.url.as_str();
    let (ok, out, err) = cli(url, &["up"]);
    assert!(ok, "{out}{err}");
    let (ok, _, err) = cli(url, &["status", "--all"]);
    assert!(
        !ok && err.contains("--all goes with `migrate down`"),
        "{err}"
    );
    let (ok, _, err) = cli(url, &["down", "--with-triggers"]);
    assert!(
        !ok && err.contains("--with-triggers goes with `migrate up`"),
        "{err}"
    );

    let (ok, out, err) = cli(url, &["up", "--with-triggers"]);
    let db = database.connect().await;
    if database.is_postgres() {
        assert!(ok, "{out}{err}");
        assert!(out.contains("change triggers installed"), "{out}");
        assert!(migration::triggers::installed(&db).await.unwrap());
    } else {
        assert!(!ok, "{out}");
        assert!(err.contains("change triggers need PostgreSQL"), "{err}");
    }

    let (ok, out, err) = cli(url, &["down", "--all"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("nothing of the gateway is left"), "{out}");
    assert_eq!(tables(&db).await, Vec::<String>::new());
    if database.is_postgres() {
        assert!(
            pg_objects(&db).await.is_empty(),
            "{:?}",
            pg_objects(&db).await
        );
    }
}
