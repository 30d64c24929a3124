//! One domain, two faces: an order created through REST reads the same through GraphQL, and
//! one created through GraphQL reads the same through REST.

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::rest::support::spawn;

const ORDER_QUERY: &str = r#"query($id: Int!) { order(id: $id) {
    id customer { username } status totalAmount createdAt updatedAt
    items { id product { name } quantity price stock { label } }
    payments { id amount paymentMethod status paidAt createdAt }
} }"#;

fn instant(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.to_utc())
}

/// Asserts that a REST order and a GraphQL `Order` say the same.
fn assert_same_order(rest: &Value, gql: &Value) {
    assert_eq!(rest["id"], gql["id"]);
    assert_eq!(rest["customer"], gql["customer"]["username"]);
    assert_eq!(
        rest["status"].as_str().map(str::to_uppercase).as_deref(),
        gql["status"].as_str()
    );
    assert_eq!(rest["total_amount"], gql["totalAmount"]);
    assert_eq!(instant(&rest["created_at"]), instant(&gql["createdAt"]));
    assert_eq!(instant(&rest["updated_at"]), instant(&gql["updatedAt"]));
    let (ri, gi) = (
        rest["items"].as_array().unwrap(),
        gql["items"].as_array().unwrap(),
    );
    assert_eq!(ri.len(), gi.len());
    for (r, g) in ri.iter().zip(gi) {
        assert_eq!(r["id"], g["id"]);
        assert_eq!(r["product"], g["product"]["name"]);
        assert_eq!(r["quantity"], g["quantity"]);
        assert_eq!(r["price"], g["price"]);
        assert_eq!(r["stock"], g["stock"]["label"]);
    }
    let (rp, gp) = (
        rest["payments"].as_array().unwrap(),
        gql["payments"].as_array().unwrap(),
    );
    assert_eq!(rp.len(), gp.len());
    for (r, g) in rp.iter().zip(gp) {
        assert_eq!(r["id"], g["id"]);
        assert_eq!(r["amount"], g["amount"]);
        assert_eq!(r["payment_method"], g["paymentMethod"]);
        assert_eq!(
            r["status"].as_str().map(str::to_uppercase).as_deref(),
            g["status"].as_str()
        );
        assert_eq!(instant(&r["paid_at"]), instant(&g["paidAt"]));
        assert_eq!(instant(&r["created_at"]), instant(&g["createdAt"]));
    }
}

#[tokio::test]
async fn an_order_created_through_rest_reads_the_same_through_graphql() {
    let app = spawn().await;
    let token = app.admin().await;
    let created = app
        .post(
            "/api/erp/oms/orders/",
            Some(&token),
            &json!({
                "customer_id": app.demo.user,
                "items": [{"product_id": app.demo.laptop, "quantity": 3, "price": "10.10", "stock_id": app.demo.stock}],
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    let paid = app
        .post(
            "/api/erp/oms/payments/",
            Some(&token),
            &json!({"order_id": id, "amount": "30.30", "payment_method": "Card", "status": "completed"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.body);
    let rest = app
        .get(&format!("/api/erp/oms/orders/{id}/"), Some(&token))
        .await
        .body;
    assert_eq!(rest["total_amount"], "30.30");
    let data = app.graphql(&token, ORDER_QUERY, json!({"id": id})).await;
    assert_same_order(&rest, &data["order"]);
}

#[tokio::test]
async fn an_order_created_through_graphql_reads_the_same_through_rest() {
    let app = spawn().await;
    let token = app.admin().await;
    let data = app
        .graphql(
            &token,
            r#"mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }"#,
            json!({"input": {
                "customerId": app.demo.user,
                "items": [{"productId": app.demo.laptop, "quantity": 2, "price": "999.99", "stockId": app.demo.stock}],
            }}),
        )
        .await;
    let id = data["createOrder"]["id"].as_i64().unwrap();
    let rest = app
        .get(&format!("/api/erp/oms/orders/{id}/"), Some(&token))
        .await;
    assert_eq!(rest.status, StatusCode::OK);
    assert_eq!(rest.body["total_amount"], "1999.98");
    assert_eq!(rest.body["items"][0]["stock"], "Main WH - A1");
    let gql = app.graphql(&token, ORDER_QUERY, json!({"id": id})).await;
    assert_same_order(&rest.body, &gql["order"]);
    // and it is in the REST list too, first (newest)
    let list = app.get("/api/erp/oms/orders/", Some(&token)).await;
    assert_eq!(list.body[0], rest.body);
}
