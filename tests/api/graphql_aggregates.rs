//! `ordersAggregate` and `paymentsAggregate` (issue 14.1): exact money (values whose float sum
//! is wrong), groups by status, customer, UTC day and month, the role scope of the lists, and
//! one SQL statement per aggregate.

use serde_json::{Value, json};

use crate::fixtures::{Demo, data, demo};
use crate::helpers::{TestApp, spawn_app};

const TOTALS: &str =
    "count sum { totalAmount } avg { totalAmount } min { totalAmount } max { totalAmount }";
const PAYMENT_TOTALS: &str = "count sum { amount } avg { amount } min { amount } max { amount }";

/// Demo data plus bob, and orders: `dime` (user, 0.10, confirmed), `twenty` (user, 0.20), and
/// 30 orders of bob at 0.01. Returns (demo, bob's token, bob's id, [dime, twenty]).
async fn world(app: &TestApp) -> (Demo, String, i64, [i64; 2]) {
    let d = demo(app).await;
    // bob's id gets two digits, the user's has one: groups must sort them as numbers
    let mut filler = 0;
    while app
        .create_user(&format!("filler{filler}"), "fillerpass", false)
        .await
        < 9
    {
        filler += 1;
    }
    let bob_id = app.create_user("bob", "bobpass", false).await;
    assert!(d.user_id < 10 && bob_id >= 10, "{} {bob_id}", d.user_id);
    let (bob, _) = app.login("bob", "bobpass").await;
    let (dime, _) = app.product_with_stock(&d, "Dime", "0.10", 0).await;
    let (twenty, _) = app.product_with_stock(&d, "Twenty", "0.20", 0).await;
    let (penny, _) = app.product_with_stock(&d, "Penny", "0.01", 0).await;
    let order = |r: Value| data(&r)["createOrder"]["id"].as_i64().unwrap();
    let o_dime = order(
        app.create_order(&d.admin, Some(d.user_id), &[(dime, 1, None)])
            .await,
    );
    let o_twenty = order(
        app.create_order(&d.admin, Some(d.user_id), &[(twenty, 1, None)])
            .await,
    );
    for _ in 0..30 {
        order(
            app.create_order(&d.admin, Some(bob_id), &[(penny, 1, None)])
                .await,
        );
    }
    let r = app
        .gql(
            "mutation($id: Int!) { updateOrder(id: $id, input: { status: CONFIRMED }) { id } }",
            json!({ "id": o_dime }),
            Some(&d.admin),
        )
        .await;
    data(&r);
    (d, bob, bob_id, [o_dime, o_twenty])
}

async fn orders_aggregate(app: &TestApp, args: &str, fields: &str, token: &str) -> Value {
    let r = app
        .gql(
            &format!("{{ ordersAggregate{args} {{ {fields} }} }}"),
            json!({}),
            Some(token),
        )
        .await;
    data(&r)["ordersAggregate"].clone()
}

#[tokio::test]
async fn order_totals_are_exact() {
    let app = spawn_app().await;
    let (d, _, bob_id, [dime, twenty]) = world(&app).await;
    let two = orders_aggregate(
        &app,
        &format!("(filter: {{ id: {{ in: [{dime}, {twenty}] }} }})"),
        TOTALS,
        &d.admin,
    )
    .await;
    assert_eq!(
        two,
        json!({ "count": 2, "sum": { "totalAmount": "0.30" }, "avg": { "totalAmount": "0.15" },
                "min": { "totalAmount": "0.10" }, "max": { "totalAmount": "0.20" } })
    );
    let pennies = orders_aggregate(
        &app,
        &format!("(filter: {{ customer: {{ eq: {bob_id} }} }})"),
        TOTALS,
        &d.admin,
    )
    .await;
    assert_eq!(
        pennies,
        json!({ "count": 30, "sum": { "totalAmount": "0.30" }, "avg": { "totalAmount": "0.01" },
                "min": { "totalAmount": "0.01" }, "max": { "totalAmount": "0.01" } })
    );
    let all = orders_aggregate(&app, "", TOTALS, &d.admin).await;
    assert_eq!(all["count"], 33);
    assert_eq!(all["sum"]["totalAmount"], "1000.59");
    // 1000.59 / 33 = 30.3209...
    assert_eq!(all["avg"]["totalAmount"], "30.32");
    let none = orders_aggregate(&app, "(filter: { id: { eq: -1 } })", TOTALS, &d.admin).await;
    assert_eq!(
        none,
        json!({ "count": 0, "sum": { "totalAmount": null }, "avg": { "totalAmount": null },
                "min": { "totalAmount": null }, "max": { "totalAmount": null } })
    );
}

#[tokio::test]
async fn orders_group_by_status_customer_day_and_month() {
    let app = spawn_app().await;
    let (d, _, bob_id, _) = world(&app).await;
    let by_status = orders_aggregate(
        &app,
        "(groupBy: [STATUS])",
        &format!(
            "count sum {{ totalAmount }} groups {{ key {{ status customer day month }} {TOTALS} }}"
        ),
        &d.admin,
    )
    .await;
    assert_eq!(by_status["count"], 33);
    assert_eq!(by_status["sum"]["totalAmount"], "1000.59");
    let groups = by_status["groups"].as_array().unwrap();
    let summary: Vec<(Value, Value, Value)> = groups
        .iter()
        .map(|g| {
            (
                g["key"]["status"].clone(),
                g["count"].clone(),
                g["sum"]["totalAmount"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (json!("CONFIRMED"), json!(1), json!("0.10")),
            (json!("PENDING"), json!(32), json!("1000.49")),
        ]
    );
    assert_eq!(
        groups[0]["key"]["customer"],
        Value::Null,
        "keys not grouped by are null"
    );
    assert_eq!(groups[1]["avg"]["totalAmount"], "31.27"); // 1000.49 / 32 = 31.265...

    let r = app
        .gql(
            "{ orders(first: 1) { nodes { createdAt } } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    let created = data(&r)["orders"]["nodes"][0]["createdAt"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_customer_day = orders_aggregate(
        &app,
        "(groupBy: [CUSTOMER, CREATED_DAY, CREATED_MONTH, CUSTOMER])",
        "groups { key { status customer day month } count sum { totalAmount } }",
        &d.admin,
    )
    .await;
    let mut expected = vec![
        json!({ "key": { "status": null, "customer": d.user_id, "day": &created[..10], "month": &created[..7] },
                "count": 3, "sum": { "totalAmount": "1000.29" } }),
        json!({ "key": { "status": null, "customer": bob_id, "day": &created[..10], "month": &created[..7] },
                "count": 30, "sum": { "totalAmount": "0.30" } }),
    ];
    // groups come ordered by key: customer ids as numbers
    expected.sort_by_key(|g| g["key"]["customer"].as_i64());
    assert_eq!(by_customer_day["groups"], json!(expected));
}

#[tokio::test]
async fn a_customer_aggregates_only_their_own_orders() {
    let app = spawn_app().await;
    let (d, bob, bob_id, _) = world(&app).await;
    let mine = orders_aggregate(&app, "", TOTALS, &d.user).await;
    assert_eq!(mine["count"], 3);
    assert_eq!(mine["sum"]["totalAmount"], "1000.29");
    let others = orders_aggregate(
        &app,
        &format!("(filter: {{ customer: {{ eq: {bob_id} }} }}, groupBy: [CUSTOMER])"),
        "count sum { totalAmount } groups { count }",
        &d.user,
    )
    .await;
    assert_eq!(
        others,
        json!({ "count": 0, "sum": { "totalAmount": null }, "groups": [] })
    );
    let bobs = orders_aggregate(
        &app,
        "(groupBy: [CUSTOMER])",
        "groups { key { customer } count }",
        &bob,
    )
    .await;
    assert_eq!(
        bobs["groups"],
        json!([{ "key": { "customer": bob_id }, "count": 30 }])
    );
    let r = app
        .gql(
            &format!("{{ paymentsAggregate {{ {PAYMENT_TOTALS} }} }}"),
            json!({}),
            Some(&bob),
        )
        .await;
    assert_eq!(data(&r)["paymentsAggregate"]["count"], 0);
    let r = app
        .gql("{ ordersAggregate { count } }", json!({}), None)
        .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn payment_totals_are_exact_and_grouped() {
    let app = spawn_app().await;
    let (d, _, _, [dime, twenty]) = world(&app).await;
    for (order, amount, method) in [
        (dime, "0.1", "Cash"),
        (twenty, "0.2", "Cash"),
        (twenty, "0.7", "Card"),
    ] {
        let r = app
            .gql(
                "mutation($o: Int!, $a: Decimal!, $m: String!) { createPayment(input: { orderId: $o, amount: $a, paymentMethod: $m }) { id } }",
                json!({ "o": order, "a": amount, "m": method }),
                Some(&d.admin),
            )
            .await;
        data(&r);
    }
    let r = app
        .gql(
            &format!("{{ paymentsAggregate(filter: {{ paymentMethod: {{ eq: \"Cash\" }} }}) {{ {PAYMENT_TOTALS} }} }}"),
            json!({}),
            Some(&d.admin),
        )
        .await;
    assert_eq!(
        data(&r)["paymentsAggregate"],
        json!({ "count": 2, "sum": { "amount": "0.30" }, "avg": { "amount": "0.15" },
                "min": { "amount": "0.10" }, "max": { "amount": "0.20" } })
    );
    let r = app
        .gql(
            "{ paymentsAggregate(groupBy: [PAYMENT_METHOD, STATUS]) { count sum { amount } groups { key { status paymentMethod } count sum { amount } } } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    assert_eq!(
        data(&r)["paymentsAggregate"],
        json!({ "count": 4, "sum": { "amount": "1000.99" }, "groups": [
            { "key": { "status": "PENDING", "paymentMethod": "Card" }, "count": 1, "sum": { "amount": "0.70" } },
            { "key": { "status": "PENDING", "paymentMethod": "Cash" }, "count": 2, "sum": { "amount": "0.30" } },
            { "key": { "status": "PENDING", "paymentMethod": "Credit Card" }, "count": 1, "sum": { "amount": "999.99" } },
        ] })
    );
}

#[tokio::test]
async fn payments_group_by_their_orders_customer() {
    let app = spawn_app().await;
    let (d, bob, bob_id, [dime, _]) = world(&app).await;
    let r = app
        .gql(
            "query($c: Int!) { orders(first: 1, filter: { customer: { eq: $c } }) { nodes { id } } }",
            json!({ "c": bob_id }),
            Some(&d.admin),
        )
        .await;
    let bobs_order = data(&r)["orders"]["nodes"][0]["id"].as_i64().unwrap();
    for (order, amount) in [(dime, "0.1"), (bobs_order, "0.01"), (bobs_order, "0.02")] {
        let r = app
            .gql(
                "mutation($o: Int!, $a: Decimal!) { createPayment(input: { orderId: $o, amount: $a, paymentMethod: \"Cash\" }) { id } }",
                json!({ "o": order, "a": amount }),
                Some(&d.admin),
            )
            .await;
        data(&r);
    }
    let query = "{ paymentsAggregate(groupBy: [CUSTOMER]) { count groups { key { customer } count sum { amount } } } }";
    let before = app.sql_count();
    let r = app.gql(query, json!({}), Some(&d.admin)).await;
    // one to check the token, one for the aggregate (the customer read by a subquery)
    assert_eq!(app.sql_count() - before, 2);
    // the demo's payment and the dime's are the user's; ordered by customer id
    assert_eq!(
        data(&r)["paymentsAggregate"],
        json!({ "count": 4, "groups": [
            { "key": { "customer": d.user_id }, "count": 2, "sum": { "amount": "1000.09" } },
            { "key": { "customer": bob_id }, "count": 2, "sum": { "amount": "0.03" } },
        ] })
    );
    // bob, whose scope joins the orders already, sees his own group only
    let r = app.gql(query, json!({}), Some(&bob)).await;
    assert_eq!(
        data(&r)["paymentsAggregate"],
        json!({ "count": 2, "groups": [
            { "key": { "customer": bob_id }, "count": 2, "sum": { "amount": "0.03" } },
        ] })
    );
}

#[tokio::test]
async fn an_aggregate_is_one_statement() {
    let app = spawn_app().await;
    let (d, _, _, _) = world(&app).await;
    for query in [
        "{ ordersAggregate { count sum { totalAmount } } }",
        "{ ordersAggregate(groupBy: [STATUS, CREATED_DAY]) { count avg { totalAmount } groups { key { status day } count max { totalAmount } } } }",
        "{ ordersAggregate(filter: { items: { some: { product: { sku: { eq: \"SKU-Penny\" } } } } }, groupBy: [CUSTOMER]) { count groups { count } } }",
        "{ paymentsAggregate(filter: { orderWhere: { status: { eq: PENDING } } }, groupBy: [CREATED_MONTH]) { count groups { count } } }",
    ] {
        let before = app.sql_count();
        let r = app.gql(query, json!({}), Some(&d.admin)).await;
        data(&r);
        // one to check the token, one for the aggregate
        assert_eq!(app.sql_count() - before, 2, "{query}");
    }
}
