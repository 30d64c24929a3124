//! Filters through relations (issue 14.2): `customerWhere`, `items` and `payments` of
//! `OrderFilter` (`some`/`every`/`none`; an item by its product), `orderWhere` of
//! `PaymentFilter`, nested with `and`/`or`/`not`; a customer's relation filter never widens
//! their scope; a filtered page stays one statement.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::fixtures::{Demo, data, demo};
use crate::helpers::{TestApp, spawn_app};

/// The orders of the test: `o1` the demo order (user, a Laptop, a pending "Credit Card"
/// payment), `o2` (user, 2 Mice, a completed "Cash" payment), `o3` (bob, a Laptop and a Mouse,
/// a pending "Cash" and a failed "Card" payment), `o4` (bob, no items left, no payment).
struct World {
    d: Demo,
    bob: String,
    o: [i64; 4],
    /// Payments: o1's, o2's, o3's cash, o3's card.
    p: [i64; 4],
}

async fn payment(app: &TestApp, d: &Demo, order: i64, method: &str, steps: &[&str]) -> i64 {
    let r = app
        .gql(
            "mutation($o: Int!, $m: String!) { createPayment(input: { orderId: $o, amount: \"1.00\", paymentMethod: $m }) { id } }",
            json!({ "o": order, "m": method }),
            Some(&d.admin),
        )
        .await;
    let id = data(&r)["createPayment"]["id"].as_i64().unwrap();
    for s in steps {
        let r = app
            .gql(
                &format!("mutation($id: Int!) {{ updatePayment(id: $id, input: {{ status: {s} }}) {{ id }} }}"),
                json!({ "id": id }),
                Some(&d.admin),
            )
            .await;
        data(&r);
    }
    id
}

async fn world(app: &TestApp) -> World {
    let d = demo(app).await;
    let bob_id = app.create_user("bob", "bobpass", false).await;
    let (bob, _) = app.login("bob", "bobpass").await;
    let (mouse, mouse_stock) = app.product_with_stock(&d, "Mouse", "20.00", 50).await;
    let order = |r: Value| data(&r)["createOrder"]["id"].as_i64().unwrap();
    let o2 = order(
        app.create_order(&d.admin, Some(d.user_id), &[(mouse, 2, Some(mouse_stock))])
            .await,
    );
    let o3 = order(
        app.create_order(
            &d.admin,
            Some(bob_id),
            &[(d.laptop, 1, Some(d.stock)), (mouse, 1, Some(mouse_stock))],
        )
        .await,
    );
    let o4 = order(
        app.create_order(&d.admin, Some(bob_id), &[(mouse, 1, None)])
            .await,
    );
    app.db()
        .execute_unprepared(&format!("DELETE FROM oms_orderitem WHERE order_id = {o4}"))
        .await
        .expect("empty o4");
    let p2 = payment(app, &d, o2, "Cash", &["COMPLETED"]).await;
    let p3 = payment(app, &d, o3, "Cash", &[]).await;
    let p4 = payment(app, &d, o3, "Card", &["FAILED"]).await;
    World {
        o: [d.order, o2, o3, o4],
        p: [d.payment, p2, p3, p4],
        d,
        bob,
    }
}

async fn ids(app: &TestApp, list: &str, filter: Value, token: &str) -> Vec<i64> {
    let r = app
        .gql(
            &format!(
                "query($f: {}Filter) {{ {list}(filter: $f, first: 100) {{ totalCount nodes {{ id }} }} }}",
                if list == "orders" { "Order" } else { "Payment" }
            ),
            json!({ "f": filter }),
            Some(token),
        )
        .await;
    let page = &data(&r)[list];
    let mut ids: Vec<i64> = page["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    assert_eq!(page["totalCount"], ids.len(), "totalCount of {filter}");
    ids.sort();
    ids
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort();
    v
}

#[tokio::test]
async fn order_relation_filters_mean_some_every_none() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let [o1, o2, o3, o4] = w.o;
    let admin = w.d.admin.as_str();
    let mouse = json!({ "product": { "sku": { "eq": "SKU-Mouse" } } });
    let cases: Vec<(Value, Vec<i64>)> = vec![
        (
            json!({ "customerWhere": { "username": { "eq": "bob" } } }),
            vec![o3, o4],
        ),
        (
            json!({ "customerWhere": { "email": { "startsWith": "user@" } } }),
            vec![o1, o2],
        ),
        (json!({ "items": { "some": mouse } }), vec![o2, o3]),
        // every: true for o4, which has no items
        (json!({ "items": { "every": mouse } }), vec![o2, o4]),
        (json!({ "items": { "none": mouse } }), vec![o1, o4]),
        (
            json!({ "items": { "some": { "quantity": { "gte": 2 } } } }),
            vec![o2],
        ),
        (
            json!({ "items": { "some": mouse, "none": { "product": { "name": { "eq": "Laptop" } } } } }),
            vec![o2],
        ),
        (
            json!({ "payments": { "some": { "status": { "eq": "COMPLETED" } } } }),
            vec![o2],
        ),
        (
            json!({ "payments": { "every": { "paymentMethod": { "eq": "Cash" } } } }),
            vec![o2, o4],
        ),
        (json!({ "payments": { "none": {} } }), vec![o4]),
        (json!({ "payments": { "some": {} } }), vec![o1, o2, o3]),
        // paidAt is null for all but the completed payment: unknown (NULL > t) fails `every`
        (
            json!({ "payments": { "every": { "paidAt": { "gt": "2000-01-01T00:00:00Z" } } } }),
            vec![o2, o4],
        ),
        (
            json!({
                "or": [
                    { "customerWhere": { "username": { "eq": "bob" } } },
                    { "items": { "some": mouse } }
                ],
                "not": { "payments": { "some": { "status": { "eq": "FAILED" } } } }
            }),
            vec![o2, o4],
        ),
        (
            json!({ "and": [
                { "items": { "some": { "product": { "name": { "eq": "Laptop" } } } } },
                { "payments": { "some": { "orderWhere": { "customerWhere": { "username": { "eq": "bob" } } } } } }
            ] }),
            vec![o3],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            ids(&app, "orders", filter.clone(), admin).await,
            sorted(expected),
            "{filter}"
        );
    }
}

#[tokio::test]
async fn payments_filter_through_their_order() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let [p1, p2, p3, p4] = w.p;
    let admin = w.d.admin.as_str();
    let cases: Vec<(Value, Vec<i64>)> = vec![
        (
            json!({ "orderWhere": { "customerWhere": { "username": { "eq": "bob" } } } }),
            vec![p3, p4],
        ),
        (
            json!({ "orderWhere": { "customer": { "eq": w.d.user_id } } }),
            vec![p1, p2],
        ),
        (
            json!({ "orderWhere": { "status": { "eq": "PENDING" } } }),
            vec![p1, p2, p3, p4],
        ),
        (
            json!({ "orderWhere": { "status": { "ne": "PENDING" } } }),
            vec![],
        ),
        (
            json!({ "orderWhere": { "items": { "some": { "product": { "sku": { "eq": "SKU-Mouse" } } } } },
                    "not": { "status": { "eq": "FAILED" } } }),
            vec![p2, p3],
        ),
        (
            json!({ "or": [ { "paymentMethod": { "eq": "Card" } }, { "orderWhere": { "id": { "eq": w.o[0] } } } ] }),
            vec![p1, p4],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            ids(&app, "payments", filter.clone(), admin).await,
            sorted(expected),
            "{filter}"
        );
    }
}

#[tokio::test]
async fn a_customer_sees_no_other_orders_through_a_relation_filter() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let user = w.d.user.as_str();
    let bobs = json!({ "customerWhere": { "username": { "eq": "bob" } } });
    assert_eq!(
        ids(&app, "orders", bobs.clone(), user).await,
        Vec::<i64>::new()
    );
    let not_bobs = json!({ "not": bobs });
    assert_eq!(
        ids(&app, "orders", not_bobs, user).await,
        sorted(vec![w.o[0], w.o[1]])
    );
    let any_items = json!({ "items": { "some": {} } });
    assert_eq!(
        ids(&app, "orders", any_items, user).await,
        sorted(vec![w.o[0], w.o[1]])
    );
    let bob_payments = json!({ "orderWhere": bobs });
    assert_eq!(
        ids(&app, "payments", bob_payments, user).await,
        Vec::<i64>::new()
    );
    let all = json!({ "orderWhere": { "payments": { "some": {} } } });
    assert_eq!(
        ids(&app, "payments", all, user).await,
        sorted(vec![w.p[0], w.p[1]])
    );
    // and bob sees only his own
    let mice = json!({ "items": { "some": { "product": { "sku": { "eq": "SKU-Mouse" } } } } });
    assert_eq!(ids(&app, "orders", mice, &w.bob).await, vec![w.o[2]]);
}

#[tokio::test]
async fn a_relation_filtered_page_is_one_statement() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let filter = json!({
        "customerWhere": { "username": { "startsWith": "b" } },
        "or": [
            { "items": { "every": { "product": { "sku": { "eq": "SKU-Mouse" } } } } },
            { "payments": { "some": { "orderWhere": { "status": { "eq": "PENDING" } } } } }
        ]
    });
    app.remember_caller(&w.d.admin).await;
    for first in [1, 2, 50] {
        let before = app.sql_count();
        let r = app
            .gql(
                "query($f: OrderFilter, $n: Int) { orders(filter: $f, first: $n) { nodes { id } } }",
                json!({ "f": filter, "n": first }),
                Some(&w.d.admin),
            )
            .await;
        data(&r);
        // one for the page, the token's user looked up within it
        assert_eq!(app.sql_count() - before, 1, "statements for first: {first}");
    }
}
