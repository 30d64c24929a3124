//! One executor (issue 12): every field has one resolver, which reads the request's loaded
//! `OrderGraph` when the request has one and its DataLoaders otherwise. These tests check that
//! both ways give the same answers, that the benchmark's queries cost one statement, and
//! that a query runs every statement on the one connection it holds.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fixtures::{Demo, data, demo, error_code};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// Seven more orders of `user` (alternating lines, a product whose name needs escaping, items
/// without a stock row), a completed payment on every third.
async fn more_data(app: &TestApp, d: &Demo) {
    let (cable, cable_stock) = app
        .product_with_stock(d, "Cable \"USB\"\n", "0.10", 100)
        .await;
    for i in 0..7 {
        let items: Vec<(i64, i64, Option<i64>)> = if i % 2 == 0 {
            vec![(d.laptop, 1, Some(d.stock)), (cable, 3, None)]
        } else {
            vec![(cable, 2, Some(cable_stock))]
        };
        let r = app.create_order(&d.admin, Some(d.user_id), &items).await;
        let id = data(&r)["createOrder"]["id"].as_i64().unwrap();
        if i % 3 == 0 {
            let p = app
                .gql(
                    "mutation($o: Int!) { createPayment(input: { orderId: $o, amount: \"0.30\", paymentMethod: \"Card\", status: COMPLETED }) { id } }",
                    json!({ "o": id }),
                    Some(&d.admin),
                )
                .await;
            data(&p);
        }
    }
}

/// Every field of an order and of what hangs under it.
const DEEP: &str = "id status totalAmount amountPaid balanceDue createdAt updatedAt __typename
    customer { id username email isStaff __typename }
    items { id quantity price subtotal __typename
            product { id name sku price description category { id name slug } }
            stock { id quantity label product { name category { slug } } location { id code description warehouse { id name address } } } }
    payments { id amount paymentMethod status paidAt createdAt __typename }";

/// The orders of an answer by id.
fn by_id(orders: &[Value]) -> std::collections::HashMap<i64, &Value> {
    orders
        .iter()
        .map(|o| (o["id"].as_i64().expect("an order id"), o))
        .collect()
}

#[tokio::test]
async fn the_graph_and_the_loaders_answer_alike() {
    // an order's every field under each of its payments is more than the default limit allows
    let app = spawn_app_with(|s| s.max_complexity = 1_000_000).await;
    let d = demo(&app).await;
    more_data(&app, &d).await;

    // a page: every relation read from the page's graph
    let listed = app
        .gql(
            &format!("{{ orders {{ nodes {{ {DEEP} }} }} }}"),
            json!({}),
            Some(&d.admin),
        )
        .await;
    let listed = data(&listed)["orders"]["nodes"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 8);
    let listed = by_id(&listed);
    let demo_order = listed[&d.order];
    assert_eq!(demo_order["items"][0]["stock"]["label"], "Main WH - A1");
    assert_eq!(demo_order["customer"]["username"], "user");

    // one order by id: its own graph
    for (id, expected) in &listed {
        let one = app
            .gql(
                &format!("query($id: Int!) {{ order(id: $id) {{ {DEEP} }} }}"),
                json!({ "id": id }),
                Some(&d.admin),
            )
            .await;
        assert_eq!(&data(&one)["order"], *expected, "order {id}");
    }

    // an order reached through its payments: the page's graph holds only the payments, so its
    // customer, items, products, stock rows, locations, warehouses and categories come from
    // the loaders (and its own order from the order loader)
    let query = format!(
        "query($n: Int) {{ orders(first: $n) {{ nodes {{ id payments {{ order {{ {DEEP} }} }} }} }} }}"
    );
    let before = app.sql_count();
    let through_loaders = app.gql(&query, json!({ "n": 50 }), Some(&d.admin)).await;
    let statements_of_all = app.sql_count() - before;
    let mut compared = 0;
    for o in data(&through_loaders)["orders"]["nodes"]
        .as_array()
        .unwrap()
    {
        for p in o["payments"].as_array().unwrap() {
            assert_eq!(&p["order"], listed[&o["id"].as_i64().unwrap()]);
            compared += 1;
        }
    }
    assert!(compared >= 4, "{compared} orders compared");
    // the loaders batch: about one statement per loader and round of loads (their batches
    // wait a moment for each other, so a busy machine may split one), where loading each
    // order's relations on its own would take some 70 for these 8 orders
    assert!(
        statements_of_all <= 20,
        "{statements_of_all} statements for 8 orders through the loaders"
    );

    // orders reached from a page of payments: the orders and their graph
    let paid = app
        .gql(
            &format!("{{ payments(first: 50) {{ nodes {{ order {{ {DEEP} }} }} }} }}"),
            json!({}),
            Some(&d.admin),
        )
        .await;
    for p in data(&paid)["payments"]["nodes"].as_array().unwrap() {
        let id = p["order"]["id"].as_i64().unwrap();
        assert_eq!(&p["order"], listed[&id]);
    }

    // a stock row from the catalog (loaders) and from an order's graph
    let stocks = app
        .gql(
            "{ stocks { nodes { id quantity label product { name category { slug } } location { id code description warehouse { id name address } } } } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    let from_catalog = data(&stocks)["stocks"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == d.stock)
        .cloned()
        .expect("the demo stock row");
    let r = app
        .gql(
            "query($id: Int!) { order(id: $id) { items { stock { id quantity label product { name category { slug } } location { id code description warehouse { id name address } } } } } }",
            json!({ "id": d.order }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(data(&r)["order"]["items"][0]["stock"], from_catalog);
}

/// The benchmark's G1 (`bench/queries`, a page of orders) and G2 (one order by id) each send
/// one statement for the orders with their relations and the caller's lookup.
#[tokio::test]
async fn the_benchmark_queries_take_one_statement() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    more_data(&app, &d).await;
    app.remember_caller(&d.admin).await;
    for (name, body) in [
        ("G1", include_str!("../../bench/queries/g1.json")),
        ("G2", include_str!("../../bench/queries/g2.json")),
    ] {
        let mut request: Value = serde_json::from_str(body).unwrap();
        if name == "G2" {
            request["variables"] = json!({ "id": d.order });
        }
        let before = app.sql_count();
        let r = app
            .gql(
                request["query"].as_str().unwrap(),
                request["variables"].clone(),
                Some(&d.admin),
            )
            .await;
        assert_eq!(app.sql_count() - before, 1, "{name}");
        let orders = match name {
            "G1" => data(&r)["orders"]["nodes"].as_array().unwrap().clone(),
            _ => vec![data(&r)["order"].clone()],
        };
        assert_eq!(orders.len(), if name == "G1" { 8 } else { 1 });
        for o in &orders {
            assert!(o["customer"]["username"].is_string(), "{name}: {o}");
            assert!(!o["items"].as_array().unwrap().is_empty(), "{name}: {o}");
            assert!(o["items"][0]["product"]["name"].is_string(), "{name}: {o}");
        }
    }
}

/// `order(id:)` is one statement, the caller's lookup within it, with or without its
/// customer, payments and items (the caller's first read looks them up first); an order the
/// caller may not see is null after as many, as one that does not exist.
#[tokio::test]
async fn one_order_takes_one_statement_with_its_relations() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    app.create_user("outsider", "outsider-password", false)
        .await;
    let (outsider, _) = app.login("outsider", "outsider-password").await;
    let full = "query($id: Int!) { order(id: $id) { id customer { username } payments { amount } items { product { name } stock { location { warehouse { name } } } } } }";
    let bare = "query($id: Int!) { order(id: $id) { id status } }";
    for (query, token, id, seen, statements) in [
        (full, &d.admin, d.order, true, 2),
        (full, &d.admin, d.order, true, 1),
        (full, &d.user, d.order, true, 2),
        (bare, &d.user, d.order, true, 1),
        (full, &outsider, d.order, false, 2),
        (full, &outsider, d.order, false, 1),
        (full, &d.admin, d.order + 1000, false, 1),
    ] {
        let before = app.sql_count();
        let r = app.gql(query, json!({ "id": id }), Some(token)).await;
        assert_eq!(app.sql_count() - before, statements, "{query} {id}");
        let order = &data(&r)["order"];
        if !seen {
            assert!(order.is_null(), "{r}");
            continue;
        }
        assert_eq!(order["id"], d.order);
        if query == full {
            assert_eq!(order["customer"]["username"], "user");
            assert_eq!(order["payments"].as_array().map(Vec::len), Some(1));
            assert_eq!(order["items"][0]["product"]["name"], "Laptop");
            assert_eq!(
                order["items"][0]["stock"]["location"]["warehouse"]["name"],
                "Main WH"
            );
        } else {
            assert_eq!(order["status"], "PENDING");
        }
    }
}

/// A query holds one connection for all its statements (`db::Reads`): the caller's lookup,
/// every root field, `totalCount` and the loaders. With a pool of one connection, any
/// statement sent to the pool instead would wait for the pool's timeout (5 s) and fail.
#[tokio::test]
async fn a_query_never_waits_for_a_second_connection() {
    let app = spawn_app_with(|s| s.db_pool_size = Some(1)).await;
    let d = demo(&app).await;
    let query = "query($id: Int!, $p: Int!) {
        me { username }
        orders { totalCount nodes { id customer { username } payments { order { items { product { category { name } } } } } } }
        order(id: $id) { items { stock { label location { warehouse { name } } } } }
        payments { totalCount nodes { order { customer { username } } } }
        payment(id: $p) { order { items { quantity } } }
        products { totalCount nodes { name category { slug } } }
        warehouses { totalCount nodes { name } }
        stocks { totalCount nodes { product { name } location { code } } }
    }";
    let started = Instant::now();
    let answers = futures_util::future::join_all((0..4).map(|_| {
        app.gql(
            query,
            json!({ "id": d.order, "p": d.payment }),
            Some(&d.admin),
        )
    }))
    .await;
    for a in &answers {
        let a = data(a);
        assert_eq!(a["orders"]["totalCount"], 1);
        assert_eq!(a["payment"]["order"]["items"][0]["quantity"], 1);
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "answered without waiting for the pool: {:?}",
        started.elapsed()
    );
}

/// Refusals come from the same resolvers whichever way a field reads its relations.
#[tokio::test]
async fn errors_keep_their_codes() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let q = "query($a: String) { orders(after: $a) { nodes { id items { id } } } }";
    data(&app.gql(q, json!({}), Some(&d.admin)).await);
    let bad = app.gql(q, json!({ "a": "garbage" }), Some(&d.admin)).await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    let anonymous = app.gql(q, json!({}), None).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}
