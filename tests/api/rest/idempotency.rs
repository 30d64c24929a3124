//! `Idempotency-Key` on `POST /api/erp/oms/orders/` and `/payments/`: a retry with the same key
//! and body answers the first 201 again (the same body, `Idempotent-Replayed: true`) and creates
//! nothing, also when the duplicates arrive at once; another body under the key is a 422; keys
//! are per user and expire.

use entity::{order, payment, stock};
use reqwest::StatusCode;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::rest::support::{Answer, TestApp, spawn};

const ORDERS: &str = "/api/erp/oms/orders/";
const PAYMENTS: &str = "/api/erp/oms/payments/";

/// A POST with the given `Idempotency-Key` headers (none, one, or several).
async fn post_keyed(app: &TestApp, path: &str, token: &str, keys: &[&str], body: &Value) -> Answer {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut request = client.post(app.url(path)).bearer_auth(token).json(body);
    for key in keys {
        request = request.header("Idempotency-Key", *key);
    }
    let response = request.send().await.expect("answered");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Answer {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

fn order_body(app: &TestApp, customer: i64, quantity: i64) -> Value {
    json!({
        "customer_id": customer,
        "items": [{ "product_id": app.demo.laptop, "quantity": quantity, "price": "999.99", "stock_id": app.demo.stock }],
    })
}

async fn orders(app: &TestApp) -> u64 {
    order::Entity::find().count(&app.state.db).await.unwrap()
}

async fn payments(app: &TestApp) -> u64 {
    payment::Entity::find().count(&app.state.db).await.unwrap()
}

async fn stock_left(app: &TestApp) -> i32 {
    stock::Entity::find_by_id(app.demo.stock)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .quantity
}

#[tokio::test]
async fn a_retried_post_answers_the_first_201_and_creates_nothing() {
    let app = spawn().await;
    let token = app.customer().await;
    let body = order_body(&app, app.demo.user, 2);
    let before = orders(&app).await;

    let first = post_keyed(&app, ORDERS, &token, &["retry-1"], &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(first.body["status"], "pending");
    assert_eq!(stock_left(&app).await, 47);

    // the order changes meanwhile; the replay is still the first answer
    let id = first.body["id"].as_i64().unwrap();
    let admin = app.admin().await;
    let confirmed = app
        .patch(
            &format!("{ORDERS}{id}/"),
            Some(&admin),
            &json!({"status": "confirmed"}),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK);

    for _ in 0..2 {
        let again = post_keyed(&app, ORDERS, &token, &["retry-1"], &body).await;
        assert_eq!(again.status, StatusCode::CREATED);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.body, first.body, "the first answer, as it was");
    }
    assert_eq!(orders(&app).await, before + 1);
    assert_eq!(stock_left(&app).await, 47);
}

#[tokio::test]
async fn concurrent_posts_with_one_key_create_one_order() {
    let app = spawn().await;
    let token = app.customer().await;
    let body = order_body(&app, app.demo.user, 1);
    let before = orders(&app).await;
    let tasks: Vec<_> = (0..12)
        .map(|_| post_keyed(&app, ORDERS, &token, &["burst"], &body))
        .collect();
    let answers = futures_util::future::join_all(tasks).await;
    for a in &answers {
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert_eq!(a.body, answers[0].body);
    }
    let replayed = answers
        .iter()
        .filter(|a| a.header("idempotent-replayed") == Some("true"))
        .count();
    assert_eq!(replayed, 11, "all but the first are replays");
    assert_eq!(orders(&app).await, before + 1);
    assert_eq!(stock_left(&app).await, 48);
}

#[tokio::test]
async fn another_body_under_the_key_is_refused_with_422() {
    let app = spawn().await;
    let token = app.customer().await;
    let first = post_keyed(
        &app,
        ORDERS,
        &token,
        &["k"],
        &order_body(&app, app.demo.user, 1),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let before = orders(&app).await;
    let other = post_keyed(
        &app,
        ORDERS,
        &token,
        &["k"],
        &order_body(&app, app.demo.user, 2),
    )
    .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        other.body,
        json!({"detail": "This Idempotency-Key was already used for a different request."})
    );
    assert_eq!(orders(&app).await, before);
    assert_eq!(stock_left(&app).await, 48);

    // the same body with its keys in another order is the same request
    let reordered = json!({
        "items": [{ "stock_id": app.demo.stock, "price": "999.99", "quantity": 1, "product_id": app.demo.laptop }],
        "customer_id": app.demo.user,
    });
    let again = post_keyed(&app, ORDERS, &token, &["k"], &reordered).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body);
}

#[tokio::test]
async fn a_bad_key_is_a_400() {
    let app = spawn().await;
    let token = app.customer().await;
    let body = order_body(&app, app.demo.user, 1);
    let before = orders(&app).await;
    let long = "k".repeat(256);
    for keys in [&[""][..], &["  "], &[long.as_str()], &["a", "b"]] {
        let a = post_keyed(&app, ORDERS, &token, keys, &body).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{keys:?}");
        assert!(
            a.body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("Idempotency-Key")),
            "{}",
            a.body
        );
    }
    assert_eq!(orders(&app).await, before);
    // no credentials outranks a bad key
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let anonymous = client
        .post(app.url(ORDERS))
        .header("Idempotency-Key", "")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn keys_belong_to_their_user_and_do_nothing_when_absent() {
    let app = spawn().await;
    let user = app.customer().await;
    let (other_id, other) = app.new_customer("other").await;
    let mine = post_keyed(
        &app,
        ORDERS,
        &user,
        &["same"],
        &order_body(&app, app.demo.user, 1),
    )
    .await;
    let theirs = post_keyed(
        &app,
        ORDERS,
        &other,
        &["same"],
        &order_body(&app, other_id, 1),
    )
    .await;
    assert_eq!(mine.status, StatusCode::CREATED);
    assert_eq!(theirs.status, StatusCode::CREATED);
    assert_ne!(mine.body["id"], theirs.body["id"]);
    assert_eq!(theirs.header("idempotent-replayed"), None);

    let before = orders(&app).await;
    let body = order_body(&app, app.demo.user, 1);
    let a = post_keyed(&app, ORDERS, &user, &[], &body).await;
    let b = post_keyed(&app, ORDERS, &user, &[], &body).await;
    assert_eq!(
        (a.status, b.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert_ne!(a.body["id"], b.body["id"]);
    assert_eq!(orders(&app).await, before + 2);
}

#[tokio::test]
async fn an_expired_key_counts_as_new() {
    let app = spawn().await;
    let token = app.customer().await;
    let body = order_body(&app, app.demo.user, 1);
    let first = post_keyed(&app, ORDERS, &token, &["daily"], &body).await;
    let old = Query::update()
        .table("gateway_idempotency")
        .value(
            "created_at",
            chrono::Utc::now() - chrono::Duration::hours(24) - chrono::Duration::seconds(5),
        )
        .and_where(Expr::col("idempotency_key").eq("daily"))
        .to_owned();
    app.state.db.execute(&old).await.unwrap();
    let later = post_keyed(&app, ORDERS, &token, &["daily"], &body).await;
    assert_eq!(later.status, StatusCode::CREATED);
    assert_eq!(later.header("idempotent-replayed"), None);
    assert_ne!(later.body["id"], first.body["id"]);
}

#[tokio::test]
async fn payments_are_posted_once_per_key() {
    let app = spawn().await;
    let token = app.customer().await;
    let body = json!({"order_id": app.demo.order, "amount": "10.00", "payment_method": "PayPal"});
    let before = payments(&app).await;
    let first = post_keyed(&app, PAYMENTS, &token, &["pay"], &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let again = post_keyed(&app, PAYMENTS, &token, &["pay"], &body).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(payments(&app).await, before + 1);

    let other = json!({"order_id": app.demo.order, "amount": "10.00", "payment_method": "Cash"});
    let refused = post_keyed(&app, PAYMENTS, &token, &["pay"], &other).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);

    let tasks: Vec<_> = (0..10)
        .map(|_| post_keyed(&app, PAYMENTS, &token, &["pay-burst"], &other))
        .collect();
    let answers = futures_util::future::join_all(tasks).await;
    for a in &answers {
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert_eq!(a.body, answers[0].body);
    }
    assert_eq!(payments(&app).await, before + 2);
}

#[tokio::test]
async fn a_key_first_used_through_graphql_replays_over_rest() {
    let app = spawn().await;
    let token = app.customer().await;
    let created = app
        .graphql(
            &token,
            "mutation($i: CreateOrderInput!) { createOrder(input: $i, idempotencyKey: \"both\") { id } }",
            json!({"i": {"items": [{"productId": app.demo.laptop, "quantity": 1, "price": "999.99", "stockId": app.demo.stock}]}}),
        )
        .await;
    let id = created["createOrder"]["id"].as_i64().unwrap();
    let before = orders(&app).await;
    let replay = post_keyed(
        &app,
        ORDERS,
        &token,
        &["both"],
        &order_body(&app, app.demo.user, 1),
    )
    .await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body["id"], id);
    assert_eq!(replay.body["items"][0]["stock"], "Main WH - A1");
    assert_eq!(orders(&app).await, before);
}
