//! The fast path for `orders`/`order` answers exactly what the general executor answers: each
//! query runs once through the executor (which validates it) and then again on the fast path,
//! and the two answers must be equal, field for field and in the same order.

use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use crate::fixtures::{data, demo};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// The executor's answer, then the fast path's; asserts the second was the fast path's.
async fn both(app: &TestApp, query: &str, vars: Value, token: &str) -> (Value, Value) {
    let hits = || app.state.fast_path_hits.load(Ordering::SeqCst);
    let before = hits();
    let slow = app.gql(query, vars.clone(), Some(token)).await;
    assert_eq!(hits(), before, "the first run is the executor's: {query}");
    let fast = app.gql(query, vars, Some(token)).await;
    assert_eq!(
        hits(),
        before + 1,
        "the second run takes the fast path: {query}"
    );
    (slow, fast)
}

/// Equal values (the executor may emit a slow field such as `totalCount` after the others;
/// the fast path keeps the selection's order, as the GraphQL spec asks).
#[track_caller]
fn same(slow: &Value, fast: &Value) {
    assert!(slow.get("errors").is_none(), "{slow}");
    assert_eq!(slow, fast);
}

async fn more_data(app: &TestApp, d: &crate::fixtures::Demo) {
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

const DEEP: &str = "id status totalAmount amountPaid balanceDue createdAt updatedAt __typename
    customer { id username email isStaff __typename }
    items { id quantity price subtotal __typename
            product { id name sku price description category { id name slug } }
            stock { id quantity label product { name category { slug } } location { id code description warehouse { id name address } } } }
    payments { id amount paymentMethod status paidAt createdAt __typename }";

#[tokio::test]
async fn fast_answers_equal_the_executors() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    more_data(&app, &d).await;
    let cases: Vec<(String, Value)> = vec![
        (format!("{{ orders {{ totalCount nodes {{ {DEEP} }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"), json!({})),
        (format!("query($n: Int) {{ orders(first: $n) {{ edges {{ cursor node {{ {DEEP} }} }} }} }}"), json!({ "n": 3 })),
        ("query($n: Int = 2) { page: orders(first: $n, orderBy: [{field: TOTAL_AMOUNT, direction: DESC}]) { edges { cursor } nodes { id t: totalAmount } } __typename }".to_string(), json!({})),
        ("query($f: OrderFilter) { orders(filter: $f, last: 2) { nodes { id ...Money items { ...Item } } pageInfo { hasPreviousPage } } } fragment Money on Order { totalAmount amountPaid } fragment Item on OrderItem { quantity product { name } }".into(), json!({ "f": { "totalAmount": { "gt": "1" } } })),
        ("{ orders { nodes { id ... on Order { status customer { username } } items { id } items { price } } } }".into(), json!({})),
        (format!("query($id: Int!) {{ order(id: $id) {{ {DEEP} }} again: order(id: $id) {{ id }} }}"), json!({ "id": d.order })),
        ("query($id: Int!) { order(id: $id) { id } }".into(), json!({ "id": 99999 })),
    ];
    for (query, vars) in &cases {
        let (slow, fast) = both(&app, query, vars.clone(), &d.admin).await;
        same(&slow, &fast);
    }
    // the fast path answers in the selection's order
    let r = app.gql(&cases[0].0, json!({}), Some(&d.admin)).await;
    let keys: Vec<&String> = r["data"]["orders"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["totalCount", "nodes", "pageInfo"]);
    // a customer: their scope applies on the fast path too
    let (slow, fast) = both(
        &app,
        &format!("{{ orders {{ totalCount nodes {{ {DEEP} }} }} }}"),
        json!({}),
        &d.user,
    )
    .await;
    same(&slow, &fast);
    assert_eq!(data(&fast)["orders"]["totalCount"], 8);
}

#[tokio::test]
async fn what_the_fast_path_does_not_know_goes_to_the_executor() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let hits = || app.state.fast_path_hits.load(Ordering::SeqCst);
    let queries = [
        // a field outside the fast path (a payment's order)
        "{ orders { nodes { payments { order { id } } } } }",
        // directives
        "query($x: Boolean!) { orders { nodes { id @include(if: $x) } } }",
        // another root field
        "{ orders { nodes { id } } me { username } }",
    ];
    for q in queries {
        for _ in 0..2 {
            let r = app.gql(q, json!({ "x": true }), Some(&d.admin)).await;
            data(&r);
        }
    }
    assert_eq!(hits(), 0);
    // errors come from the executor: a bad cursor, a missing token
    let q = "query($a: String) { orders(after: $a) { nodes { id } } }";
    data(&app.gql(q, json!({}), Some(&d.admin)).await);
    let bad = app.gql(q, json!({ "a": "garbage" }), Some(&d.admin)).await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let anonymous = app.gql(q, json!({}), None).await;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn the_fast_path_can_be_turned_off() {
    let app = spawn_app_with(|s| s.fast_path = false).await;
    let d = demo(&app).await;
    for _ in 0..3 {
        data(
            &app.gql("{ orders { nodes { id } } }", json!({}), Some(&d.admin))
                .await,
        );
    }
    assert_eq!(app.state.fast_path_hits.load(Ordering::SeqCst), 0);
}
