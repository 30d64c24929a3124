//! Abuse limits of GraphQL (issue 7): per-client cost buckets (in the process, or shared in
//! Redis), the cost in `extensions.cost`, 429 + `Retry-After` + THROTTLED when a bucket is
//! empty, JSON 413s, slow clients cut off.

use std::time::{Duration, Instant};

use oms_gateway::config::Settings;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::fixtures::{data, error_code};
use crate::helpers::{TestApp, TestDatabase, spawn_app_with, test_settings};

const SMALL: &str = "{ orders(first: 5) { nodes { id } } }";
const BIG: &str = "{ orders(first: 50) { nodes { id status items { id product { name } } } } }";

fn limited(bucket: u64, restore: u64) -> impl FnOnce(&mut Settings) {
    move |s| {
        s.rate_limit.enabled = true;
        s.rate_limit.graphql_bucket = bucket;
        s.rate_limit.graphql_restore = restore;
    }
}

/// The most requests a test sends to empty a bucket: far more than any bucket here holds, so a
/// limiter that never refuses fails the test instead of hanging it.
const MAX_SPEND: usize = 500;

/// Sends small queries as `token` until one is refused (429), at most `MAX_SPEND`.
async fn spend_bucket(app: &TestApp, token: &str) {
    for _ in 0..MAX_SPEND {
        if app.gql_reply(SMALL, json!({}), Some(token)).await.status != StatusCode::OK {
            return;
        }
    }
    panic!("the bucket was never empty after {MAX_SPEND} requests");
}

fn cost(body: &Value) -> &Value {
    &body["extensions"]["cost"]
}

fn requested(body: &Value) -> u64 {
    cost(body)["requestedQueryCost"]
        .as_u64()
        .unwrap_or_else(|| panic!("no extensions.cost: {body}"))
}

fn available(body: &Value) -> u64 {
    cost(body)["throttleStatus"]["currentlyAvailable"]
        .as_u64()
        .unwrap_or_else(|| panic!("no throttleStatus: {body}"))
}

/// The demo data and tokens, loaded without spending anyone's bucket.
struct Demo {
    admin: String,
    user: String,
    order: i64,
}

async fn demo(app: &TestApp) -> Demo {
    oms_gateway::seed::load(&app.state)
        .await
        .expect("demo data");
    let token = |name: &'static str| async move {
        oms_gateway::seed::access_token_for(&app.state, name)
            .await
            .unwrap()
            .expect("a demo user")
    };
    use migration::sea_orm::EntityTrait;
    let order = entity::order::Entity::find()
        .one(app.db())
        .await
        .unwrap()
        .expect("the demo order");
    Demo {
        admin: token("admin").await,
        user: token("user").await,
        order: order.id,
    }
}

/// A unique Redis key prefix per test, so parallel tests never share a bucket.
fn redis_prefix() -> String {
    format!("oms-test:{}:", uuid::Uuid::new_v4().simple())
}

async fn redis_is_up() -> bool {
    TcpStream::connect("127.0.0.1:6379").await.is_ok()
}

#[tokio::test]
async fn the_cost_is_reported_and_a_bigger_query_costs_more() {
    let app = spawn_app_with(limited(100_000, 10)).await;
    let d = demo(&app).await;
    let small = app.gql(SMALL, json!({}), Some(&d.admin)).await;
    data(&small);
    let big = app.gql(BIG, json!({}), Some(&d.admin)).await;
    data(&big);
    let (s, b) = (requested(&small), requested(&big));
    assert!(s >= 5, "a list of 5 costs at least 5: {small}");
    assert!(
        b > 10 * s,
        "50 orders with items cost far more than 5 ids: {s} vs {b}"
    );
    assert_eq!(cost(&big)["actualQueryCost"], json!(b));
    let status = &cost(&big)["throttleStatus"];
    assert_eq!(status["maximumAvailable"], json!(100_000));
    assert_eq!(status["restoreRate"], json!(10));
    // the bucket went down by what was charged (give or take the restore meanwhile)
    let left = available(&big);
    assert!(
        left <= 100_000 - s - b + 10 && left + 50 >= 100_000 - s - b,
        "{left}"
    );
}

/// The charge is the schema's complexity of the query (`OMS_MAX_COMPLEXITY`'s measure), the
/// same every time it runs (the second time from the remembered cost).
#[tokio::test]
async fn a_query_is_charged_its_complexity_every_time() {
    let app = spawn_app_with(limited(100_000, 10)).await;
    let d = demo(&app).await;
    // orders: first x nodes + 1; nodes: 1 + id + status + items; items: 10 x (id + product
    // (1 + name))
    let complexity = 50 * (1 + 1 + 1 + 10 * (1 + (1 + 1))) + 1;
    let first = app.gql(BIG, json!({}), Some(&d.admin)).await;
    let second = app.gql(BIG, json!({}), Some(&d.admin)).await;
    assert_eq!(data(&first), data(&second));
    assert_eq!(requested(&first), complexity);
    assert_eq!(requested(&second), complexity);
    assert_eq!(cost(&second)["actualQueryCost"], json!(complexity));
    let spent = available(&first) - available(&second);
    assert!(
        spent + 20 >= complexity && spent <= complexity,
        "the second run took its cost from the bucket: {spent}"
    );
}

#[tokio::test]
async fn an_empty_bucket_refuses_with_429_and_retry_after_then_restores() {
    let app = spawn_app_with(limited(100, 20)).await;
    let d = demo(&app).await;
    let per = requested(&app.gql(SMALL, json!({}), Some(&d.admin)).await);
    let mut refused = None;
    for _ in 0..(100 / per + 5) {
        let reply = app.gql_reply(SMALL, json!({}), Some(&d.admin)).await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(reply);
            break;
        }
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    }
    let reply = refused.expect("the bucket runs out");
    assert_eq!(error_code(&reply.body), "THROTTLED");
    let message = reply.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("Throttled") && message.contains("retry in"),
        "{message}"
    );
    assert!(
        reply.body.get("data").is_none(),
        "nothing ran: {}",
        reply.text
    );
    let retry: u64 = reply
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert_eq!(
        reply.body["extensions"]["cost"]["requestedQueryCost"],
        json!(per)
    );
    // it restores: after Retry-After seconds the same request passes
    tokio::time::sleep(Duration::from_secs(retry) + Duration::from_millis(100)).await;
    let again = app.gql_reply(SMALL, json!({}), Some(&d.admin)).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    data(&again.body);
}

#[tokio::test]
async fn a_refused_mutation_changes_nothing() {
    let app = spawn_app_with(limited(60, 1)).await;
    let d = demo(&app).await;
    // spend the bucket
    spend_bucket(&app, &d.user).await;
    let reply = app
        .gql_reply(
            "mutation($id: Int!) { updateOrder(id: $id, input: {status: CANCELLED}) { id items { id product { id } } } }",
            json!({ "id": d.order }),
            Some(&d.user),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.text
    );
    let order = app
        .gql(
            "query($id: Int!) { order(id: $id) { status } }",
            json!({ "id": d.order }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(data(&order)["order"]["status"], "PENDING");
}

#[tokio::test]
async fn a_query_larger_than_the_bucket_is_refused_with_a_clear_message() {
    let app = spawn_app_with(limited(50, 10)).await;
    let d = demo(&app).await;
    let reply = app.gql_reply(BIG, json!({}), Some(&d.admin)).await;
    assert_eq!(
        error_code(&reply.body),
        "MAX_COST_EXCEEDED",
        "{}",
        reply.text
    );
    assert!(
        reply.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("more than the 50")
    );
    // it was not charged: a small query still passes
    data(&app.gql(SMALL, json!({}), Some(&d.admin)).await);
}

#[tokio::test]
async fn a_batch_is_charged_its_total() {
    let app = spawn_app_with(limited(10_000, 1)).await;
    let d = demo(&app).await;
    let one = requested(&app.gql(SMALL, json!({}), Some(&d.admin)).await);
    let before = available(&app.gql(SMALL, json!({}), Some(&d.admin)).await);
    let batch = json!([{ "query": SMALL }, { "query": SMALL }, { "query": SMALL }]);
    let reply = app.post_json("/graphql", &batch, Some(&d.admin)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let items = reply.body.as_array().expect("a batch answer");
    assert_eq!(items.len(), 3);
    for item in items {
        assert_eq!(requested(item), one);
    }
    let after = available(&items[2]);
    assert!(
        after + 3 * one <= before + 1 && after + 3 * one + 2 >= before,
        "{before} -> {after}"
    );
    // a batch that does not fit is refused whole, as a batch
    let app = spawn_app_with(limited(3 * one - 1, 1)).await;
    let d = demo(&app).await;
    let reply = app.post_json("/graphql", &batch, Some(&d.admin)).await;
    let items = reply.body.as_array().expect("a batch answer");
    assert_eq!(error_code(&items[0]), "MAX_COST_EXCEEDED", "{}", reply.text);
}

#[tokio::test]
async fn each_client_has_its_own_bucket() {
    let app = spawn_app_with(limited(60, 1)).await;
    let d = demo(&app).await;
    spend_bucket(&app, &d.admin).await;
    assert_eq!(
        app.gql_reply(SMALL, json!({}), Some(&d.admin)).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // another user, and an anonymous client (by IP), still have full buckets
    let user = app.gql(SMALL, json!({}), Some(&d.user)).await;
    data(&user);
    assert!(available(&user) >= 60 - requested(&user) - 1);
    let anonymous = app.gql("{ __typename }", json!({}), None).await;
    assert_eq!(anonymous["data"]["__typename"], "Query");
    assert!(available(&anonymous) >= 58);
}

#[tokio::test]
async fn limits_are_off_by_default() {
    let app = spawn_app_with(|_| {}).await;
    let d = demo(&app).await;
    let body = app.gql(BIG, json!({}), Some(&d.admin)).await;
    data(&body);
    assert!(body.get("extensions").is_none(), "{body}");
}

#[tokio::test]
async fn replicas_share_one_bucket_in_redis() {
    if !redis_is_up().await {
        eprintln!("note: no Redis on 127.0.0.1:6379; the shared-bucket test is skipped");
        return;
    }
    let prefix = redis_prefix();
    let app = spawn_app_with(|s| {
        limited(100, 1)(s);
        s.rate_limit.redis_url = Some("redis://127.0.0.1:6379".to_owned());
        s.rate_limit.redis_prefix = prefix.clone();
    })
    .await;
    let d = demo(&app).await;
    let other = app.replica().await; // its own process state, its own local buckets
    let first = app.gql(SMALL, json!({}), Some(&d.admin)).await;
    let per = requested(&first);
    // the second replica sees what the first spent
    let second = other.gql(SMALL, json!({}), Some(&d.admin)).await;
    assert!(available(&second) <= 100 - 2 * per, "{second}");
    // spend the rest on the first replica: the second refuses
    spend_bucket(&app, &d.admin).await;
    let refused = other.gql_reply(SMALL, json!({}), Some(&d.admin)).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text
    );
    assert_eq!(error_code(&refused.body), "THROTTLED");
}

#[tokio::test]
async fn with_redis_down_requests_pass_and_are_limited_per_process() {
    // nothing listens on port 1
    let app = spawn_app_with(|s| {
        limited(100, 1)(s);
        s.rate_limit.redis_url = Some("redis://127.0.0.1:1".to_owned());
        s.rate_limit.redis_prefix = redis_prefix();
    })
    .await;
    let d = demo(&app).await;
    let other = app.replica().await;
    let started = Instant::now();
    let first = app.gql(SMALL, json!({}), Some(&d.admin)).await;
    data(&first);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "no long wait for Redis"
    );
    spend_bucket(&app, &d.admin).await;
    let refused = app.gql_reply(SMALL, json!({}), Some(&d.admin)).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    // the other process has its own bucket
    let second = other.gql(SMALL, json!({}), Some(&d.admin)).await;
    data(&second);
    assert!(available(&second) >= 100 - requested(&second) - 1);
}

#[tokio::test]
async fn an_oversized_graphql_body_answers_413_json_with_or_without_content_length() {
    let app = spawn_app_with(|s| s.max_body_bytes = 1000).await;
    let big = format!("{{\"query\":\"{}\"}}", "x".repeat(5000));
    let reply = app
        .post_raw("/graphql", "application/json", big.clone().into_bytes())
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&reply.body), "PAYLOAD_TOO_LARGE");
    assert_eq!(
        reply.body["errors"][0]["message"],
        "Request body too large: the limit is 1000 bytes."
    );
    let (status, body) = chunked_post(&app, "/graphql", big.as_bytes()).await;
    assert_eq!(status, 413, "{body}");
    let body: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(error_code(&body), "PAYLOAD_TOO_LARGE");
}

/// POSTs `body` with `Transfer-Encoding: chunked` (no Content-Length); the status and body.
pub async fn chunked_post(app: &TestApp, path: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(app.address).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        app.address
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(512) {
        let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
        frame.extend_from_slice(chunk);
        frame.extend_from_slice(b"\r\n");
        if stream.write_all(&frame).await.is_err() {
            break; // the server answered and closed early
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    read_response(&mut stream).await
}

/// Reads one HTTP/1.1 response (the server closes the connection after it, or sends its
/// Content-Length).
async fn read_response(stream: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("an answer")
            .unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end].lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            });
            if length.is_some_and(|len| buf.len() >= end + 4 + len) {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The gateway served as the binary serves it (`server::serve_router`, with its header read
/// timeout), on a fresh database.
async fn spawn_served(
    configure: impl FnOnce(&mut Settings),
) -> (std::net::SocketAddr, TestDatabase) {
    let database = TestDatabase::create().await;
    let mut settings = test_settings(&database.url);
    configure(&mut settings);
    let header_timeout = settings.header_timeout;
    let state = oms_gateway::state::AppState::connect(settings)
        .await
        .unwrap();
    oms_gateway::server::migrate(&state).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = oms_gateway::app::build_app(state);
    tokio::spawn(oms_gateway::server::serve_router(
        listener,
        app,
        header_timeout,
        std::future::pending(),
    ));
    (address, database)
}

#[tokio::test]
async fn a_client_sending_its_headers_too_slowly_is_disconnected() {
    let (address, _db) = spawn_served(|s| s.header_timeout = Duration::from_secs(1)).await;
    // a normal request on the same server is answered
    let ok = reqwest::Client::builder().no_proxy().build().unwrap();
    let health = ok
        .get(format!("http://{address}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    // slowloris: a request line and one header, then nothing; or nothing at all; or the
    // first bytes of an HTTP/2 preface
    for sent in [
        &b"POST /graphql HTTP/1.1\r\nHost: x\r\n"[..],
        b"",
        b"PRI * HT",
    ] {
        closed_within_the_timeout(address, sent).await;
    }
}

async fn closed_within_the_timeout(address: std::net::SocketAddr, sent: &[u8]) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(sent).await.unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue, // a 408 before closing is fine
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the connection is closed within the timeout after {sent:?}"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
}

#[tokio::test]
async fn a_body_trickled_slower_than_the_request_timeout_answers_408() {
    let app = spawn_app_with(|s| s.request_timeout = Duration::from_secs(1)).await;
    let mut stream = TcpStream::connect(app.address).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"query\"",
        app.address
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let (status, body) = read_response(&mut stream).await;
    assert_eq!(status, 408, "{body}");
    assert!(started.elapsed() < Duration::from_secs(4));
    let body: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(error_code(&body), "REQUEST_TIMEOUT");
}

/// A running `oms-gateway serve` process, killed when dropped.
struct Process {
    child: std::process::Child,
    base: String,
    /// The admin's access token (printed by `--demo`), if it was started with it.
    admin: Option<String>,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the real binary on `database_url` with the given settings (and a clean environment
/// otherwise); returns once it listens.
fn start_process(database_url: &str, demo: bool, env: &[(&str, &str)]) -> Process {
    use std::io::BufRead;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_oms-gateway"));
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("OMS_") || key == "DATABASE_URL" || key == "RUST_LOG" {
            cmd.env_remove(key.as_ref());
        }
    }
    cmd.arg("serve")
        .arg(if demo { "--demo" } else { "--no-migrate" })
        .env("DATABASE_URL", database_url)
        .env("OMS_BIND", "127.0.0.1:0")
        .env("OMS_JWT_SECRET", "two-processes-secret")
        .env("OMS_PASSWORD_ITERATIONS", "1000")
        .env("RUST_LOG", "error")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("start oms-gateway");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut admin = None;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(token) = line.trim().strip_prefix("admin: ") {
                admin = Some(token.to_owned());
            }
            if let Some(rest) = line.split("listening on ").nth(1) {
                let base = rest.split_whitespace().next().unwrap_or("").to_owned();
                let _ = tx.send((base, admin.clone()));
            }
        }
    });
    let (base, admin) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("oms-gateway listens");
    Process { child, base, admin }
}

async fn gql_at(base: &str, token: &str, query: &str) -> (StatusCode, Value) {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("an answer");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn two_processes_share_one_limit_in_redis_and_fall_back_to_their_own_when_it_is_down() {
    if !redis_is_up().await {
        eprintln!("note: no Redis on 127.0.0.1:6379; the two-process test is skipped");
        return;
    }
    for (redis, shared) in [
        ("redis://127.0.0.1:6379", true),
        ("redis://127.0.0.1:1", false),
    ] {
        let database = TestDatabase::create().await;
        let prefix = redis_prefix();
        let env = [
            ("OMS_RATE_LIMIT", "on"),
            ("OMS_GRAPHQL_COST_BUCKET", "100"),
            ("OMS_GRAPHQL_COST_RESTORE", "1"),
            ("OMS_REDIS_URL", redis),
            ("OMS_REDIS_PREFIX", prefix.as_str()),
        ];
        let a = start_process(&database.url, true, &env);
        let b = start_process(&database.url, false, &env);
        let admin = a.admin.clone().expect("--demo prints the admin's token");
        // spend the whole bucket through process A
        let (status, first) = gql_at(&a.base, &admin, SMALL).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        let mut refused = false;
        for _ in 0..MAX_SPEND {
            let (status, body) = gql_at(&a.base, &admin, SMALL).await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                assert_eq!(error_code(&body), "THROTTLED");
                refused = true;
                break;
            }
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        assert!(
            refused,
            "process A never refused within {MAX_SPEND} requests"
        );
        let (status, body) = gql_at(&b.base, &admin, SMALL).await;
        if shared {
            // process B sees what A spent
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
            assert_eq!(error_code(&body), "THROTTLED");
        } else {
            // Redis is down: B still answers, from its own full bucket
            assert_eq!(status, StatusCode::OK, "{body}");
            assert!(available(&body) >= 100 - requested(&body) - 1, "{body}");
        }
    }
}
