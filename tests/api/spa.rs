//! A real single-page app against the real gateway (tests/browser/spa): urql and graphql-ws,
//! its documents checked and its trusted-documents manifest written by GraphQL Code Generator,
//! bundled by esbuild, served from an origin of its own (so CORS is exercised), and driven in
//! headless Chromium: sign in, list the newest orders, place an order, see its event arrive.
//! The gateway runs with the manifest codegen wrote (`OMS_TRUSTED_DOCUMENTS`), so the three
//! prove each other.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use axum::Router;
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};
use entity::{order, order_item};
use migration::sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use oms_gateway::config::TrustedDocuments;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::browser;
use crate::helpers::spawn_app_with;

/// The SPA's documents, as spa/src/operations/*.graphql names them.
const OPERATIONS: [&str; 4] = ["NewestOrders", "OrderableStock", "PlaceOrder", "OrderFeed"];

fn manifest(path: &Path) -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(path).expect("the manifest codegen wrote");
    match serde_json::from_str(&text).expect("JSON") {
        Value::Object(map) => map,
        other => panic!("a manifest is an object, not {other}"),
    }
}

#[test]
fn codegen_checks_the_spas_documents_against_schema_graphql() {
    if !browser::available("codegen_checks_the_spas_documents", false) {
        return;
    }
    let manifest = manifest(&browser::codegen());
    // one document per operation, keyed by the SHA-256 of its text, as the gateway reads them
    let mut names = Vec::new();
    for (id, text) in &manifest {
        let text = text.as_str().expect("a document");
        assert_eq!(id, &format!("sha256:{:x}", Sha256::digest(text.as_bytes())));
        let name = OPERATIONS.iter().find(|n| text.contains(&format!(" {n}")));
        names.push(*name.unwrap_or_else(|| panic!("an unexpected document: {text}")));
    }
    names.sort_unstable();
    let mut expected = OPERATIONS.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected);
    TrustedDocuments::parse(&Value::Object(manifest).to_string()).expect("the gateway reads it");

    // a schema the documents no longer fit (a field the SPA reads removed) fails the run
    let schema =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql"))
            .expect("schema.graphql");
    let broken = schema.replacen("\ttotalAmount: Decimal!\n", "", 1);
    assert_ne!(broken, schema, "schema.graphql declares Order.totalAmount");
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("schema.graphql"), broken).expect("write");
    let out = browser::run(
        browser::graphql_codegen()
            .env("SPA_SCHEMA", dir.path().join("schema.graphql"))
            .env(
                "SPA_GQL_OUT",
                format!("{}/", dir.path().join("gql").display()),
            ),
    );
    let said = browser::text(&out);
    assert!(
        !out.status.success(),
        "codegen accepted a broken schema:\n{said}"
    );
    assert!(said.contains("totalAmount"), "{said}");
    assert!(!dir.path().join("gql/persisted-documents.json").exists());
}

/// Serves the built SPA (index.html, app.js) on a port of its own: the SPA's origin.
async fn serve_site(site: &Path) -> SocketAddr {
    let html = std::fs::read(site.join("index.html")).expect("index.html");
    let js = std::fs::read(site.join("app.js")).expect("app.js");
    let router = Router::new().fallback(move |uri: Uri| {
        let (html, js) = (html.clone(), js.clone());
        async move {
            let (kind, body): (&str, Vec<u8>) = match uri.path() {
                "/" | "/index.html" => ("text/html; charset=utf-8", html),
                "/app.js" => ("text/javascript; charset=utf-8", js),
                _ => return StatusCode::NOT_FOUND.into_response(),
            };
            ([(header::CONTENT_TYPE, kind)], body).into_response() as Response
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    address
}

#[tokio::test]
async fn the_spa_lists_places_and_sees_its_order_arrive_in_chromium() {
    if !browser::available("the_spa_lists_places_and_sees_its_order_arrive", true) {
        return;
    }
    let manifest_path = browser::codegen();
    let site = tempfile::tempdir().expect("a temporary folder");
    let out = browser::run(Command::new("node").arg("spa/build.mjs").arg(site.path()));
    assert!(out.status.success(), "esbuild: {}", browser::text(&out));
    let spa = format!("http://{}", serve_site(site.path()).await);

    let documents = TrustedDocuments::load(manifest_path.to_str().expect("a UTF-8 path"))
        .expect("the manifest codegen wrote");
    let origin = spa.clone();
    let app = spawn_app_with(move |s| {
        s.cors_origins = vec![origin];
        s.trusted_documents = Some(Arc::new(documents));
    })
    .await;
    oms_gateway::seed::load(&app.state)
        .await
        .expect("demo data");
    // more orders of `user` than the page lists, and one of another customer it must not see
    let (user, _) = app.login("user", "userpass").await;
    let other = app.create_user("other", "otherpass", false).await;
    let (admin, _) = app.login("admin", "adminpass").await;
    let user_id = entity::user::Entity::find()
        .filter(entity::user::Column::Username.eq("user"))
        .one(app.db())
        .await
        .expect("read users")
        .expect("user")
        .id;
    let stock = entity::stock::Entity::find()
        .one(app.db())
        .await
        .expect("read stock")
        .expect("demo stock");
    let price = entity::product::Entity::find_by_id(stock.product_id)
        .one(app.db())
        .await
        .expect("read products")
        .expect("the stock's product")
        .price;
    for (token, customer) in [(&user, user_id); 6].into_iter().chain([(&admin, other)]) {
        let body = json!({ "customer_id": customer, "items": [{
            "product_id": stock.product_id, "quantity": 1, "stock_id": stock.id,
            "price": price.to_string(),
        }]});
        let reply = app
            .post_json("/api/erp/oms/orders/", &body, Some(token))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    }
    let newest = |n: u64| {
        order::Entity::find()
            .filter(order::Column::CustomerId.eq(user_id))
            .order_by_desc(order::Column::Id)
            .limit(n)
            .all(app.db())
    };
    let before: Vec<i64> = newest(5)
        .await
        .expect("orders")
        .iter()
        .map(|o| o.id)
        .collect();
    let count_before = order::Entity::find()
        .filter(order::Column::CustomerId.eq(user_id))
        .count(app.db())
        .await
        .expect("count");

    let api = format!("http://{}", app.address);
    let output = tokio::task::spawn_blocking(move || {
        // SPA_SCREENSHOT=/tmp/spa.png keeps a picture of the page
        browser::run(Command::new("node").args(["spa/drive.mjs", &spa, &api, "user", "userpass"]))
    })
    .await
    .expect("join");
    let said = browser::text(&output);
    assert!(output.status.success(), "the SPA run failed:\n{said}");
    let run: Value = serde_json::from_slice(&output.stdout).expect("the driver's JSON");
    let shown = &run["shown"];

    // the newest orders of the caller, newest first, and no one else's
    let ids = |rows: &Value| -> Vec<i64> {
        let rows = rows.as_array().expect("rows");
        rows.iter()
            .map(|r| {
                r[0].as_str()
                    .and_then(|c| c.strip_prefix('#')?.parse().ok())
                    .expect("#id")
            })
            .collect()
    };
    assert_eq!(ids(&shown["before"]), before, "{shown}");
    assert_eq!(shown["totalBefore"], count_before.to_string());
    for row in shown["before"].as_array().expect("rows") {
        assert_eq!(row[3], "user", "{row}");
    }

    // the order it placed: in the database, the caller's, one laptop from the stock
    let placed: i64 = shown["placed"]
        .as_str()
        .and_then(|t| {
            t.strip_prefix("Placed order #")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(!before.contains(&placed) && placed > before[0], "{shown}");
    let stored = order::Entity::find_by_id(placed)
        .one(app.db())
        .await
        .expect("read")
        .expect("the placed order is stored");
    assert_eq!(stored.customer_id, user_id);
    let items = order_item::Entity::find()
        .filter(order_item::Column::OrderId.eq(placed))
        .all(app.db())
        .await
        .expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!((items[0].quantity, items[0].stock_id), (1, Some(stock.id)));
    // its event, and the list reloaded with it on top
    assert_eq!(
        shown["event"],
        format!(
            "CREATED order #{placed} (PENDING, {}, user)",
            stored.total_amount
        ),
        "{shown}"
    );
    let after = ids(&shown["after"]);
    assert_eq!(after[0], placed);
    assert_eq!(after[1..], before[..4]);
    assert_eq!(shown["totalAfter"], (count_before + 1).to_string());

    assert_sent_by_id(&run, &manifest(&manifest_path));

    // the same gateway refuses a document the SPA does not have
    let reply = app
        .gql_reply("{ orders { totalCount } }", json!({}), Some(&user))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
}

/// Every operation the page sent went by its id in the manifest, never as text: the queries by
/// GET, the mutation by POST, the subscription over the WebSocket.
fn assert_sent_by_id(run: &Value, manifest: &serde_json::Map<String, Value>) {
    let mut methods = Vec::new();
    for request in run["graphql"].as_array().expect("requests") {
        let (operation, extensions) = match request["method"].as_str() {
            Some("GET") => (
                request["params"]["operationName"].clone(),
                serde_json::from_str(
                    request["params"]["extensions"]
                        .as_str()
                        .expect("extensions"),
                )
                .expect("JSON extensions"),
            ),
            _ => (
                request["body"]["operationName"].clone(),
                request["body"]["extensions"].clone(),
            ),
        };
        assert!(
            request["params"].get("query").is_none() && request["body"].get("query").is_none(),
            "a document's text was sent: {request}"
        );
        let hash = extensions["persistedQuery"]["sha256Hash"]
            .as_str()
            .unwrap_or_default();
        assert!(manifest.contains_key(hash), "{request}");
        methods.push(format!(
            "{} {}",
            request["method"].as_str().unwrap_or_default(),
            operation.as_str().unwrap_or_default()
        ));
    }
    for expected in ["GET NewestOrders", "GET OrderableStock", "POST PlaceOrder"] {
        assert!(methods.iter().any(|m| m == expected), "{methods:?}");
    }
    let subscriptions = run["subscriptions"].as_array().expect("subscriptions");
    assert_eq!(subscriptions.len(), 1, "{subscriptions:?}");
    let hash = subscriptions[0]["extensions"]["persistedQuery"]["sha256Hash"]
        .as_str()
        .unwrap_or_default();
    assert!(manifest.contains_key(hash), "{subscriptions:?}");
    assert_eq!(subscriptions[0]["query"], "", "{subscriptions:?}");
}
