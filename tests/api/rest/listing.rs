//! Lists: django-filter's filters and their 400s, DRF's page envelope with absolute links,
//! `OMS_REST_PAGE_SIZE`, and the number of SQL statements (the same for 1 order as for 50).

use oms_gateway::orders::service::{self as orders, NewItem, NewOrder};
use oms_gateway::payments::service::{self as payments, NewPayment};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::json;

use crate::rest::support::{TestApp, spawn, spawn_with};

/// Places `n` more orders of one Laptop each (from the demo stock), each with a payment.
async fn more_orders(app: &TestApp, n: usize, customer: i64) {
    let staff = app.staff_access();
    for _ in 0..n {
        let placed = orders::create_order(
            &app.state,
            &staff,
            NewOrder {
                customer_id: Some(customer),
                items: vec![NewItem {
                    product_id: Some(app.demo.laptop),
                    quantity: Some(1),
                    price: Some(Decimal::new(1050, 2)),
                    stock_id: Some(app.demo.stock),
                }],
                ..Default::default()
            },
        )
        .await
        .expect("an order");
        payments::create_payment(
            &app.state,
            &staff,
            NewPayment {
                order_id: Some(placed.id),
                amount: Some(Decimal::new(1050, 2)),
                payment_method: Some("Cash".into()),
                ..Default::default()
            },
        )
        .await
        .expect("a payment");
    }
}

#[tokio::test]
async fn bad_filter_values_are_field_errors() {
    let app = spawn().await;
    let token = app.admin().await;
    for (path, body) in [
        (
            "/api/erp/oms/orders/?id=abc",
            json!({"id": ["Enter a number."]}),
        ),
        (
            "/api/erp/oms/orders/?status=bogus",
            json!({"status": ["Select a valid choice. bogus is not one of the available choices."]}),
        ),
        (
            "/api/erp/oms/orders/?customer=999",
            json!({"customer": ["Select a valid choice. That choice is not one of the available choices."]}),
        ),
        (
            "/api/erp/oms/orders/?customer=x&id=1.5.1&status=PENDING",
            json!({
                "customer": ["Select a valid choice. That choice is not one of the available choices."],
                "id": ["Enter a number."],
                "status": ["Select a valid choice. PENDING is not one of the available choices."],
            }),
        ),
        (
            "/api/erp/oms/payments/?order=999",
            json!({"order": ["Select a valid choice. That choice is not one of the available choices."]}),
        ),
        (
            "/api/erp/oms/payments/?id=x&status=paid",
            json!({
                "id": ["Enter a number."],
                "status": ["Select a valid choice. paid is not one of the available choices."],
            }),
        ),
    ] {
        let a = app.get(path, Some(&token)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(a.body, body, "{path}");
    }
}

#[tokio::test]
async fn filters_select_and_unknown_parameters_are_ignored() {
    let app = spawn().await;
    let (other, _) = app.new_customer("other").await;
    more_orders(&app, 2, other).await;
    let token = app.admin().await;
    let ids = |v: &serde_json::Value| -> Vec<i64> {
        v.as_array()
            .map(|a| a.iter().filter_map(|o| o["id"].as_i64()).collect())
            .unwrap_or_default()
    };
    let all = app
        .get("/api/erp/oms/orders/?foo=bar&ordering=id", Some(&token))
        .await;
    assert_eq!(ids(&all.body), vec![3, 2, 1], "newest first");
    let mine = app
        .get(
            &format!("/api/erp/oms/orders/?customer={other}"),
            Some(&token),
        )
        .await;
    assert_eq!(ids(&mine.body), vec![3, 2]);
    let one = app
        .get("/api/erp/oms/orders/?id=2&status=", Some(&token))
        .await;
    assert_eq!(ids(&one.body), vec![2]);
    let none = app.get("/api/erp/oms/orders/?id=2.5", Some(&token)).await;
    assert_eq!(none.body, json!([]));
    let by_order = app
        .get("/api/erp/oms/payments/?order=3", Some(&token))
        .await;
    assert_eq!(ids(&by_order.body), vec![3]);
    assert_eq!(by_order.body[0]["order"], "Order #3 - other");
}

#[tokio::test]
async fn pages_have_absolute_links_that_keep_the_query() {
    let app = spawn().await;
    more_orders(&app, 4, app.demo.user).await;
    let token = app.admin().await;
    let base = app.url("/api/erp/oms/orders/");
    let first = app
        .get(
            "/api/erp/oms/orders/?page_size=2&status=pending",
            Some(&token),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["count"], 5);
    assert_eq!(first.body["previous"], json!(null));
    assert_eq!(
        first.body["next"],
        json!(format!("{base}?page=2&page_size=2&status=pending"))
    );
    let ids: Vec<i64> = first.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![5, 4]);
    let second = app
        .get(
            "/api/erp/oms/orders/?page=2&page_size=2&status=pending",
            Some(&token),
        )
        .await;
    assert_eq!(
        second.body["previous"],
        json!(format!("{base}?page_size=2&status=pending"))
    );
    assert_eq!(
        second.body["next"],
        json!(format!("{base}?page=3&page_size=2&status=pending"))
    );
    let last = app
        .get("/api/erp/oms/orders/?page=last&page_size=2", Some(&token))
        .await;
    assert_eq!(last.body["next"], json!(null));
    assert_eq!(
        last.body["previous"],
        json!(format!("{base}?page=2&page_size=2"))
    );
    assert_eq!(last.body["results"].as_array().map(Vec::len), Some(1));
    for bad in ["page=4&page_size=2", "page=0", "page=abc"] {
        let a = app
            .get(&format!("/api/erp/oms/orders/?{bad}"), Some(&token))
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{bad}");
        assert_eq!(a.body, json!({"detail": "Invalid page."}));
    }
    let payments = app.get("/api/erp/oms/payments/?page=1", Some(&token)).await;
    assert_eq!(payments.body["count"], 5);
    assert_eq!(payments.body["next"], json!(null));
    assert_eq!(payments.body["results"].as_array().map(Vec::len), Some(5));
}

#[tokio::test]
async fn a_configured_page_size_always_paginates() {
    let app = spawn_with(|s| s.rest_page_size = Some(2)).await;
    more_orders(&app, 2, app.demo.user).await;
    let token = app.admin().await;
    let a = app.get("/api/erp/oms/orders/", Some(&token)).await;
    assert_eq!(a.body["count"], 3);
    assert_eq!(a.body["results"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        a.body["next"],
        json!(app.url("/api/erp/oms/orders/?page=2"))
    );
    let empty = app
        .get("/api/erp/oms/payments/?status=refunded", Some(&token))
        .await;
    assert_eq!(
        empty.body,
        json!({"count": 0, "next": null, "previous": null, "results": []})
    );
}

/// Statements of one authenticated request (the user lookup of the token included).
async fn statements(app: &TestApp, path: &str, token: &str) -> (u64, usize) {
    let before = app.state.sql.get();
    let a = app.get(path, Some(token)).await;
    assert_eq!(a.status, StatusCode::OK);
    let after = app.state.sql.get();
    (after - before, a.body.as_array().map(Vec::len).unwrap_or(0))
}

#[tokio::test]
async fn listing_50_orders_takes_as_many_statements_as_listing_1() {
    let app = spawn().await;
    let token = app.admin().await;
    // the first read looks its caller up first (no scope of theirs remembered yet), later
    // ones within their own statement (`auth::riding`)
    let (first, n) = statements(&app, "/api/erp/oms/orders/", &token).await;
    assert_eq!((first, n), (2, 1));
    let (orders_of_1, n) = statements(&app, "/api/erp/oms/orders/", &token).await;
    assert_eq!(n, 1);
    let (payments_of_1, n) = statements(&app, "/api/erp/oms/payments/", &token).await;
    assert_eq!(n, 1);
    let (other, _) = app.new_customer("other").await;
    more_orders(&app, 24, app.demo.user).await;
    more_orders(&app, 25, other).await;
    let (orders_of_50, n) = statements(&app, "/api/erp/oms/orders/", &token).await;
    assert_eq!(n, 50);
    let (payments_of_50, n) = statements(&app, "/api/erp/oms/payments/", &token).await;
    assert_eq!(n, 50);
    println!(
        "SQL statements: orders 1 -> {orders_of_1}, 50 -> {orders_of_50}; payments 1 -> {payments_of_1}, 50 -> {payments_of_50}"
    );
    assert_eq!(orders_of_1, orders_of_50);
    assert_eq!(payments_of_1, payments_of_50);
    // the orders with their usernames, payments and items with their product, stock, location
    // and warehouse, and the token's user, in one statement (`orders::relations`); payments
    // look the user up first
    assert_eq!(orders_of_50, 1);
    assert_eq!(payments_of_50, 4);
}

/// One order is one statement for the order with all it shows and the token's user lookup,
/// for its customer and for staff (the first read of each looks its user up first); another
/// customer's order is a 404 after as many.
#[tokio::test]
async fn one_order_takes_one_statement_whoever_asks() {
    let app = spawn().await;
    let admin = app.admin().await;
    let customer = app.customer().await;
    let (_, other) = app.new_customer("other").await;
    let path = format!("/api/erp/oms/orders/{}/", app.demo.order);
    for (token, statements) in [(&admin, 2), (&customer, 2), (&admin, 1), (&customer, 1)] {
        let before = app.state.sql.get();
        let a = app.get(&path, Some(token)).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(app.state.sql.get() - before, statements);
        assert_eq!(a.body["id"], app.demo.order);
        assert_eq!(a.body["customer"], "user");
        assert_eq!(a.body["items"][0]["product"], "Laptop");
        assert_eq!(a.body["items"][0]["stock"], "Main WH - A1");
        assert_eq!(a.body["payments"].as_array().map(Vec::len), Some(1));
    }
    for statements in [2, 1] {
        let before = app.state.sql.get();
        let hidden = app.get(&path, Some(&other)).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{}", hidden.body);
        assert_eq!(app.state.sql.get() - before, statements);
    }
}

/// A list holds one connection for its reads (`db::Reads`); the `?customer=` check that runs
/// when nothing matched must use it too: with a pool of one connection a second checkout would
/// wait until the pool's timeout and answer 503.
#[tokio::test]
async fn a_list_that_matches_nothing_needs_no_second_connection() {
    let app = spawn_with(|s| s.db_pool_size = Some(1)).await;
    let admin = app.admin().await;
    let (nobody, _) = app.new_customer("no_orders_yet").await;
    let started = std::time::Instant::now();
    let path = format!("/api/erp/oms/orders/?customer={nobody}");
    let answers =
        futures_util::future::join_all((0..4).map(|_| app.get(&path, Some(&admin)))).await;
    for a in answers {
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body, json!([]));
    }
    let missing = app
        .get("/api/erp/oms/orders/?customer=999999", Some(&admin))
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST, "{}", missing.body);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "answered without waiting for the pool: {:?}",
        started.elapsed()
    );
}
