//! Faults: the database going away and coming back (503 with a clear body, `/readyz` failing,
//! service resuming by itself), connections terminated under the pool, and a process killed
//! with SIGKILL in the middle of a write load (no acknowledged order lost, stock balanced).
//!
//! The PostgreSQL outage is simulated with a TCP proxy between the gateway and the server, so
//! the shared PostgreSQL keeps serving the tests that run in parallel.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use entity::{order, order_item, stock};
use migration::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::fixtures::{data, demo};
use crate::helpers::{
    Reply, TestApp, TestDatabase, postgres_admin_url, spawn_app, spawn_app_on, spawn_app_with,
    test_settings,
};
use crate::process::ServerProcess;

const UNAVAILABLE: &str = "The database is unavailable; try again shortly.";

/// A TCP proxy in front of PostgreSQL that can be cut (listener closed, every connection
/// dropped: the database is "down", connections are refused) and restored on the same port.
struct DbProxy {
    port: u16,
    upstream: SocketAddr,
    task: Option<JoinHandle<()>>,
}

impl DbProxy {
    async fn start(upstream: SocketAddr) -> DbProxy {
        let listener = Self::listen(0).await;
        let port = listener.local_addr().unwrap().port();
        let mut proxy = DbProxy {
            port,
            upstream,
            task: None,
        };
        proxy.task = Some(tokio::spawn(Self::serve(listener, upstream)));
        proxy
    }

    async fn listen(port: u16) -> TcpListener {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .expect("bind the proxy port");
        socket.listen(128).unwrap()
    }

    async fn serve(listener: TcpListener, upstream: SocketAddr) {
        // dropped with this task: aborting it closes every proxied connection
        let mut pipes = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((mut inbound, _)) = accepted else { continue };
                    pipes.spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                }
                Some(_) = pipes.join_next(), if !pipes.is_empty() => {}
            }
        }
    }

    /// The database goes down: the port refuses connections, open ones are closed.
    async fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// The database is back on the same address.
    async fn restore(&mut self) {
        let listener = Self::listen(self.port).await;
        self.task = Some(tokio::spawn(Self::serve(listener, self.upstream)));
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// `url` with its host and port replaced by the proxy's.
fn through(url: &str, port: u16) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(port)).unwrap();
    url.to_string()
}

fn upstream_of(url: &str) -> SocketAddr {
    let url = url::Url::parse(url).unwrap();
    let host = url.host_str().unwrap_or("127.0.0.1");
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    format!("{host}:{}", url.port().unwrap_or(5432))
        .parse()
        .expect("OMS_TEST_DATABASE_URL names an IP address and port")
}

#[track_caller]
fn assert_rest_unavailable(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{what}: {}",
        reply.text
    );
    assert_eq!(reply.body, json!({ "detail": UNAVAILABLE }), "{what}");
    assert!(reply.header("retry-after").is_some(), "{what}: Retry-After");
}

#[track_caller]
fn assert_graphql_unavailable(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{what}: {}",
        reply.text
    );
    let errors = reply.body["errors"].as_array().expect("errors");
    assert!(!errors.is_empty(), "{what}: {}", reply.text);
    for e in errors {
        assert_eq!(
            e["extensions"]["code"], "SERVICE_UNAVAILABLE",
            "{what}: {}",
            reply.text
        );
        assert_eq!(e["message"], UNAVAILABLE, "{what}");
    }
    assert!(reply.header("retry-after").is_some(), "{what}: Retry-After");
}

const ORDERS_QUERY: &str = "{ orders { totalCount nodes { id } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_database_down_requests_answer_503_and_service_resumes_by_itself() {
    let Some(admin_url) = postgres_admin_url() else {
        eprintln!("note: the database outage test runs on PostgreSQL (OMS_TEST_DATABASE_URL)");
        return;
    };
    let mut proxy = DbProxy::start(upstream_of(&admin_url)).await;
    let app = spawn_app_with(|s| s.database_url = through(&s.database_url, proxy.port)).await;
    let demo = demo(&app).await;
    let admin = demo.admin.clone();
    let new_order = json!({
        "customer_id": demo.user_id,
        "items": [{ "product_id": demo.laptop, "quantity": 1, "price": "999.99", "stock_id": demo.stock }],
    });
    let create_mutation = "mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }";
    let create_vars = json!({ "i": { "items": [{ "productId": demo.laptop, "quantity": 1 }] } });

    assert_eq!(
        app.get("/api/erp/oms/orders/", Some(&admin)).await.status,
        StatusCode::OK
    );

    let login_body = json!({ "username": "admin", "password": "adminpass" });
    proxy.cut().await;
    let started = Instant::now();
    let (list, create, gql_read, gql_write, login, ready, live) = tokio::join!(
        app.get("/api/erp/oms/orders/", Some(&admin)),
        app.post_json("/api/erp/oms/orders/", &new_order, Some(&admin)),
        app.gql_reply(ORDERS_QUERY, json!({}), Some(&admin)),
        app.gql_reply(create_mutation, create_vars.clone(), Some(&admin)),
        app.post_json("/api/accounts/token/", &login_body, None),
        app.get("/readyz", None),
        app.get("/healthz", None),
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "requests fail fast: {:?}",
        started.elapsed()
    );
    assert_rest_unavailable(&list, "REST list");
    assert_rest_unavailable(&create, "REST create");
    assert_rest_unavailable(&login, "login");
    assert_graphql_unavailable(&gql_read, "GraphQL query");
    assert_graphql_unavailable(&gql_write, "GraphQL mutation");
    assert_eq!(
        ready.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        ready.text
    );
    assert_eq!(live.status, StatusCode::OK, "liveness needs no database");

    proxy.restore().await;
    // the same process, not restarted: the pool opens new connections by itself
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = app.get("/readyz", None).await;
        if ready.status == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "not ready again: {}", ready.text);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let list = app.get("/api/erp/oms/orders/", Some(&admin)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let created = app
        .post_json("/api/erp/oms/orders/", &new_order, Some(&admin))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let read = app.gql(ORDERS_QUERY, json!({}), Some(&admin)).await;
    // the demo order and the one just made: nothing was written while the database was down
    assert_eq!(data(&read)["orders"]["totalCount"], 2, "{read}");
    let written = app.gql(create_mutation, create_vars, Some(&admin)).await;
    data(&written);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_terminated_under_the_pool_are_replaced() {
    if postgres_admin_url().is_none() {
        eprintln!("note: pg_terminate_backend needs PostgreSQL (OMS_TEST_DATABASE_URL)");
        return;
    }
    let app = spawn_app().await;
    let demo = demo(&app).await;
    // warm the pool: several connections open at once
    let warm = futures_util::future::join_all(
        (0..6).map(|_| app.get("/api/erp/oms/orders/", Some(&demo.admin))),
    )
    .await;
    assert!(warm.iter().all(|r| r.status == StatusCode::OK));
    terminate_connections(&app).await;

    let mut failed = Vec::new();
    for i in 0..10 {
        let reply = if i % 2 == 0 {
            app.get("/api/erp/oms/orders/", Some(&demo.admin)).await
        } else {
            app.gql_reply(ORDERS_QUERY, json!({}), Some(&demo.admin))
                .await
        };
        assert!(
            reply.status == StatusCode::OK || reply.status == StatusCode::SERVICE_UNAVAILABLE,
            "never a 500: {} {}",
            reply.status,
            reply.text
        );
        if reply.status != StatusCode::OK || reply.body.get("errors").is_some() {
            failed.push(reply.text);
        }
    }
    // reads find a closed connection with their first statement and make it again
    assert!(failed.is_empty(), "no failed request: {failed:?}");
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
}

/// Terminates every connection the gateway has open to its database (`pg_terminate_backend`),
/// as a database restart or an administrator would; at least one must have been open.
async fn terminate_connections(app: &TestApp) {
    let name = url::Url::parse(&app.database_url)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_owned();
    let admin = migration::sea_orm::Database::connect(postgres_admin_url().unwrap().as_str())
        .await
        .expect("connect to the PostgreSQL server");
    let killed = admin
        .query_all_raw(migration::sea_orm::Statement::from_string(
            migration::sea_orm::DbBackend::Postgres,
            format!(
                "SELECT pg_terminate_backend(pid) AS k FROM pg_stat_activity \
                 WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ),
        ))
        .await
        .expect("terminate the pool's connections");
    assert!(
        !killed.is_empty(),
        "the gateway had connections to terminate"
    );
    let _ = admin.close().await;
}

/// A read-only request takes an idle connection without a ping (`db::Reads`); when the
/// database closed it meanwhile, the read is made again on another, and nobody sees a failure.
/// In a process of its own: whether the pool is checking its connections is process-wide, and
/// another test's trouble would make the reads ping first instead of finding out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_on_connections_closed_under_the_pool_are_made_again() {
    if postgres_admin_url().is_none() {
        eprintln!("note: pg_terminate_backend needs PostgreSQL (OMS_TEST_DATABASE_URL)");
        return;
    }
    let database = Arc::new(TestDatabase::create().await);
    let app: TestApp = spawn_app_on(database.clone(), test_settings(&database.url)).await;
    let demo = demo(&app).await;
    let server = ServerProcess::start(&database.url, &[]).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let order_path = format!("/api/erp/oms/orders/{}/", demo.order);
    let read = |i: usize| {
        let request = if i.is_multiple_of(2) {
            client.post(server.url("/graphql")).json(&json!({
                "query": "query($id: Int!) { order(id: $id) { id items { quantity } } }",
                "variables": { "id": demo.order },
            }))
        } else {
            client.get(server.url(&order_path))
        };
        let request = request.bearer_auth(&demo.admin);
        async move {
            let reply = request.send().await.unwrap();
            let status = reply.status();
            let body: Value = reply.json().await.unwrap_or(Value::Null);
            let id = body.pointer(if i.is_multiple_of(2) {
                "/data/order/id"
            } else {
                "/id"
            });
            assert_eq!(status, StatusCode::OK, "request {i}: {body}");
            assert!(body.get("errors").is_none(), "request {i}: {body}");
            assert_eq!(id, Some(&json!(demo.order)), "request {i}: {body}");
        }
    };
    let statements = || async {
        let text = client
            .get(server.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("oms_sql_statements_total "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no SQL counter in {text}"))
    };
    // several connections idle in the pool, each taken by a read and given back
    futures_util::future::join_all((0..6).map(|i| read(2 * i))).await;
    terminate_connections(&app).await;

    let mut sent = Vec::new();
    for i in 0..8 {
        let before = statements().await;
        read(i).await;
        sent.push(statements().await - before);
    }
    // the first read found its connection closed and was made again: one statement more than
    // the same read once the pool had replaced its connections
    assert_eq!(sent[0], sent[2] + 1.0, "statements per read: {sent:?}");
    assert_eq!(sent[2], sent[4], "statements per read: {sent:?}");
}

/// What a load worker had acknowledged: order id -> its items `(product, quantity, stock)`.
type Acknowledged = BTreeMap<i64, Vec<(i64, i64, i64)>>;

/// Sends orders until the server stops answering; returns those answered 201 / without errors.
async fn write_load(
    base: String,
    token: String,
    customer: i64,
    stocks: Vec<(i64, i64)>,
    worker: usize,
) -> Acknowledged {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut acknowledged = Acknowledged::new();
    for n in 0usize.. {
        // one or two of the stock rows, 1 to 3 units each
        let first = (worker + n) % stocks.len();
        let mut items = vec![(stocks[first].0, 1 + (n % 3) as i64, stocks[first].1)];
        if n % 2 == 1 {
            let second = (first + 1) % stocks.len();
            items.push((stocks[second].0, 1 + (worker % 3) as i64, stocks[second].1));
        }
        let rest = (worker + n).is_multiple_of(2);
        let sent = if rest {
            let body = json!({
                "customer_id": customer,
                "items": items.iter().map(|(p, q, s)| json!({
                    "product_id": p, "quantity": q, "price": "10.00", "stock_id": s,
                })).collect::<Vec<_>>(),
            });
            client
                .post(format!("{base}/api/erp/oms/orders/"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
        } else {
            let body = json!({
                "query": "mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }",
                "variables": { "i": {
                    "customerId": customer,
                    "items": items.iter().map(|(p, q, s)| json!({
                        "productId": p, "quantity": q, "stockId": s,
                    })).collect::<Vec<_>>(),
                } },
            });
            client
                .post(format!("{base}/graphql"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
        };
        let Ok(response) = sent else { break };
        let status = response.status();
        let Ok(body) = response.json::<Value>().await else {
            break; // the connection died mid-answer: not acknowledged
        };
        let id = if rest && status == StatusCode::CREATED {
            body["id"].as_i64()
        } else if !rest && status == StatusCode::OK && body.get("errors").is_none() {
            body["data"]["createOrder"]["id"].as_i64()
        } else {
            None
        };
        if let Some(id) = id {
            acknowledged.insert(id, items);
        }
    }
    acknowledged
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_a_write_load_loses_no_acknowledged_order() {
    let database = Arc::new(TestDatabase::create().await);
    let app: TestApp = spawn_app_on(database.clone(), test_settings(&database.url)).await;
    let demo = demo(&app).await;
    let mut stocks = Vec::new();
    let mut initial = BTreeMap::new();
    for (i, quantity) in [400, 300, 500].into_iter().enumerate() {
        let (product, stock) = app
            .product_with_stock(&demo, &format!("Load {i}"), "10.00", quantity)
            .await;
        stocks.push((product, stock));
        initial.insert(stock, quantity);
    }

    let mut server = ServerProcess::start(&database.url, &[]).await;
    let workers: Vec<_> = (0..6)
        .map(|w| {
            tokio::spawn(write_load(
                server.base.clone(),
                demo.admin.clone(),
                demo.user_id,
                stocks.clone(),
                w,
            ))
        })
        .collect();
    // let the load run, then kill the process while requests are in flight
    let count_orders = || async {
        order::Entity::find()
            .all(app.db())
            .await
            .map(|o| o.len())
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while count_orders().await < 40 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill9();
    let mut acknowledged = Acknowledged::new();
    for w in workers {
        acknowledged.extend(w.await.unwrap());
    }
    assert!(
        acknowledged.len() >= 10,
        "the load made orders before the kill: {}",
        acknowledged.len()
    );

    // a new process on the same database
    let server = ServerProcess::start(&database.url, &[]).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    for (id, items) in &acknowledged {
        let reply = client
            .post(server.url("/graphql"))
            .bearer_auth(&demo.admin)
            .json(&json!({
                "query": "query($id: Int!) { order(id: $id) { items { quantity product { id } stock { id } } } }",
                "variables": { "id": id },
            }))
            .send()
            .await
            .unwrap();
        let body: Value = reply.json().await.unwrap();
        let mut found: Vec<(i64, i64, i64)> = body["data"]["order"]["items"]
            .as_array()
            .unwrap_or_else(|| panic!("acknowledged order {id} is gone: {body}"))
            .iter()
            .map(|i| {
                (
                    i["product"]["id"].as_i64().unwrap(),
                    i["quantity"].as_i64().unwrap(),
                    i["stock"]["id"].as_i64().unwrap(),
                )
            })
            .collect();
        let mut expected = items.clone();
        found.sort();
        expected.sort();
        assert_eq!(found, expected, "the items of acknowledged order {id}");
    }

    // no order without items, and every unit taken from a stock row is in an order
    let orders = order::Entity::find().all(app.db()).await.unwrap();
    let items = order_item::Entity::find().all(app.db()).await.unwrap();
    for o in &orders {
        assert!(
            items.iter().any(|i| i.order_id == o.id),
            "order {} has no items: a partial write",
            o.id
        );
    }
    for (stock_id, quantity) in &initial {
        let remaining = stock::Entity::find_by_id(*stock_id)
            .one(app.db())
            .await
            .unwrap()
            .expect("the stock row")
            .quantity as i64;
        let ordered: i64 = order_item::Entity::find()
            .filter(order_item::Column::StockId.eq(*stock_id))
            .all(app.db())
            .await
            .unwrap()
            .iter()
            .map(|i| i64::from(i.quantity))
            .sum();
        assert_eq!(
            *quantity,
            remaining + ordered,
            "stock {stock_id}: initial = remaining ({remaining}) + ordered ({ordered})"
        );
    }
    eprintln!(
        "SIGKILL test: {} acknowledged orders, {} orders in the database",
        acknowledged.len(),
        orders.len()
    );
    if !database.is_postgres() {
        // WAL with synchronous=NORMAL: a committed transaction is in the WAL file when the
        // process dies, and only a power loss could lose it
        let mode = app
            .db()
            .query_one_raw(migration::sea_orm::Statement::from_string(
                migration::sea_orm::DbBackend::Sqlite,
                "PRAGMA journal_mode",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<String>("", "journal_mode")
            .unwrap();
        assert_eq!(mode.to_lowercase(), "wal");
    }
}
