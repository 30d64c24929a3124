//! Leaks: a representative session (logins good and bad, a token refresh, GraphQL and REST
//! reads and writes, errors) against the real binary logging at trace level, the database
//! crates' targets (`sqlx`, `sea_orm`) named explicitly, in the pretty and in the JSON format;
//! then no log line, and no response, holds a token, a password, a password hash or SQL text.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestDatabase;
use crate::process::{ServerProcess, command};

const PASSWORD: &str = "Leaky-Pa55word-7f3a";
const WRONG_PASSWORD: &str = "Wrong-Pa55word-91c2";

/// Texts that must never appear in a log line or a response body (besides the token
/// endpoints' own answers, which hand out the tokens).
const SQL: &[&str] = &[
    "SELECT ",
    "INSERT INTO",
    "UPDATE \"",
    "UPDATE oms_",
    "DELETE FROM",
    "FROM \"",
    "RETURNING ",
    "BEGIN IMMEDIATE",
    "pg_advisory",
];

/// One request of the session and its answer.
struct Exchange {
    what: &'static str,
    status: StatusCode,
    headers: String,
    body: String,
}

struct Session {
    client: reqwest::Client,
    base: String,
    log: Vec<Exchange>,
}

impl Session {
    async fn send(
        &mut self,
        what: &'static str,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let mut request = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = format!("{:?}", response.headers());
        let text = response.text().await.unwrap_or_default();
        assert!(!status.is_server_error(), "{what}: {status} {text}");
        let value = serde_json::from_str(&text).unwrap_or(Value::Null);
        self.log.push(Exchange {
            what,
            status,
            headers,
            body: text,
        });
        value
    }

    async fn gql(&mut self, what: &'static str, token: &str, query: &str, vars: Value) -> Value {
        self.send(
            what,
            reqwest::Method::POST,
            "/graphql",
            Some(token),
            Some(json!({ "query": query, "variables": vars })),
        )
        .await
    }
}

/// Runs the session; returns the secrets it saw (tokens) and what was answered.
async fn session(base: &str) -> (Vec<String>, Vec<Exchange>) {
    use reqwest::Method;
    let mut s = Session {
        client: reqwest::Client::builder().no_proxy().build().unwrap(),
        base: base.to_owned(),
        log: Vec::new(),
    };
    let pair = s
        .send(
            "login",
            Method::POST,
            "/api/accounts/token/",
            None,
            Some(json!({ "username": "leaky", "password": PASSWORD })),
        )
        .await;
    let access = pair["access"].as_str().expect("an access token").to_owned();
    let refresh = pair["refresh"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    s.send(
        "bad password",
        Method::POST,
        "/api/accounts/token/",
        None,
        Some(json!({ "username": "leaky", "password": WRONG_PASSWORD })),
    )
    .await;
    s.gql(
        "GraphQL bad login",
        &access,
        "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { access } }",
        json!({ "u": "leaky", "p": WRONG_PASSWORD }),
    )
    .await;
    let rotated = s
        .send(
            "refresh",
            Method::POST,
            "/api/accounts/token/refresh/",
            None,
            Some(json!({ "refresh": refresh })),
        )
        .await;
    let access2 = rotated["access"]
        .as_str()
        .expect("rotated access")
        .to_owned();
    let refresh2 = rotated["refresh"]
        .as_str()
        .expect("rotated refresh")
        .to_owned();
    s.send(
        "blacklisted refresh",
        Method::POST,
        "/api/accounts/token/refresh/",
        None,
        Some(json!({ "refresh": refresh })),
    )
    .await;

    // GraphQL writes and reads
    let c = s
        .gql(
            "createCategory",
            &access2,
            "mutation { createCategory(name: \"Leak tests\") { id } }",
            json!({}),
        )
        .await;
    let category = c["data"]["createCategory"]["id"]
        .as_i64()
        .expect("category");
    let p = s.gql("createProduct", &access2,
        "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
        json!({ "i": { "name": "Leak", "sku": "LEAK-1", "price": "12.50", "categoryId": category } })).await;
    let product = p["data"]["createProduct"]["id"].as_i64().expect("product");
    let w = s
        .gql(
            "createWarehouse",
            &access2,
            "mutation { createWarehouse(name: \"Leak WH\") { id } }",
            json!({}),
        )
        .await;
    let warehouse = w["data"]["createWarehouse"]["id"].as_i64().expect("wh");
    let l = s
        .gql(
            "createLocation",
            &access2,
            "mutation($w: Int!) { createLocation(warehouseId: $w, code: \"L1\") { id } }",
            json!({ "w": warehouse }),
        )
        .await;
    let location = l["data"]["createLocation"]["id"].as_i64().expect("loc");
    let st = s
        .gql(
            "createStock",
            &access2,
            "mutation($p: Int!, $l: Int!) { createStock(productId: $p, locationId: $l, quantity: 10) { id } }",
            json!({ "p": product, "l": location }),
        )
        .await;
    let stock = st["data"]["createStock"]["id"].as_i64().expect("stock");
    s.gql(
        "createOrder",
        &access2,
        "mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }",
        json!({ "i": { "items": [{ "productId": product, "quantity": 1, "stockId": stock }] } }),
    )
    .await;
    s.gql(
        "insufficient stock",
        &access2,
        "mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }",
        json!({ "i": { "items": [{ "productId": product, "quantity": 1000, "stockId": stock }] } }),
    )
    .await;
    s.gql(
        "duplicate SKU",
        &access2,
        "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
        json!({ "i": { "name": "Leak 2", "sku": "LEAK-1", "price": "1", "categoryId": category } }),
    )
    .await;
    let me = s.gql("me", &access2, "{ me { id } }", json!({})).await;
    let me = me["data"]["me"]["id"].as_i64().expect("my id");
    s.gql(
        "GraphQL read",
        &access2,
        "{ me { username } orders { totalCount nodes { id totalAmount items { product { name } } payments { amount } } } }",
        json!({}),
    )
    .await;
    s.gql("GraphQL syntax error", &access2, "{ orders { ", json!({}))
        .await;

    // REST writes and reads
    let o = s
        .send(
            "REST create order",
            Method::POST,
            "/api/erp/oms/orders/",
            Some(&access2),
            Some(json!({ "customer_id": me, "items": [{ "product_id": product, "quantity": 2, "price": "12.50", "stock_id": stock }] })),
        )
        .await;
    let order = o["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("REST order: {o}"));
    s.send(
        "REST create payment",
        Method::POST,
        "/api/erp/oms/payments/",
        Some(&access2),
        Some(json!({ "order_id": order, "amount": "25.00", "payment_method": "Card" })),
    )
    .await;
    s.send(
        "REST patch",
        Method::PATCH,
        &format!("/api/erp/oms/orders/{order}/"),
        Some(&access2),
        Some(json!({ "status": "confirmed" })),
    )
    .await;
    s.send(
        "REST list",
        Method::GET,
        "/api/erp/oms/orders/?status=confirmed",
        Some(&access2),
        None,
    )
    .await;
    s.send(
        "REST invalid body",
        Method::POST,
        "/api/erp/oms/orders/",
        Some(&access2),
        Some(json!({ "items": [{ "product_id": 999999, "quantity": -1 }] })),
    )
    .await;
    s.send(
        "REST bad filter",
        Method::GET,
        "/api/erp/oms/orders/?customer=x",
        Some(&access2),
        None,
    )
    .await;
    s.send(
        "REST not found",
        Method::GET,
        "/api/erp/oms/orders/999999/",
        Some(&access2),
        None,
    )
    .await;
    s.send(
        "REST delete",
        Method::DELETE,
        &format!("/api/erp/oms/orders/{order}/"),
        Some(&access2),
        None,
    )
    .await;
    let forged = format!("{access2}x");
    s.send(
        "REST bad token",
        Method::GET,
        "/api/erp/oms/orders/",
        Some(&forged),
        None,
    )
    .await;
    s.send(
        "REST no token",
        Method::GET,
        "/api/erp/oms/orders/",
        None,
        None,
    )
    .await;
    (vec![access, refresh, access2, refresh2, forged], s.log)
}

/// Starts the binary with `format`, runs the session, stops it; returns every finding.
async fn run_with(format: &str) -> Vec<String> {
    let database = TestDatabase::create().await;
    let created = command()
        .env("DATABASE_URL", &database.url)
        .env("OMS_PASSWORD_ITERATIONS", "1000")
        .env("OMS_PASSWORD", PASSWORD)
        .args(["user", "create", "--username", "leaky", "--staff"])
        .output()
        .expect("run user create");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let mut server = ServerProcess::start(
        &database.url,
        &[
            (
                "RUST_LOG",
                "trace,sqlx=trace,sea_orm=trace,sea_orm_migration=trace",
            ),
            ("OMS_LOG_FORMAT", format),
        ],
    )
    .await;
    let (tokens, exchanges) = session(&server.base).await;
    server.stop();
    let stderr = server.stderr_lines();
    let stdout = server.stdout_lines();
    assert!(
        stderr.len() > 20 && stderr.iter().any(|l| l.contains("TRACE")),
        "the trace-level logs were captured ({format}): {} lines",
        stderr.len()
    );
    // stderr is a pipe here, as a log file or a journal would be: plain text, no colour codes
    assert!(
        !stderr.iter().any(|l| l.contains('\u{1b}')),
        "terminal escape codes in the logs ({format}): {:?}",
        stderr.iter().find(|l| l.contains('\u{1b}'))
    );
    if format == "json" {
        let first = stderr
            .iter()
            .find(|l| l.starts_with('{'))
            .expect("JSON lines");
        serde_json::from_str::<Value>(first).expect("a JSON log line");
    }

    let mut secrets: Vec<(&str, String)> = vec![
        ("the password", PASSWORD.to_owned()),
        ("the wrong password", WRONG_PASSWORD.to_owned()),
        ("a password hash", "pbkdf2_sha256$".to_owned()),
    ];
    for token in &tokens {
        secrets.push(("a token", token.clone()));
        // a token's signature alone is a secret too
        secrets.push((
            "a token signature",
            token.rsplit('.').next().unwrap_or_default().to_owned(),
        ));
    }
    let mut findings = Vec::new();
    for (source, lines) in [("log", &stderr), ("stdout", &stdout)] {
        for line in lines.iter() {
            for (name, secret) in &secrets {
                if line.contains(secret.as_str()) {
                    findings.push(format!("{format} {source} holds {name}: {line}"));
                }
            }
            for sql in SQL {
                if line.contains(sql) {
                    findings.push(format!("{format} {source} holds SQL ({sql}): {line}"));
                }
            }
        }
    }
    for e in &exchanges {
        let hands_out_tokens = matches!(e.what, "login" | "refresh") && e.status.is_success();
        let answer = format!("{}\n{}", e.headers, e.body);
        for (name, secret) in &secrets {
            if name.starts_with("a token") && hands_out_tokens {
                continue;
            }
            if answer.contains(secret.as_str()) {
                findings.push(format!("response to {} holds {name}: {answer}", e.what));
            }
        }
        for sql in SQL {
            if answer.contains(sql) {
                findings.push(format!("response to {} holds SQL: {answer}", e.what));
            }
        }
    }
    findings
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_line_or_response_holds_a_token_password_hash_or_sql() {
    let mut findings = run_with("pretty").await;
    findings.extend(run_with("json").await);
    assert!(findings.is_empty(), "leaks:\n{}", findings.join("\n"));
}
