//! Abuse limits of the REST layer (issue 7): requests counted per client, 429 with DRF's body
//! and `Retry-After`; oversized bodies answered 413 with DRF's `{"detail": ...}`.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::rest::support::{TestApp, spawn_with};

async fn limited(per_minute: u64) -> TestApp {
    spawn_with(|s| {
        s.rate_limit.enabled = true;
        s.rate_limit.rest_per_minute = per_minute;
    })
    .await
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429_with_drfs_body_and_retry_after() {
    let app = limited(5).await;
    let admin = app.admin().await;
    for _ in 0..5 {
        let a = app.get("/api/erp/oms/orders/", Some(&admin)).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    }
    let refused = app.get("/api/erp/oms/orders/", Some(&admin)).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    // 5 a minute: one comes back every 12 seconds
    assert!((1..=12).contains(&retry), "{retry}");
    assert_eq!(
        refused.body,
        json!({ "detail": format!("Request was throttled. Expected available in {retry} seconds.") })
    );
    // writes are counted too, and nothing is written when refused
    let created = app
        .post(
            "/api/erp/oms/orders/",
            Some(&admin),
            &json!({ "customer_id": app.demo.user, "items": [{ "product_id": app.demo.laptop, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::TOO_MANY_REQUESTS);
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        entity::order::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn each_client_is_counted_apart() {
    let app = limited(3).await;
    let admin = app.admin().await;
    let user = app.customer().await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/api/erp/oms/orders/", Some(&admin)).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        app.get("/api/erp/oms/orders/", Some(&admin)).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // another user, and an anonymous client (counted by address), have their own counts
    assert_eq!(
        app.get("/api/erp/oms/orders/", Some(&user)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/erp/oms/orders/", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_token_endpoint_is_throttled_by_address() {
    let app = limited(2).await;
    let body = json!({ "username": "admin", "password": "wrong" });
    for _ in 0..2 {
        let a = app.post("/api/accounts/token/", None, &body).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);
    }
    let refused = app.post("/api/accounts/token/", None, &body).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("Request was throttled. Expected available in ")
    );
}

#[tokio::test]
async fn rest_is_not_throttled_by_default() {
    let app = spawn_with(|_| {}).await;
    let admin = app.admin().await;
    for _ in 0..30 {
        assert_eq!(
            app.get("/api/erp/oms/", Some(&admin)).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn an_oversized_body_answers_413_with_drfs_detail() {
    let app = spawn_with(|s| s.max_body_bytes = 1000).await;
    let admin = app.admin().await;
    let big = json!({ "customer_id": 1, "items": [], "note": "x".repeat(5000) }).to_string();
    let a = app
        .raw(
            Method::POST,
            "/api/erp/oms/orders/",
            Some(&admin),
            "application/json",
            &big,
        )
        .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        a.body,
        json!({ "detail": "Request body too large: the limit is 1000 bytes." })
    );
    // the same without Content-Length (chunked)
    let mut stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
    let head = format!(
        "POST /api/erp/oms/orders/ HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {admin}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        app.address
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in big.as_bytes().chunks(400) {
        let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
        frame.extend_from_slice(chunk);
        frame.extend_from_slice(b"\r\n");
        if stream.write_all(&frame).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut text = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut text)).await;
    let text = String::from_utf8_lossy(&text);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    let body: Value = serde_json::from_str(text.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(
        body,
        json!({ "detail": "Request body too large: the limit is 1000 bytes." })
    );
}
