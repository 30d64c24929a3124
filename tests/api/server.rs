//! The server around the routes: health, readiness, metrics, CORS, the body limit, unknown
//! paths.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Reply, TestApp, spawn_app, spawn_app_with};

#[tokio::test]
async fn health_and_readiness_answer_200() {
    let app = spawn_app().await;
    let reply = app.get("/healthz", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["status"], "ok");

    let reply = app.get("/readyz", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["database"], "ok");
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.state.db.clone().close().await.expect("close the pool");
    let reply = app.get("/readyz", None).await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text
    );
    // liveness does not depend on the database
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn metrics_count_requests_latency_and_sql() {
    let app = spawn_app().await;
    app.create_user("metric", "metric-password", false).await;
    // a request that runs SQL, and one more
    app.login("metric", "metric-password").await;
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);

    let reply = app.get("/metrics", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let text = &reply.text;
    let line = |name: &str, parts: &[&str]| {
        text.lines()
            .any(|l| l.starts_with(name) && parts.iter().all(|p| l.contains(p)))
    };
    assert!(
        line(
            "oms_http_requests_total",
            &["route=\"/healthz\"", "method=\"GET\"", "status=\"200\""]
        ),
        "{text}"
    );
    assert!(
        line(
            "oms_http_requests_total",
            &[
                "route=\"/api/accounts/token/\"",
                "method=\"POST\"",
                "status=\"200\""
            ]
        ),
        "{text}"
    );
    assert!(
        line(
            "oms_http_request_duration_seconds_bucket",
            &["route=\"/healthz\""]
        ),
        "{text}"
    );
    let sql = text
        .lines()
        .find(|l| l.starts_with("oms_sql_statements_total"))
        .unwrap_or_else(|| panic!("no SQL counter in {text}"));
    let value: f64 = sql
        .rsplit(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("a number");
    assert!(value >= 1.0, "{sql}");
}

/// The recorder keeps each histogram sample until a scrape or an upkeep folds it in: a
/// serving process runs the upkeep itself, so memory stays bounded where `/metrics` is never
/// scraped (the thread is the process's, started with the first app).
#[cfg(target_os = "linux")]
#[tokio::test]
async fn metrics_are_kept_up_without_a_scrape() {
    let _app = spawn_app().await;
    let names: Vec<String> = std::fs::read_dir("/proc/self/task")
        .expect("the process's threads")
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect();
    assert!(
        names.iter().any(|n| n == "metrics-upkeep"),
        "no upkeep thread among {names:?}"
    );
}

async fn preflight(app: &TestApp, origin: &str) -> Reply {
    let response = app
        .client
        .request(Method::OPTIONS, app.url("/graphql"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    Reply::read(response).await
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let app = spawn_app_with(|s| s.cors_origins = vec!["https://app.example.com".into()]).await;

    let reply = preflight(&app, "https://app.example.com").await;
    assert!(reply.status.is_success(), "{reply:?}");
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    let methods = reply
        .header("access-control-allow-methods")
        .unwrap_or_default()
        .to_ascii_uppercase();
    assert!(methods.contains("POST"), "{methods}");
    let headers = reply
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(headers.contains("authorization"), "{headers}");

    let reply = preflight(&app, "https://evil.example.net").await;
    assert!(
        reply.header("access-control-allow-origin").is_none(),
        "{reply:?}"
    );

    // a simple request from the allowed origin gets the header too
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("Origin", "https://app.example.com")
        .json(&json!({ "query": "{ me { username } }" }))
        .send()
        .await
        .unwrap();
    let reply = Reply::read(response).await;
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
}

#[tokio::test]
async fn without_configured_origins_there_are_no_cors_headers() {
    let app = spawn_app().await;
    let reply = preflight(&app, "https://app.example.com").await;
    assert!(
        reply
            .headers
            .keys()
            .all(|k| !k.as_str().starts_with("access-control-")),
        "{reply:?}"
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app_with(|s| s.max_body_bytes = 2048).await;
    let padding = "x".repeat(4096);
    let big = json!({ "username": "u", "password": padding });

    let reply = app.post_json("/api/accounts/token/", &big, None).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text
    );

    let reply = app
        .post_json(
            "/graphql",
            &json!({ "query": format!("# {padding}\n{{ me {{ username }} }}") }),
            None,
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text
    );

    // just under the limit is read and answered
    let small = json!({ "username": "u", "password": "x".repeat(1500) });
    let reply = app.post_json("/api/accounts/token/", &small, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
}

#[tokio::test]
async fn unknown_paths_are_404_json() {
    let app = spawn_app().await;
    for path in ["/nope", "/api/accounts/token/extra/", "/graphql/nothing"] {
        let reply = app.get(path, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            reply
                .header("content-type")
                .is_some_and(|ct| ct.starts_with("application/json")),
            "{path}: {reply:?}"
        );
        assert_eq!(reply.body, json!({ "detail": "Not found." }), "{path}");
    }
}

/// The database's 503 reaches the client as it is, also for a request whose body the handler
/// never read (the slow-body 408 is only for the request timeout).
#[tokio::test]
async fn a_database_503_is_not_mistaken_for_a_slow_body() {
    let app = spawn_app().await;
    let d = crate::fixtures::demo(&app).await;
    app.state.db.clone().close().await.expect("close the pool");
    let response = app
        .client
        .delete(app.url(&format!("/api/erp/oms/orders/{}/", d.order)))
        .bearer_auth(&d.admin)
        .json(&serde_json::json!({ "reason": "a body DELETE does not read" }))
        .send()
        .await
        .expect("DELETE sent");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(
        body["detail"],
        "The database is unavailable; try again shortly."
    );
}
