//! Relay's Global Object Identification (issue 14): `nodeId` on `Order`, `Payment`, `Product`,
//! `Stock` and `User` (base64 of `Type:id`, unique across types, the `Int` ids kept), and
//! `node(id:)` / `nodes(ids:)` refetching them with the roles of `order(id)`/`payment(id)`:
//! null for what the caller may not see and for any id that names nothing; `nodes` keeps order
//! and length and loads by type, in statements that do not grow with the number of ids.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oms_gateway::config::AuthzMode;
use serde_json::{Value, json};

use crate::fixtures::{Demo, data, demo, error_code};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// What each fragment selects of the object a global id names.
const FIELDS: &str = "__typename nodeId
    ... on Order { id status customer { username } items { product { name } } }
    ... on Payment { id amount order { id } }
    ... on Product { id name category { name } }
    ... on Stock { id quantity label }
    ... on User { id username }";

fn b64(text: &str) -> String {
    STANDARD.encode(text)
}

/// The global ids of the demo's objects, as the API shows them: (type, Int id, nodeId).
async fn demo_ids(app: &TestApp, d: &Demo, token: &str) -> Vec<(&'static str, i64, String)> {
    let r = app
        .gql(
            "query($o: Int!, $p: Int!) {
               order(id: $o) { id nodeId customer { id nodeId } }
               payment(id: $p) { id nodeId }
               products(first: 1) { nodes { id nodeId } }
               stocks(first: 1) { nodes { id nodeId } }
             }",
            json!({ "o": d.order, "p": d.payment }),
            Some(token),
        )
        .await;
    let a = data(&r);
    let pair = |v: &Value| {
        (
            v["id"].as_i64().unwrap(),
            v["nodeId"].as_str().unwrap().to_owned(),
        )
    };
    [
        ("Order", &a["order"]),
        ("User", &a["order"]["customer"]),
        ("Payment", &a["payment"]),
        ("Product", &a["products"]["nodes"][0]),
        ("Stock", &a["stocks"]["nodes"][0]),
    ]
    .into_iter()
    .map(|(kind, v)| {
        let (id, node_id) = pair(v);
        (kind, id, node_id)
    })
    .collect()
}

async fn node(app: &TestApp, id: &str, token: Option<&str>) -> Value {
    let r = app
        .gql(
            &format!("query($id: ID!) {{ node(id: $id) {{ {FIELDS} }} }}"),
            json!({ "id": id }),
            token,
        )
        .await;
    data(&r)["node"].clone()
}

#[tokio::test]
async fn every_node_type_is_refetched_by_its_global_id() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let ids = demo_ids(&app, &d, &d.admin).await;
    let mut seen = std::collections::HashSet::new();
    for (kind, id, node_id) in &ids {
        // base64 of `Type:id`, as graphql-relay writes it
        assert_eq!(*node_id, b64(&format!("{kind}:{id}")), "{kind}");
        assert!(seen.insert(node_id.clone()), "unique across types");
        let found = node(&app, node_id, Some(&d.admin)).await;
        assert_eq!(found["__typename"], *kind, "{found}");
        assert_eq!(found["nodeId"], *node_id);
        assert_eq!(found["id"], *id);
    }
    // what each type's fragment selects, read as the other queries read it
    let order = node(&app, &ids[0].2, Some(&d.admin)).await;
    assert_eq!(
        order,
        json!({ "__typename": "Order", "nodeId": ids[0].2, "id": d.order, "status": "PENDING",
                "customer": { "username": "user" }, "items": [{ "product": { "name": "Laptop" } }] })
    );
    let stock = node(&app, &ids[4].2, Some(&d.admin)).await;
    assert_eq!(stock["label"], "Main WH - A1");
    assert_eq!(stock["quantity"], 49);
    let product = node(&app, &ids[3].2, Some(&d.admin)).await;
    assert_eq!(product["category"]["name"], "Electronics");
    let payment = node(&app, &ids[2].2, Some(&d.admin)).await;
    assert_eq!(payment["order"]["id"], d.order);
    assert_eq!(payment["amount"], "999.99");
    // `me` and a mutation's result carry the same ids
    let r = app
        .gql("{ me { id nodeId } }", json!({}), Some(&d.user))
        .await;
    assert_eq!(data(&r)["me"]["nodeId"], ids[1].2);
    let r = app
        .gql(
            "mutation($o: Int!) { updateOrder(id: $o, input: { status: CONFIRMED }) { nodeId } }",
            json!({ "o": d.order }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(data(&r)["updateOrder"]["nodeId"], ids[0].2);
}

#[tokio::test]
async fn ids_that_name_nothing_are_null_and_nodes_keeps_order_and_length() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let ids = demo_ids(&app, &d, &d.admin).await;
    let order = &ids[0].2;
    let nothing = [
        "garbage".to_owned(),
        String::new(),
        b64("Order:999999"),
        b64("Order:01"),
        b64(&format!("order:{}", d.order)),
        b64(&format!("Category:{}", d.category)),
        b64(&format!("Order {}", d.order)),
        format!("{}", d.order),
    ];
    for id in &nothing {
        assert_eq!(node(&app, id, Some(&d.admin)).await, Value::Null, "{id:?}");
    }
    // in order, of the same length, nulls where `node` answers null, duplicates answered twice
    let mut asked: Vec<String> = Vec::new();
    let mut want: Vec<Value> = Vec::new();
    for (i, (kind, id, node_id)) in ids.iter().enumerate() {
        asked.push(nothing[i % nothing.len()].clone());
        want.push(Value::Null);
        asked.push(node_id.clone());
        want.push(json!({ "__typename": kind, "id": id }));
    }
    asked.push(order.clone());
    want.push(json!({ "__typename": "Order", "id": d.order }));
    let query = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename ... on Order { id } ... on Payment { id }
        ... on Product { id } ... on Stock { id } ... on User { id } } }";
    let r = app
        .gql(query, json!({ "ids": asked }), Some(&d.admin))
        .await;
    assert_eq!(data(&r)["nodes"], json!(want));
    let r = app.gql(query, json!({ "ids": [] }), Some(&d.admin)).await;
    assert_eq!(data(&r)["nodes"], json!([]));

    // at most 100 ids
    let many: Vec<&String> = std::iter::repeat_n(order, 101).collect();
    let r = app.gql(query, json!({ "ids": many }), Some(&d.admin)).await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r}");
    assert!(
        r["errors"][0]["extensions"]["fields"]["ids"].is_array(),
        "{r}"
    );
    let hundred: Vec<&String> = std::iter::repeat_n(order, 100).collect();
    let r = app
        .gql(query, json!({ "ids": hundred }), Some(&d.admin))
        .await;
    assert_eq!(data(&r)["nodes"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn a_customer_refetches_only_what_they_may_see() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let other = app.create_user("other", "other-password", false).await;
    let (other_token, _) = app.login("other", "other-password").await;
    let r = app
        .create_order(&d.admin, Some(other), &[(d.laptop, 1, Some(d.stock))])
        .await;
    let other_order = data(&r)["createOrder"]["id"].as_i64().unwrap();
    let r = app
        .gql(
            "mutation($o: Int!) { createPayment(input: { orderId: $o, amount: \"1.00\", paymentMethod: \"Cash\" }) { id } }",
            json!({ "o": other_order }),
            Some(&d.admin),
        )
        .await;
    let other_payment = data(&r)["createPayment"]["id"].as_i64().unwrap();
    let id = |kind: &str, row: i64| b64(&format!("{kind}:{row}"));
    let all = [
        id("Order", d.order),
        id("Payment", d.payment),
        id("User", d.user_id),
        id("Order", other_order),
        id("Payment", other_payment),
        id("User", other),
        id("User", d.admin_id),
        id("Product", d.laptop),
        id("Stock", d.stock),
    ];
    let query = "query($ids: [ID!]!) { nodes(ids: $ids) { nodeId } }";
    let seen = |r: &Value| -> Vec<bool> {
        data(r)["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| !n.is_null())
            .collect()
    };
    // the demo customer: their order, payment and self, and the catalog
    let r = app.gql(query, json!({ "ids": all }), Some(&d.user)).await;
    assert_eq!(
        seen(&r),
        [true, true, true, false, false, false, false, true, true]
    );
    // the other customer: the mirror image
    let r = app
        .gql(query, json!({ "ids": all }), Some(&other_token))
        .await;
    assert_eq!(
        seen(&r),
        [false, false, false, true, true, true, false, true, true]
    );
    // staff: everything
    let r = app.gql(query, json!({ "ids": all }), Some(&d.admin)).await;
    assert_eq!(seen(&r), [true; 9]);
    // `node` answers as `order(id)` does
    assert_eq!(node(&app, &all[3], Some(&d.user)).await, Value::Null);
    let r = app
        .gql(
            "query($o: Int!) { order(id: $o) { id } }",
            json!({ "o": other_order }),
            Some(&d.user),
        )
        .await;
    assert_eq!(data(&r)["order"], Value::Null);
    // no token: refused, as every read
    for q in [
        "query($ids: [ID!]!) { nodes(ids: $ids) { nodeId } }",
        "query($ids: [ID!]!) { a: node(id: \"x\") { nodeId } b: nodes(ids: $ids) { nodeId } }",
    ] {
        let r = app.gql(q, json!({ "ids": all }), None).await;
        assert_eq!(error_code(&r), "UNAUTHENTICATED", "{r}");
    }
}

#[tokio::test]
async fn legacy_and_anonymous_reads_see_every_node() {
    for open in ["legacy", "anonymous"] {
        let app = spawn_app_with(|s| match open {
            "legacy" => s.authz = AuthzMode::Legacy,
            _ => s.anonymous_read = true,
        })
        .await;
        let d = demo(&app).await;
        let other = app.create_user("other", "other-password", false).await;
        let (other_token, _) = app.login("other", "other-password").await;
        let token = (open == "legacy").then_some(other_token.as_str());
        let ids = [
            b64(&format!("Order:{}", d.order)),
            b64(&format!("Payment:{}", d.payment)),
            b64(&format!("User:{}", d.user_id)),
            b64(&format!("User:{other}")),
        ];
        let r = app
            .gql(
                "query($ids: [ID!]!) { nodes(ids: $ids) { nodeId } }",
                json!({ "ids": ids }),
                token,
            )
            .await;
        let got: Vec<&Value> = data(&r)["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| &n["nodeId"])
            .collect();
        assert_eq!(json!(got), json!(ids), "{open}");
    }
}

/// Runs `query` and returns (answer, SQL statements it sent).
async fn counted(app: &TestApp, query: &str, vars: Value, token: &str) -> (Value, u64) {
    let before = app.sql_count();
    let r = app.gql(query, vars, Some(token)).await;
    let sent = app.sql_count() - before;
    data(&r);
    (r, sent)
}

#[tokio::test]
async fn nodes_cost_the_same_statements_for_one_id_of_each_type_and_for_many() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    // ten of each type
    let mut made: Vec<(&str, i64)> = Vec::new();
    for i in 0..10 {
        let name = format!("Part {i}");
        let (product, stock) = app.product_with_stock(&d, &name, "2.00", 5).await;
        let r = app
            .create_order(&d.admin, Some(d.user_id), &[(product, 1, Some(stock))])
            .await;
        let order = data(&r)["createOrder"]["id"].as_i64().unwrap();
        let r = app
            .gql(
                "mutation($o: Int!) { createPayment(input: { orderId: $o, amount: \"1.00\", paymentMethod: \"Cash\" }) { id } }",
                json!({ "o": order }),
                Some(&d.admin),
            )
            .await;
        let payment = data(&r)["createPayment"]["id"].as_i64().unwrap();
        let user = app
            .create_user(&format!("buyer{i}"), "buyer-password", false)
            .await;
        made.extend([
            ("Order", order),
            ("Payment", payment),
            ("Product", product),
            ("Stock", stock),
            ("User", user),
        ]);
    }
    let ids = |rows: &[(&str, i64)]| -> Vec<String> {
        rows.iter()
            .map(|(kind, row)| b64(&format!("{kind}:{row}")))
            .collect()
    };
    let query = format!("query($ids: [ID!]!) {{ nodes(ids: $ids) {{ {FIELDS} }} }}");
    let (r, many) = counted(&app, &query, json!({ "ids": ids(&made) }), &d.admin).await;
    let nodes = data(&r)["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 50);
    assert!(nodes.iter().all(|n| !n.is_null()), "{r}");
    assert_eq!(nodes[0]["items"][0]["product"]["name"], "Part 0");
    assert_eq!(nodes[3]["label"], "Main WH - A1");
    let (_, one) = counted(&app, &query, json!({ "ids": ids(&made[..5]) }), &d.admin).await;
    assert_eq!(many, one, "statements for 10 ids of each type and for 1");
    // the caller; orders, payments, users, products, stock rows (one each); the orders'
    // customers and items with their products (one); the payments' orders (one); the
    // products' categories, the stock rows' locations and warehouses (one each)
    assert_eq!(many, 1 + 5 + 1 + 1 + 3);
    // only what is asked for: one type, no relations
    let (_, orders_only) = counted(
        &app,
        "query($ids: [ID!]!) { nodes(ids: $ids) { nodeId } }",
        json!({ "ids": ids(&made[..1]) }),
        &d.admin,
    )
    .await;
    assert_eq!(orders_only, 2, "the caller and the orders");
}
