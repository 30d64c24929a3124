//! Idempotent retries over GraphQL: `createOrder(input, idempotencyKey)` and
//! `createPayment(input, idempotencyKey)`. A retry with the same key returns what the first
//! request created and writes nothing (no order, no stock taken, no event), also when the
//! duplicates arrive at once; the same key with another input is a CONFLICT; keys are per user
//! and expire.

use std::time::Duration;

use chrono::Utc;
use entity::{order, payment};
use futures_util::StreamExt;
use oms_gateway::auth::ReadScope;
use oms_gateway::config::AuthzMode;
use oms_gateway::events::{EventFilter, Topic};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::fixtures::{Demo, data, demo, error_code};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const CREATE_ORDER: &str = "mutation($i: CreateOrderInput!, $k: String) { createOrder(input: $i, idempotencyKey: $k) { id status totalAmount customer { id } items { quantity stock { quantity } } } }";
const CREATE_PAYMENT: &str = "mutation($i: CreatePaymentInput!, $k: String) { createPayment(input: $i, idempotencyKey: $k) { id amount status order { id } } }";

fn laptops(d: &Demo, quantity: i64) -> Value {
    json!({ "items": [{ "productId": d.laptop, "quantity": quantity, "stockId": d.stock }] })
}

async fn create_order(app: &TestApp, token: &str, input: &Value, key: Option<&str>) -> Value {
    app.gql(CREATE_ORDER, json!({ "i": input, "k": key }), Some(token))
        .await
}

fn order_id(r: &Value) -> i64 {
    data(r)["createOrder"]["id"].as_i64().expect("an order id")
}

async fn orders(app: &TestApp) -> u64 {
    order::Entity::find().count(app.db()).await.unwrap()
}

async fn payments(app: &TestApp) -> u64 {
    payment::Entity::find().count(app.db()).await.unwrap()
}

async fn key_rows(app: &TestApp) -> u64 {
    let q = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from("gateway_idempotency")
        .to_owned();
    let row = app.db().query_one(&q).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap() as u64
}

/// Makes every stored key look `hours` old.
async fn age_keys(app: &TestApp, hours: i64) {
    let q = Query::update()
        .table("gateway_idempotency")
        .value("created_at", Utc::now() - chrono::Duration::hours(hours))
        .to_owned();
    app.db().execute(&q).await.unwrap();
}

#[tokio::test]
async fn a_retried_create_order_returns_the_first_order_and_creates_nothing() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let mut events = app.state.events.subscribe(EventFilter {
        topic: Topic::Orders,
        scope: ReadScope::All,
        order_id: None,
        customer_id: None,
    });
    let before = orders(&app).await;

    let first = create_order(&app, &d.user, &laptops(&d, 2), Some("order-1")).await;
    let id = order_id(&first);
    events_until(&mut events, id).await;
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 47);

    for _ in 0..3 {
        let again = create_order(&app, &d.user, &laptops(&d, 2), Some("order-1")).await;
        assert_eq!(data(&again), data(&first), "the same order again");
    }
    assert_eq!(orders(&app).await, before + 1, "one order for the key");
    assert_eq!(
        app.stock_quantity(&d.admin, d.stock).await,
        47,
        "the stock is taken once"
    );

    // the replays published nothing: the next event is of the next order
    let next = create_order(&app, &d.user, &laptops(&d, 1), None).await;
    let between = events_until(&mut events, order_id(&next)).await;
    assert!(
        !between.contains(&id),
        "a replay sent an event: {between:?}"
    );
}

/// The order ids of the events received before the one of `order_id` (which must come).
async fn events_until(events: &mut oms_gateway::events::Subscriber, order_id: i64) -> Vec<i64> {
    let mut seen = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(5), events.next())
            .await
            .expect("the awaited event")
            .expect("the stream goes on")
            .expect("not dropped");
        if event.order_id() == order_id {
            return seen;
        }
        seen.push(event.order_id());
    }
}

#[tokio::test]
async fn concurrent_create_orders_with_one_key_create_one_order() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let before = orders(&app).await;
    let input = laptops(&d, 3);
    let tasks: Vec<_> = (0..12)
        .map(|_| create_order(&app, &d.user, &input, Some("at-once")))
        .collect();
    let answers = futures_util::future::join_all(tasks).await;
    let ids: Vec<i64> = answers.iter().map(order_id).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one order: {ids:?}");
    assert_eq!(orders(&app).await, before + 1);
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 46);
}

#[tokio::test]
async fn duplicates_of_the_last_units_replay_instead_of_running_out() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (product, stock) = app.product_with_stock(&d, "Scarce", "10.00", 1).await;
    let input = json!({ "items": [{ "productId": product, "quantity": 1, "stockId": stock }] });
    let tasks: Vec<_> = (0..10)
        .map(|_| create_order(&app, &d.user, &input, Some("the-last-one")))
        .collect();
    let answers = futures_util::future::join_all(tasks).await;
    let ids: Vec<i64> = answers.iter().map(order_id).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{answers:?}");
    assert_eq!(app.stock_quantity(&d.admin, stock).await, 0);
}

#[tokio::test]
async fn the_same_key_with_another_input_is_a_conflict() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let first = create_order(&app, &d.user, &laptops(&d, 1), Some("k")).await;
    order_id(&first);
    let before = orders(&app).await;
    let other = create_order(&app, &d.user, &laptops(&d, 5), Some("k")).await;
    assert_eq!(error_code(&other), "CONFLICT", "{other}");
    assert_eq!(
        other["errors"][0]["extensions"]["fields"]["idempotencyKey"],
        json!(["This idempotencyKey was already used for a different input."])
    );
    assert_eq!(orders(&app).await, before);
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 48);

    // equal inputs spelled differently are the same request: the default customer, price
    // trailing zeros, the default status
    let spelled = json!({ "customerId": d.user_id, "status": "PENDING", "items": [
        { "productId": d.laptop, "quantity": 1, "stockId": d.stock, "price": "999.990" }
    ] });
    let first_priced = json!({ "items": [
        { "productId": d.laptop, "quantity": 1, "stockId": d.stock, "price": "999.99" }
    ] });
    let a = create_order(&app, &d.user, &first_priced, Some("spelled")).await;
    let b = create_order(&app, &d.user, &spelled, Some("spelled")).await;
    assert_eq!(order_id(&a), order_id(&b));
}

#[tokio::test]
async fn keys_belong_to_their_user() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let mine = create_order(&app, &d.user, &laptops(&d, 1), Some("shared")).await;
    let theirs = create_order(&app, &d.admin, &laptops(&d, 1), Some("shared")).await;
    assert_ne!(order_id(&mine), order_id(&theirs));
    assert_eq!(data(&mine)["createOrder"]["customer"]["id"], d.user_id);
    assert_eq!(data(&theirs)["createOrder"]["customer"]["id"], d.admin_id);
    // and another input under that key is refused only for its own user
    let other = create_order(&app, &d.admin, &laptops(&d, 4), Some("shared")).await;
    assert_eq!(error_code(&other), "CONFLICT");
}

#[tokio::test]
async fn without_a_key_every_request_creates() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let a = create_order(&app, &d.user, &laptops(&d, 1), None).await;
    let b = create_order(&app, &d.user, &laptops(&d, 1), None).await;
    assert_ne!(order_id(&a), order_id(&b));
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 47);
    assert_eq!(key_rows(&app).await, 0, "nothing recorded without a key");
}

#[tokio::test]
async fn a_refused_create_records_no_key() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (product, stock) = app.product_with_stock(&d, "Few", "5.00", 2).await;
    let input = json!({ "items": [{ "productId": product, "quantity": 3, "stockId": stock }] });
    let refused = create_order(&app, &d.user, &input, Some("too-many")).await;
    assert_eq!(error_code(&refused), "CONFLICT", "insufficient stock");
    assert_eq!(key_rows(&app).await, 0, "rolled back with the order");

    // once there is stock, the same key places the order
    let adjusted = app
        .gql(
            "mutation($s: Int!) { adjustStock(id: $s, delta: 5) { quantity } }",
            json!({ "s": stock }),
            Some(&d.admin),
        )
        .await;
    data(&adjusted);
    let placed = create_order(&app, &d.user, &input, Some("too-many")).await;
    let id = order_id(&placed);
    let again = create_order(&app, &d.user, &input, Some("too-many")).await;
    assert_eq!(order_id(&again), id);
    assert_eq!(app.stock_quantity(&d.admin, stock).await, 4);
}

#[tokio::test]
async fn a_bad_key_is_bad_user_input() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let before = orders(&app).await;
    for key in ["", "   ", &"k".repeat(256), "tab\there", "clé"] {
        let r = create_order(&app, &d.user, &laptops(&d, 1), Some(key)).await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{key:?}: {r}");
        assert_eq!(
            r["errors"][0]["extensions"]["fields"]["idempotencyKey"],
            json!(["must be 1 to 255 printable ASCII characters"])
        );
    }
    let longest = create_order(&app, &d.user, &laptops(&d, 1), Some(&"k".repeat(255))).await;
    order_id(&longest);
    assert_eq!(orders(&app).await, before + 1);
}

#[tokio::test]
async fn an_expired_key_counts_as_new_and_old_keys_are_purged() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let first = order_id(&create_order(&app, &d.user, &laptops(&d, 1), Some("old")).await);
    create_order(&app, &d.user, &laptops(&d, 1), Some("older")).await;
    assert_eq!(key_rows(&app).await, 2);
    age_keys(&app, 25).await;

    // a day later the key is free again, even for another input
    let later = create_order(&app, &d.user, &laptops(&d, 2), Some("old")).await;
    assert_ne!(order_id(&later), first);
    // and the other expired key is gone
    assert_eq!(key_rows(&app).await, 1);
    let again = create_order(&app, &d.user, &laptops(&d, 2), Some("old")).await;
    assert_eq!(order_id(&again), order_id(&later));

    // a key within the day still holds
    age_keys(&app, 23).await;
    let held = create_order(&app, &d.user, &laptops(&d, 2), Some("old")).await;
    assert_eq!(order_id(&held), order_id(&later));
}

#[tokio::test]
async fn the_time_to_live_is_a_setting() {
    let app = spawn_app_with(|s| s.idempotency_ttl = Duration::from_secs(1)).await;
    let d = demo(&app).await;
    let first = order_id(&create_order(&app, &d.user, &laptops(&d, 1), Some("brief")).await);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = order_id(&create_order(&app, &d.user, &laptops(&d, 1), Some("brief")).await);
    assert_ne!(first, second);
}

async fn create_payment(app: &TestApp, token: &str, input: &Value, key: Option<&str>) -> Value {
    app.gql(CREATE_PAYMENT, json!({ "i": input, "k": key }), Some(token))
        .await
}

fn payment_id(r: &Value) -> i64 {
    data(r)["createPayment"]["id"]
        .as_i64()
        .expect("a payment id")
}

#[tokio::test]
async fn create_payment_is_idempotent_too() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let input = json!({ "orderId": d.order, "amount": "100.00", "paymentMethod": "Card" });
    let before = payments(&app).await;
    let first = create_payment(&app, &d.user, &input, Some("pay-1")).await;
    let again = create_payment(&app, &d.user, &input, Some("pay-1")).await;
    assert_eq!(data(&again), data(&first));
    assert_eq!(payments(&app).await, before + 1);

    let other = json!({ "orderId": d.order, "amount": "100.01", "paymentMethod": "Card" });
    let refused = create_payment(&app, &d.user, &other, Some("pay-1")).await;
    assert_eq!(error_code(&refused), "CONFLICT");
    assert_eq!(payments(&app).await, before + 1);

    // the same key names another thing for another operation
    let order = create_order(&app, &d.user, &laptops(&d, 1), Some("pay-1")).await;
    order_id(&order);

    let tasks: Vec<_> = (0..10)
        .map(|_| create_payment(&app, &d.user, &other, Some("pay-2")))
        .collect();
    let answers = futures_util::future::join_all(tasks).await;
    let ids: Vec<i64> = answers.iter().map(payment_id).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(payments(&app).await, before + 2);
}

#[tokio::test]
async fn legacy_authz_retries_the_same_way() {
    let app = spawn_app_with(|s| s.authz = AuthzMode::Legacy).await;
    let d = demo(&app).await;
    let input = json!({ "customerId": d.admin_id, "status": "CONFIRMED", "items": [
        { "productId": d.laptop, "quantity": 1, "stockId": d.stock }
    ] });
    let a = create_order(&app, &d.user, &input, Some("legacy")).await;
    let b = create_order(&app, &d.user, &input, Some("legacy")).await;
    assert_eq!(order_id(&a), order_id(&b));
    assert_eq!(data(&a)["createOrder"]["status"], "CONFIRMED");
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 48);
}

#[tokio::test]
async fn a_key_costs_five_statements_more_and_its_replay_fewer() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let cost = async |key: Option<&str>| {
        let before = app.sql_count();
        let r = create_order(&app, &d.user, &laptops(&d, 1), key).await;
        order_id(&r);
        app.sql_count() - before
    };
    let plain = cost(None).await;
    assert_eq!(cost(None).await, plain);
    // the caller's own lookup (a key is checked before the references are read, which the
    // lookup rides on without one), the key's look-up, the claim, the completion, the purge
    assert_eq!(cost(Some("a")).await, plain + 5);
    assert_eq!(cost(Some("b")).await, plain + 5);
    // a replay reads the caller, the key, the order it answers with and that answer's
    // relations, and nothing else: a plain create reads the same relations after its
    // references (one statement, the caller riding along) and its write
    let postgres = app.state.db.get_database_backend() == DbBackend::Postgres;
    let write = if postgres { 1 } else { 3 };
    let relations = plain - 1 - write;
    assert_eq!(cost(Some("a")).await, 3 + relations);
}

/// What placing an order costs, which the W1 benchmark measures: the references with the
/// caller's lookup riding along, then the write (the order, its items, the stock and on
/// PostgreSQL the `pg_notify` of its event: one statement there, three on SQLite), all in the
/// write's one transaction, whether the order comes through GraphQL or REST (the REST answer
/// adds the order's relations, rendered there too).
#[tokio::test]
async fn placing_an_order_costs_one_statement_per_step() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let postgres = app.state.db.get_database_backend() == DbBackend::Postgres;
    // on PostgreSQL the write is one statement (data-modifying CTEs and the event's
    // `pg_notify`)
    let write = if postgres { 1 } else { 3 };
    let w1 =
        "mutation W1($input: CreateOrderInput!) { createOrder(input: $input) { id totalAmount } }";
    let before = app.sql_count();
    let r = app
        .gql(w1, json!({ "input": laptops(&d, 1) }), Some(&d.user))
        .await;
    assert!(data(&r)["createOrder"]["id"].is_i64(), "{r}");
    assert_eq!(app.sql_count() - before, 1 + write);

    let body = json!({ "customer_id": d.user_id, "items": [
        { "product_id": d.laptop, "quantity": 1, "price": "999.99", "stock_id": d.stock }
    ] });
    let before = app.sql_count();
    let r = app
        .post_json("/api/erp/oms/orders/", &body, Some(&d.user))
        .await;
    assert_eq!(r.status, reqwest::StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(app.sql_count() - before, 2 + write);
}
