//! Permissions through REST: the role matrix of CONTRACT §6 (`OMS_AUTHZ=roles`, the default),
//! `OMS_ANONYMOUS_READ`, and the original application's own test cases under
//! `OMS_AUTHZ=legacy`.

use oms_gateway::config::AuthzMode;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::rest::support::{spawn, spawn_with};

fn ids(v: &serde_json::Value) -> Vec<i64> {
    v.as_array()
        .map(|a| a.iter().filter_map(|o| o["id"].as_i64()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_customer_sees_and_changes_only_their_own_orders() {
    let app = spawn().await;
    let (other, other_token) = app.new_customer("other").await;
    let user = app.customer().await;
    let order = format!("/api/erp/oms/orders/{}/", app.demo.order);
    let payment = format!("/api/erp/oms/payments/{}/", app.demo.payment);

    // the demo order is user's: other sees nothing of it
    assert_eq!(
        ids(&app.get("/api/erp/oms/orders/", Some(&user)).await.body),
        vec![1]
    );
    assert_eq!(
        app.get("/api/erp/oms/orders/", Some(&other_token))
            .await
            .body,
        json!([])
    );
    assert_eq!(
        app.get("/api/erp/oms/payments/", Some(&other_token))
            .await
            .body,
        json!([])
    );
    for path in [&order, &payment] {
        let a = app.get(path, Some(&other_token)).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        let a = app
            .patch(path, Some(&other_token), &json!({"status": "cancelled"}))
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        let a = app.delete(path, Some(&other_token)).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
    }
    // filtering by someone else, or by an order not theirs, is not an available choice
    let a = app
        .get(
            &format!("/api/erp/oms/orders/?customer={}", app.demo.user),
            Some(&other_token),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = app
        .get("/api/erp/oms/payments/?order=1", Some(&other_token))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    // a payment on someone else's order: that order does not exist for them
    let a = app
        .post(
            "/api/erp/oms/payments/",
            Some(&other_token),
            &json!({"order_id": app.demo.order, "amount": "1.00", "payment_method": "Cash"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.body,
        json!({"order_id": ["Invalid pk \"1\" - object does not exist."]})
    );

    // the owner may not confirm, may cancel; may not delete
    let a = app
        .patch(&order, Some(&user), &json!({"status": "confirmed"}))
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.body["detail"].is_string(), "{}", a.body);
    let a = app.delete(&order, Some(&user)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = app
        .patch(&order, Some(&user), &json!({"status": "cancelled"}))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["status"], "cancelled");

    // orders only for themselves, only pending; payments only pending
    let item = json!([{"product_id": 1, "quantity": 1, "price": "999.99", "stock_id": 1}]);
    let a = app
        .post(
            "/api/erp/oms/orders/",
            Some(&other_token),
            &json!({"customer_id": app.demo.user, "items": item}),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = app
        .post(
            "/api/erp/oms/orders/",
            Some(&other_token),
            &json!({"customer_id": other, "status": "confirmed", "items": item}),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = app
        .post(
            "/api/erp/oms/orders/",
            Some(&other_token),
            &json!({"customer_id": other, "items": item}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["customer"], "other");
    let own = a.body["id"].as_i64().unwrap();
    let a = app
        .post(
            "/api/erp/oms/payments/",
            Some(&other_token),
            &json!({"order_id": own, "amount": "1.00", "payment_method": "Cash", "status": "completed"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = app
        .post(
            "/api/erp/oms/payments/",
            Some(&other_token),
            &json!({"order_id": own, "amount": "1.00", "payment_method": "Cash"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let theirs = format!("/api/erp/oms/payments/{}/", a.body["id"]);
    let a = app
        .patch(&theirs, Some(&other_token), &json!({"status": "completed"}))
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn without_a_token_everything_is_401() {
    let app = spawn().await;
    let a = app.get("/api/erp/oms/orders/", None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.body,
        json!({"detail": "Authentication credentials were not provided."})
    );
    assert_eq!(a.header("www-authenticate"), Some("Bearer realm=\"api\""));
    let a = app.get("/api/erp/oms/orders/", Some("not-a-token")).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.body["code"], "token_not_valid");
    assert_eq!(a.header("www-authenticate"), Some("Bearer realm=\"api\""));
    // 401 before 405 and before filter errors, as DRF authenticates first
    let a = app
        .request(Method::PUT, "/api/erp/oms/orders/", None, None)
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = app.get("/api/erp/oms/orders/?id=abc", None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = app.get("/api/erp/oms/orders/abc/", None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn anonymous_read_opens_the_gets_only() {
    let app = spawn_with(|s| s.anonymous_read = true).await;
    let order = format!("/api/erp/oms/orders/{}/", app.demo.order);
    let payment = format!("/api/erp/oms/payments/{}/", app.demo.payment);
    for path in [
        "/api/erp/oms/",
        "/api/erp/oms/orders/",
        "/api/erp/oms/payments/",
        &order,
        &payment,
    ] {
        let a = app.get(path, None).await;
        assert_eq!(a.status, StatusCode::OK, "GET {path}");
    }
    let a = app
        .post(
            "/api/erp/oms/payments/",
            None,
            &json!({"order_id": 1, "amount": "1.00", "payment_method": "Cash"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.header("www-authenticate"), Some("Bearer realm=\"api\""));
    let a = app
        .patch(&order, None, &json!({"status": "cancelled"}))
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = app.delete(&payment, None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = app.get("/api/erp/oms/orders/abc/", None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

/// The original InventoryHub application's own permission tests, against this server with
/// `OMS_AUTHZ=legacy`.
mod legacy {
    use super::*;

    #[tokio::test]
    async fn a_non_staff_user_lists_orders_and_payments() {
        let app = spawn_with(|s| s.authz = AuthzMode::Legacy).await;
        let (_, token) = app.new_customer("someone").await;
        let orders = app.get("/api/erp/oms/orders/", Some(&token)).await;
        assert_eq!(orders.status, StatusCode::OK);
        assert_eq!(
            ids(&orders.body),
            vec![1],
            "every order, not only their own"
        );
        let payments = app.get("/api/erp/oms/payments/", Some(&token)).await;
        assert_eq!(payments.status, StatusCode::OK);
        assert_eq!(ids(&payments.body), vec![1]);
    }

    #[tokio::test]
    async fn a_non_staff_user_creates_an_order() {
        let app = spawn_with(|s| s.authz = AuthzMode::Legacy).await;
        let token = app.customer().await;
        let a = app
            .post(
                "/api/erp/oms/orders/",
                Some(&token),
                &json!({
                    "customer_id": app.demo.user,
                    "status": "pending",
                    "items": [{"product_id": app.demo.laptop, "quantity": 2, "price": "999.99", "stock_id": app.demo.stock}],
                }),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert_eq!(a.body["total_amount"], "1999.98");
        assert_eq!(a.body["customer"], "user");
    }

    #[tokio::test]
    async fn a_non_staff_user_creates_a_completed_payment() {
        let app = spawn_with(|s| s.authz = AuthzMode::Legacy).await;
        let token = app.customer().await;
        let a = app
            .post(
                "/api/erp/oms/payments/",
                Some(&token),
                &json!({"order_id": app.demo.order, "amount": "999.99", "payment_method": "Credit Card", "status": "completed"}),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert_eq!(a.body["status"], "completed");
        assert!(a.body["paid_at"].is_string(), "a completed payment is paid");
    }

    #[tokio::test]
    async fn staff_updates_a_payment() {
        let app = spawn_with(|s| s.authz = AuthzMode::Legacy).await;
        let path = format!("/api/erp/oms/payments/{}/", app.demo.payment);
        let a = app
            .patch(
                &path,
                Some(&app.admin().await),
                &json!({"status": "completed"}),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["status"], "completed");
    }

    #[tokio::test]
    async fn staff_deletes_a_payment() {
        let app = spawn_with(|s| s.authz = AuthzMode::Legacy).await;
        let path = format!("/api/erp/oms/payments/{}/", app.demo.payment);
        let a = app.delete(&path, Some(&app.admin().await)).await;
        assert_eq!(a.status, StatusCode::NO_CONTENT);
        assert_eq!(
            app.get(&path, Some(&app.admin().await)).await.status,
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn still_no_token_no_access() {
        let app = spawn_with(|s| s.authz = AuthzMode::Legacy).await;
        let a = app.get("/api/erp/oms/orders/", None).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
}
