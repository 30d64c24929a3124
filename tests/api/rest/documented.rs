//! One test per example request of OMS.md (the documented InventoryHub API), comparing the
//! answer with the document field by field. The documented bodies below are copied verbatim
//! from OMS.md; the demo data (CONTRACT §2) is the state the document describes.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::rest::support::{assert_matches_doc, spawn};

fn documented_order_list() -> Value {
    json!([
      {
        "id": 1,
        "customer": "user",
        "status": "pending",
        "total_amount": "999.99",
        "created_at": "2025-11-21T12:00:00Z",
        "updated_at": "2025-11-21T12:05:00Z",
        "items": [
          {
            "id": 1,
            "product": "Laptop",
            "quantity": 1,
            "price": "999.99",
            "stock": "Main WH - A1"
          }
        ],
        "payments": [
          {
            "id": 1,
            "amount": "999.99",
            "payment_method": "Credit Card",
            "status": "pending",
            "paid_at": null,
            "created_at": "2025-11-21T12:01:00Z"
          }
        ]
      }
    ])
}

fn documented_payment_list() -> Value {
    json!([
      {
        "id": 1,
        "order": "Order #1 - user",
        "amount": "999.99",
        "payment_method": "Credit Card",
        "status": "pending",
        "paid_at": null,
        "created_at": "2025-11-21T12:01:00Z"
      }
    ])
}

#[tokio::test]
async fn get_order_list_as_documented() {
    let app = spawn().await;
    let a = app
        .get("/api/erp/oms/orders/", Some(&app.admin().await))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert_matches_doc(&a.body, &documented_order_list());
}

#[tokio::test]
async fn get_order_list_with_the_documented_query() {
    let app = spawn().await;
    let path = format!(
        "/api/erp/oms/orders/?status=pending&customer={}",
        app.demo.user
    );
    let a = app.get(&path, Some(&app.admin().await)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_matches_doc(&a.body, &documented_order_list());
    let none = app
        .get(
            "/api/erp/oms/orders/?status=confirmed",
            Some(&app.admin().await),
        )
        .await;
    assert_eq!(none.body, json!([]));
}

#[tokio::test]
async fn post_order_as_documented() {
    let app = spawn().await;
    let request = json!({
      "customer_id": 2,
      "status": "pending",
      "items": [
        {
          "product_id": 1,
          "quantity": 2,
          "price": 999.99,
          "stock_id": 1
        }
      ]
    });
    assert_eq!(
        (app.demo.user, app.demo.laptop, app.demo.stock),
        (2, 1, 1),
        "the document's ids are the demo data's"
    );
    let a = app
        .post("/api/erp/oms/orders/", Some(&app.admin().await), &request)
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_matches_doc(
        &a.body,
        &json!({
          "id": 2,
          "customer": "user",
          "status": "pending",
          "total_amount": "1999.98",
          "created_at": "2025-11-21T12:10:00Z",
          "updated_at": "2025-11-21T12:10:00Z",
          "items": [
            {
              "id": 2,
              "product": "Laptop",
              "quantity": 2,
              "price": "999.99",
              "stock": "Main WH - A1"
            }
          ],
          "payments": []
        }),
    );
    assert_eq!(a.body["created_at"], a.body["updated_at"]);
}

#[tokio::test]
async fn get_order_detail_as_documented() {
    let app = spawn().await;
    let path = format!("/api/erp/oms/orders/{}/", app.demo.order);
    let a = app.get(&path, Some(&app.admin().await)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_matches_doc(&a.body, &documented_order_list()[0]);
}

#[tokio::test]
async fn patch_order_as_documented() {
    let app = spawn().await;
    let path = format!("/api/erp/oms/orders/{}/", app.demo.order);
    let before = app.get(&path, Some(&app.admin().await)).await.body;
    let a = app
        .patch(
            &path,
            Some(&app.admin().await),
            &json!({"status": "confirmed"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_matches_doc(
        &a.body,
        &json!({
          "id": 1,
          "customer": "user",
          "status": "confirmed",
          "total_amount": "999.99",
          "created_at": "2025-11-21T12:00:00Z",
          "updated_at": "2025-11-21T12:15:00Z",
          "items": [
            {
              "id": 1,
              "product": "Laptop",
              "quantity": 1,
              "price": "999.99",
              "stock": "Main WH - A1"
            }
          ],
          "payments": [
            {
              "id": 1,
              "amount": "999.99",
              "payment_method": "Credit Card",
              "status": "pending",
              "paid_at": null,
              "created_at": "2025-11-21T12:01:00Z"
            }
          ]
        }),
    );
    assert_eq!(a.body["created_at"], before["created_at"]);
    assert_ne!(a.body["updated_at"], before["updated_at"]);
}

#[tokio::test]
async fn delete_order_as_documented() {
    let app = spawn().await;
    let path = format!("/api/erp/oms/orders/{}/", app.demo.order);
    let a = app.delete(&path, Some(&app.admin().await)).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(a.body, Value::Null);
    let gone = app.get(&path, Some(&app.admin().await)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        gone.body,
        json!({"detail": "No Order matches the given query."})
    );
    // its payment went with it
    let payments = app
        .get("/api/erp/oms/payments/", Some(&app.admin().await))
        .await;
    assert_eq!(payments.body, json!([]));
}

#[tokio::test]
async fn unauthorized_as_documented() {
    let app = spawn().await;
    let order = format!("/api/erp/oms/orders/{}/", app.demo.order);
    let payment = format!("/api/erp/oms/payments/{}/", app.demo.payment);
    for (method, path) in [
        (reqwest::Method::GET, "/api/erp/oms/orders/"),
        (reqwest::Method::POST, "/api/erp/oms/orders/"),
        (reqwest::Method::GET, order.as_str()),
        (reqwest::Method::PATCH, order.as_str()),
        (reqwest::Method::DELETE, order.as_str()),
        (reqwest::Method::GET, "/api/erp/oms/payments/"),
        (reqwest::Method::POST, "/api/erp/oms/payments/"),
        (reqwest::Method::PATCH, payment.as_str()),
        (reqwest::Method::DELETE, payment.as_str()),
    ] {
        let a = app
            .request(method.clone(), path, None, Some(&json!({})))
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        // DRF's own wording (CONTRACT §9), not the document's paraphrase
        assert_eq!(
            a.body,
            json!({"detail": "Authentication credentials were not provided."})
        );
        assert_eq!(a.header("www-authenticate"), Some("Bearer realm=\"api\""));
    }
}

#[tokio::test]
async fn get_payment_list_as_documented() {
    let app = spawn().await;
    let a = app
        .get("/api/erp/oms/payments/", Some(&app.admin().await))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_matches_doc(&a.body, &documented_payment_list());
}

#[tokio::test]
async fn get_payment_list_with_the_documented_query() {
    let app = spawn().await;
    let path = format!(
        "/api/erp/oms/payments/?status=pending&order={}",
        app.demo.order
    );
    let a = app.get(&path, Some(&app.admin().await)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_matches_doc(&a.body, &documented_payment_list());
}

#[tokio::test]
async fn post_payment_as_documented() {
    let app = spawn().await;
    let request = json!({
      "order_id": 1,
      "amount": 999.99,
      "payment_method": "PayPal",
      "status": "pending"
    });
    let a = app
        .post("/api/erp/oms/payments/", Some(&app.admin().await), &request)
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_matches_doc(
        &a.body,
        &json!({
          "id": 2,
          "order": "Order #1 - user",
          "amount": "999.99",
          "payment_method": "PayPal",
          "status": "pending",
          "paid_at": null,
          "created_at": "2025-11-21T12:10:00Z"
        }),
    );
}

#[tokio::test]
async fn get_payment_detail_as_documented() {
    let app = spawn().await;
    let path = format!("/api/erp/oms/payments/{}/", app.demo.payment);
    let a = app.get(&path, Some(&app.admin().await)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_matches_doc(&a.body, &documented_payment_list()[0]);
}

#[tokio::test]
async fn patch_payment_as_documented() {
    let app = spawn().await;
    let path = format!("/api/erp/oms/payments/{}/", app.demo.payment);
    let a = app
        .patch(
            &path,
            Some(&app.admin().await),
            &json!({"status": "completed"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_matches_doc(
        &a.body,
        &json!({
          "id": 1,
          "order": "Order #1 - user",
          "amount": "999.99",
          "payment_method": "Credit Card",
          "status": "completed",
          "paid_at": "2025-11-21T12:20:00Z",
          "created_at": "2025-11-21T12:01:00Z"
        }),
    );
}

#[tokio::test]
async fn delete_payment_as_documented() {
    let app = spawn().await;
    let path = format!("/api/erp/oms/payments/{}/", app.demo.payment);
    let a = app.delete(&path, Some(&app.admin().await)).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(a.body, Value::Null);
    let gone = app.get(&path, Some(&app.admin().await)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        gone.body,
        json!({"detail": "No Payment matches the given query."})
    );
}
