//! Change events from every writer (PostgreSQL): with the change triggers installed
//! (`migrate up --with-triggers`), orders, items and payments written with plain SQL, as the
//! Django application writes them, reach `/graphql/ws` subscribers; an order written with its
//! items is one `CREATED`, one deleted with its items and payments one `DELETED` (and its
//! payments' `DELETED`), and the gateway's own writes are announced once, not twice.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;

use super::support::*;
use super::{CREATE_ORDER, demo};

const ORDERS: &str =
    "subscription { orderEvents { kind orderId order { status totalAmount items { quantity } } } }";
const PAYMENTS: &str =
    "subscription { paymentEvents { kind paymentId orderId payment { amount } } }";
const TS: &str = "'2025-11-08 10:00:00+00'";

/// Runs `statements` in one transaction, as one Django request does.
async fn in_one_transaction(db: &DatabaseConnection, statements: &[String]) {
    let txn = db.begin().await.unwrap();
    for sql in statements {
        txn.execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    txn.commit().await.unwrap();
}

async fn id_of(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(sea_orm::Statement::from_string(
        sea_orm::DbBackend::Postgres,
        sql,
    ))
    .await
    .unwrap()
    .expect("a row")
    .try_get::<i64>("", "id")
    .unwrap()
}

#[tokio::test]
async fn changes_written_with_sql_reach_the_subscribers_once() {
    let app = spawn_app().await;
    if !app.db.is_postgres() {
        eprintln!(
            "SKIPPED changes_written_with_sql_reach_the_subscribers_once: set OMS_TEST_DATABASE_URL to run it on PostgreSQL"
        );
        return;
    }
    let d = demo(&app).await;
    migration::triggers::install(&app.state.db)
        .await
        .expect("the triggers install");
    assert!(
        app.state
            .events
            .detect_triggers(&app.state.db)
            .await
            .unwrap()
    );

    let sql = app.db.connect().await;
    sql.execute_unprepared(&format!(
        "INSERT INTO products_product (name, slug, sku, price, created_at, updated_at, category_id) \
         SELECT 'Mouse', 'mouse', 'SKU-MOUSE', 25.00, {TS}, {TS}, category_id FROM products_product LIMIT 1"
    ))
    .await
    .unwrap();
    let mouse = id_of(
        &sql,
        "SELECT id FROM products_product WHERE sku = 'SKU-MOUSE'",
    )
    .await;

    let mut orders = WsClient::connect(&app, TRANSPORT_WS, None).await;
    orders
        .init(json!({ "Authorization": format!("Bearer {}", d.admin) }))
        .await;
    orders.subscribe("o", ORDERS, json!({})).await;
    let mut payments = WsClient::connect(&app, TRANSPORT_WS, None).await;
    payments
        .init(json!({ "Authorization": format!("Bearer {}", d.admin) }))
        .await;
    payments.subscribe("p", PAYMENTS, json!({})).await;
    app.wait_for_subscribers(2).await;
    let quiet = Duration::from_millis(400);

    // Django's create: the order (total 0), its items, then the total saved
    let order = id_of(
        &sql,
        &format!(
            "INSERT INTO oms_order (status, total_amount, created_at, updated_at, customer_id) \
             VALUES ('pending', 0, {TS}, {TS}, {}) RETURNING id",
            d.user_id
        ),
    )
    .await;
    // (the insert above committed alone: this order's CREATED; now a second one, the Django way)
    let created = orders.next_data("o").await["orderEvents"].clone();
    assert_eq!(
        (created["kind"].clone(), created["orderId"].clone()),
        (json!("CREATED"), json!(order))
    );
    in_one_transaction(
        &sql,
        &[
            format!(
                "INSERT INTO oms_order (id, status, total_amount, created_at, updated_at, customer_id) \
                 VALUES ({order} + 1000, 'pending', 0, {TS}, {TS}, {})",
                d.user_id
            ),
            format!(
                "INSERT INTO oms_orderitem (quantity, price, order_id, product_id, stock_id) \
                 VALUES (2, 999.99, {order} + 1000, {}, {})",
                d.product_id, d.stock_id
            ),
            format!(
                "INSERT INTO oms_orderitem (quantity, price, order_id, product_id, stock_id) \
                 VALUES (1, 25.00, {order} + 1000, {mouse}, NULL)"
            ),
            format!("UPDATE oms_order SET total_amount = 2024.98, updated_at = now() WHERE id = {order} + 1000"),
        ],
    )
    .await;
    let big = order + 1000;
    let event = orders.next_data("o").await["orderEvents"].clone();
    assert_eq!(event["kind"], "CREATED", "{event}");
    assert_eq!(event["orderId"], big);
    assert_eq!(event["order"]["totalAmount"], "2024.98");
    assert_eq!(event["order"]["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        orders.quiet_for(quiet).await,
        None,
        "one CREATED, nothing more"
    );

    // an item changed alone: its order UPDATED
    sql.execute_unprepared(&format!(
        "UPDATE oms_orderitem SET quantity = 3 WHERE order_id = {big} AND product_id = {mouse}"
    ))
    .await
    .unwrap();
    let event = orders.next_data("o").await["orderEvents"].clone();
    assert_eq!(
        (event["kind"].clone(), event["orderId"].clone()),
        (json!("UPDATED"), json!(big))
    );
    assert_eq!(orders.quiet_for(quiet).await, None);

    // a payment: its own event, and nothing on the orders
    let payment = id_of(
        &sql,
        &format!(
            "INSERT INTO oms_payment (amount, payment_method, status, paid_at, created_at, order_id) \
             VALUES (24.98, 'Cash', 'pending', NULL, {TS}, {big}) RETURNING id"
        ),
    )
    .await;
    let event = payments.next_data("p").await["paymentEvents"].clone();
    assert_eq!(event["kind"], "CREATED");
    assert_eq!(event["paymentId"], payment);
    assert_eq!(event["orderId"], big);
    assert_eq!(event["payment"]["amount"], "24.98");
    assert_eq!(orders.quiet_for(quiet).await, None);

    // the order's status changed with SQL
    sql.execute_unprepared(&format!(
        "UPDATE oms_order SET status = 'confirmed', updated_at = now() WHERE id = {big}"
    ))
    .await
    .unwrap();
    let event = orders.next_data("o").await["orderEvents"].clone();
    assert_eq!(event["kind"], "UPDATED");
    assert_eq!(event["order"]["status"], "CONFIRMED");

    // Django's delete: items, payments, then the order, in one transaction
    in_one_transaction(
        &sql,
        &[
            format!("DELETE FROM oms_orderitem WHERE order_id = {big}"),
            format!("DELETE FROM oms_payment WHERE order_id = {big}"),
            format!("DELETE FROM oms_order WHERE id = {big}"),
        ],
    )
    .await;
    let event = payments.next_data("p").await["paymentEvents"].clone();
    assert_eq!(
        (event["kind"].clone(), event["paymentId"].clone()),
        (json!("DELETED"), json!(payment))
    );
    let event = orders.next_data("o").await["orderEvents"].clone();
    assert_eq!(event["kind"], "DELETED", "{event}");
    assert_eq!(event["orderId"], big);
    assert_eq!(
        orders.quiet_for(quiet).await,
        None,
        "no UPDATED for the items"
    );
    assert_eq!(payments.quiet_for(quiet).await, None);

    // a write through the gateway: announced once (by the triggers), not twice
    let data = app
        .gql_ok(
            Some(&d.admin),
            CREATE_ORDER,
            json!({ "input": {
                "customerId": d.user_id,
                "items": [{ "productId": d.product_id, "quantity": 1, "stockId": d.stock_id }],
            }}),
        )
        .await;
    let id = data["createOrder"]["id"].as_i64().unwrap();
    let event = orders.next_data("o").await["orderEvents"].clone();
    assert_eq!(
        (event["kind"].clone(), event["orderId"].clone()),
        (json!("CREATED"), json!(id))
    );
    assert_eq!(orders.quiet_for(quiet).await, None, "not doubled");

    // without the triggers, a plain SQL write is not announced (the gateway's own still are)
    migration::triggers::remove(&app.state.db).await.unwrap();
    assert!(
        !app.state
            .events
            .detect_triggers(&app.state.db)
            .await
            .unwrap()
    );
    sql.execute_unprepared(&format!(
        "UPDATE oms_order SET status = 'confirmed' WHERE id = {id}"
    ))
    .await
    .unwrap();
    assert_eq!(orders.quiet_for(quiet).await, None);
}

/// Triggers installed while a gateway runs: its maintenance task notices, and from then on the
/// gateway leaves the announcing to them (and takes it back when they go).
#[tokio::test]
async fn a_running_gateway_notices_triggers_installed_later() {
    let app = spawn_app().await;
    if !app.db.is_postgres() {
        eprintln!(
            "SKIPPED a_running_gateway_notices_triggers_installed_later: set OMS_TEST_DATABASE_URL to run it on PostgreSQL"
        );
        return;
    }
    let task = oms_gateway::server::start_maintenance(app.state.clone(), Duration::from_millis(50));
    let wait_for = |wanted: bool| {
        let events = app.state.events.clone();
        async move {
            let deadline = std::time::Instant::now() + WAIT;
            while events.triggers_announce() != wanted {
                assert!(
                    std::time::Instant::now() < deadline,
                    "never became {wanted}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_for(false).await;
    migration::triggers::install(&app.state.db).await.unwrap();
    wait_for(true).await;
    migration::triggers::remove(&app.state.db).await.unwrap();
    wait_for(false).await;
    task.abort();
}
