//! The order rules through GraphQL: computed totals, exact money, validation of every field at
//! once, stock taken and given back, the status machine, and no oversell under concurrency.

use migration::sea_orm::DbBackend;
use serde_json::json;

use crate::fixtures::{data, demo, error_code};
use crate::helpers::spawn_app;

#[tokio::test]
async fn totals_are_exact_and_stock_is_taken() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (cheap, cheap_stock) = app.product_with_stock(&d, "Cable", "0.10", 10).await;
    let r = app
        .create_order(
            &d.admin,
            Some(d.user_id),
            &[(cheap, 3, Some(cheap_stock)), (d.laptop, 2, Some(d.stock))],
        )
        .await;
    let order = &data(&r)["createOrder"];
    assert_eq!(order["totalAmount"], "2000.28", "3 x 0.10 + 2 x 999.99");
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["customer"]["id"], d.user_id);
    // the items are read back in id order: their ids follow the order of the lines
    let items: Vec<_> = order["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| (i["quantity"].as_i64(), i["price"].as_str()))
        .collect();
    assert_eq!(items, [(Some(3), Some("0.10")), (Some(2), Some("999.99"))]);
    assert_eq!(app.stock_quantity(&d.admin, cheap_stock).await, 7);
    assert_eq!(
        app.stock_quantity(&d.admin, d.stock).await,
        47,
        "49 after the demo order, minus 2"
    );

    let r = app.create_order(&d.admin, None, &[(cheap, 3, None)]).await;
    assert_eq!(data(&r)["createOrder"]["totalAmount"], "0.30");
    let r = app
        .create_order(&d.admin, None, &[(d.laptop, 2, None)])
        .await;
    assert_eq!(data(&r)["createOrder"]["totalAmount"], "1999.98");
}

#[tokio::test]
async fn decimal_accepts_strings_and_numbers_and_keeps_big_values() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (p, _) = app.product_with_stock(&d, "Big", "9999999999.99", 1).await;
    let q = "mutation($i: CreateOrderInput!) { createOrder(input: $i) { totalAmount items { price subtotal } } }";
    let r = app
        .gql(
            q,
            json!({ "i": { "items": [{ "productId": p, "quantity": 1 }] } }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(data(&r)["createOrder"]["totalAmount"], "9999999999.99");
    // a JSON number is read from its shortest text: 0.1 stays 0.1, never 0.1000000000000000055...
    let r = app
        .gql(
            q,
            json!({ "i": { "items": [{ "productId": d.laptop, "quantity": 3, "price": 0.1 }] } }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(data(&r)["createOrder"]["items"][0]["price"], "0.10");
    assert_eq!(data(&r)["createOrder"]["totalAmount"], "0.30");
    let r = app
        .gql(
            q,
            json!({ "i": { "items": [{ "productId": d.laptop, "quantity": 1, "price": 999.99 }] } }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(data(&r)["createOrder"]["totalAmount"], "999.99");
    // not a number at all: refused by the scalar
    let r = app
        .gql(
            q,
            json!({ "i": { "items": [{ "productId": d.laptop, "quantity": 1, "price": "abc" }] } }),
            Some(&d.admin),
        )
        .await;
    assert!(
        r["errors"][0]["message"].as_str().unwrap().contains("abc"),
        "{r}"
    );
    assert_eq!(r["data"], serde_json::Value::Null);
}

#[tokio::test]
async fn every_bad_field_is_reported_at_once() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let count_before = app.sql_count();
    let r = app
        .gql(
            "mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }",
            json!({ "i": { "items": [
                { "productId": d.laptop, "quantity": 0 },
                { "productId": 999999, "quantity": 1 },
                { "productId": d.laptop, "quantity": 1, "price": "1.005" },
                { "productId": d.laptop, "quantity": 1, "price": "12345678901" },
                { "productId": d.laptop, "quantity": 1, "stockId": 424242 },
            ] } }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT");
    let fields = &r["errors"][0]["extensions"]["fields"];
    assert_eq!(fields["items.0.quantity"], json!(["must be at least 1"]));
    assert_eq!(
        fields["items.1.productId"],
        json!(["no object with id 999999 exists"])
    );
    assert_eq!(
        fields["items.2.price"],
        json!(["must have at most 2 decimal places"])
    );
    assert_eq!(
        fields["items.3.price"],
        json!(["must have at most 10 digits before the decimal point"])
    );
    assert_eq!(
        fields["items.4.stockId"],
        json!(["no object with id 424242 exists"])
    );
    // the laptop appears more than once
    assert!(
        fields["items.2.productId"][0]
            .as_str()
            .unwrap()
            .contains("already in the order"),
        "{fields}"
    );
    assert!(app.sql_count() > count_before);
    let orders = app
        .gql("{ orders { totalCount } }", json!({}), Some(&d.admin))
        .await;
    assert_eq!(
        data(&orders)["orders"]["totalCount"],
        1,
        "nothing was written"
    );

    let r = app
        .gql(
            "mutation { createOrder(input: { items: [] }) { id } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT");
    assert_eq!(
        r["errors"][0]["extensions"]["fields"]["items"],
        json!(["must contain at least one item"])
    );
}

#[tokio::test]
async fn a_stock_must_hold_its_product() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (other, other_stock) = app.product_with_stock(&d, "Mouse", "25.00", 5).await;
    let r = app
        .create_order(&d.admin, None, &[(d.laptop, 1, Some(other_stock))])
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT");
    assert!(
        r["errors"][0]["extensions"]["fields"]["items.0.stockId"].is_array(),
        "{r}"
    );
    let r = app
        .create_order(&d.admin, None, &[(other, 1, Some(other_stock))])
        .await;
    assert_eq!(data(&r)["createOrder"]["totalAmount"], "25.00");
}

#[tokio::test]
async fn insufficient_stock_is_a_conflict_and_writes_nothing() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (p, s) = app.product_with_stock(&d, "Rare", "5.00", 2).await;
    let r = app
        .create_order(
            &d.admin,
            None,
            &[(d.laptop, 1, Some(d.stock)), (p, 3, Some(s))],
        )
        .await;
    assert_eq!(error_code(&r), "CONFLICT");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("3 requested, 2 available"),
        "{r}"
    );
    assert_eq!(app.stock_quantity(&d.admin, s).await, 2);
    assert_eq!(
        app.stock_quantity(&d.admin, d.stock).await,
        49,
        "the laptop line was rolled back too"
    );
    let orders = app
        .gql("{ orders { totalCount } }", json!({}), Some(&d.admin))
        .await;
    assert_eq!(data(&orders)["orders"]["totalCount"], 1);
}

/// 40 concurrent orders of 2 units each against a stock of 50: exactly 25 succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_never_oversell() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (p, s) = app.product_with_stock(&d, "Hot", "10.00", 50).await;
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let app = app.clone();
        let token = d.admin.clone();
        tasks.push(tokio::spawn(async move {
            app.create_order(&token, None, &[(p, 2, Some(s))]).await
        }));
    }
    let mut ok = 0;
    let mut conflicts = 0;
    for t in tasks {
        let r = t.await.expect("task");
        if r.get("errors").is_none() {
            ok += 1;
        } else {
            assert_eq!(error_code(&r), "CONFLICT", "{r}");
            conflicts += 1;
        }
    }
    assert_eq!((ok, conflicts), (25, 15));
    assert_eq!(app.stock_quantity(&d.admin, s).await, 0);
    let orders = app
        .gql(
            "{ orders(first: 100, filter: { totalAmount: { eq: \"20.00\" } }) { totalCount nodes { items { product { id } quantity } } } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    assert_eq!(
        data(&orders)["orders"]["totalCount"],
        25,
        "no refused order left a row"
    );
    let items: i64 = data(&orders)["orders"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["items"][0]["quantity"].as_i64().unwrap())
        .sum();
    assert_eq!(items, 50);
}

/// 30 concurrent orders over three stock rows, each of two of them (A and B, B and C, C and A)
/// named in either line order: an order of several rows locks them in id order first (on
/// PostgreSQL one statement more, before its write), so none deadlocks and every unit counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_of_several_stock_rows_never_deadlock() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let mut rows = Vec::new();
    for (name, price) in [("Left", "1.00"), ("Middle", "2.00"), ("Right", "4.00")] {
        rows.push(app.product_with_stock(&d, name, price, 100).await);
    }
    let before = app.sql_count();
    app.create_order(&d.admin, None, &[(rows[0].0, 1, Some(rows[0].1))])
        .await;
    let one_row = app.sql_count() - before;
    let before = app.sql_count();
    let two = [
        (rows[0].0, 1, Some(rows[0].1)),
        (rows[1].0, 1, Some(rows[1].1)),
    ];
    app.create_order(&d.admin, None, &two).await;
    let lock = u64::from(app.state.db.get_database_backend() == DbBackend::Postgres);
    assert_eq!(
        app.sql_count() - before,
        one_row + lock,
        "the lock before the write"
    );

    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for n in 0..30 {
        let app = app.clone();
        let token = d.admin.clone();
        let (x, y) = (rows[n % 3], rows[(n + 1) % 3]);
        let mut lines = [(x.0, 1, Some(x.1)), (y.0, 1, Some(y.1))];
        if n % 2 == 1 {
            lines.reverse();
        }
        tasks.push(tokio::spawn(async move {
            app.create_order(&token, None, &lines).await
        }));
    }
    for t in tasks {
        let r = t.await.expect("task");
        assert!(data(&r)["createOrder"]["id"].is_i64(), "{r}");
    }
    // 20 orders took a unit from each row, and the two orders above 2 from Left, 1 from Middle
    assert_eq!(app.stock_quantity(&d.admin, rows[0].1).await, 78);
    assert_eq!(app.stock_quantity(&d.admin, rows[1].1).await, 79);
    assert_eq!(app.stock_quantity(&d.admin, rows[2].1).await, 80);
}

#[tokio::test]
async fn cancelling_and_deleting_put_units_back() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let upd = "mutation($id: Int!, $s: OrderStatus!) { updateOrder(id: $id, input: { status: $s }) { status } }";
    // cancel: back in stock
    let r = app
        .create_order(&d.admin, None, &[(d.laptop, 4, Some(d.stock))])
        .await;
    let a = data(&r)["createOrder"]["id"].as_i64().unwrap();
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 45);
    let r = app
        .gql(upd, json!({ "id": a, "s": "CANCELLED" }), Some(&d.admin))
        .await;
    assert_eq!(data(&r)["updateOrder"]["status"], "CANCELLED");
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 49);
    // cancelling again is a no-op: nothing given back twice
    let r = app
        .gql(upd, json!({ "id": a, "s": "CANCELLED" }), Some(&d.admin))
        .await;
    assert_eq!(data(&r)["updateOrder"]["status"], "CANCELLED");
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 49);
    // deleting a cancelled order gives nothing back either
    let del = "mutation($id: Int!) { deleteOrder(id: $id) }";
    assert_eq!(
        data(&app.gql(del, json!({ "id": a }), Some(&d.admin)).await)["deleteOrder"],
        true
    );
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 49);
    // deleting an unshipped order gives its units back, with its payments gone too
    assert_eq!(
        data(&app.gql(del, json!({ "id": d.order }), Some(&d.admin)).await)["deleteOrder"],
        true
    );
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 50);
    let p = app
        .gql(
            "query($id: Int!) { payment(id: $id) { id } }",
            json!({ "id": d.payment }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(data(&p)["payment"], serde_json::Value::Null);
    // a shipped order keeps its units out when deleted
    let r = app
        .create_order(&d.admin, None, &[(d.laptop, 5, Some(d.stock))])
        .await;
    let b = data(&r)["createOrder"]["id"].as_i64().unwrap();
    for s in ["CONFIRMED", "SHIPPED"] {
        data(
            &app.gql(upd, json!({ "id": b, "s": s }), Some(&d.admin))
                .await,
        );
    }
    data(&app.gql(del, json!({ "id": b }), Some(&d.admin)).await);
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 45);
}

#[tokio::test]
async fn the_status_machine_is_enforced() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let upd = "mutation($id: Int!, $s: OrderStatus!) { updateOrder(id: $id, input: { status: $s }) { status } }";
    let step = |s: &'static str| json!({ "id": d.order, "s": s });
    // illegal jumps are CONFLICT
    for s in ["SHIPPED", "DELIVERED"] {
        assert_eq!(
            error_code(&app.gql(upd, step(s), Some(&d.admin)).await),
            "CONFLICT"
        );
    }
    for s in ["CONFIRMED", "CONFIRMED", "SHIPPED", "DELIVERED"] {
        assert_eq!(
            data(&app.gql(upd, step(s), Some(&d.admin)).await)["updateOrder"]["status"],
            s
        );
    }
    for s in ["PENDING", "CONFIRMED", "SHIPPED", "CANCELLED"] {
        let r = app.gql(upd, step(s), Some(&d.admin)).await;
        assert_eq!(error_code(&r), "CONFLICT", "delivered -> {s}: {r}");
    }
    // a missing order
    let r = app
        .gql(
            upd,
            json!({ "id": 987654, "s": "CONFIRMED" }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(error_code(&r), "NOT_FOUND");
}
