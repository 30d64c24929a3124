//! Trusted documents (`OMS_TRUSTED_DOCUMENTS`): a listed document runs by its id in each
//! client's form and by its exact text; anything else answers 400 `PERSISTED_QUERY_NOT_FOUND`
//! and runs nothing, over POST, GET and the WebSocket; staff may run anything only when
//! `OMS_TRUSTED_DOCUMENTS_STAFF_ANY` allows it; a bad manifest stops the process at start.

use std::sync::Arc;

use entity::order;
use migration::sea_orm::{EntityTrait, PaginatorTrait};
use oms_gateway::config::Settings;
use oms_gateway::config::TrustedDocuments;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Reply, TestApp, spawn_app_with};
use crate::subscriptions::support::{self as ws, TRANSPORT_WS, WsClient};

const ME: &str = "query Me { me { username isStaff } }";
const PLACE: &str = "mutation Place($input: CreateOrderInput!) { createOrder(input: $input) { id customer { username } } }";
const FEED: &str = "subscription Feed { orderEvents { kind orderId } }";
/// The Relay-style id of `FEED` in the manifest (any form of id is allowed).
const FEED_ID: &str = "relay:Feed:1";
const UNLISTED_ME: &str = "{ me { username } }";
const UNLISTED_PLACE: &str =
    "mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }";

fn sha256(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// GraphQL Code Generator's ids (`sha256:<hex>`) for two documents, a Relay-style id for one.
fn manifest() -> Value {
    json!({
        format!("sha256:{}", sha256(ME)): ME,
        format!("sha256:{}", sha256(PLACE)): PLACE,
        FEED_ID: FEED,
    })
}

fn trusted(staff_any: bool) -> impl FnOnce(&mut Settings) {
    move |s: &mut Settings| {
        let documents = TrustedDocuments::parse(&manifest().to_string()).expect("the manifest");
        s.trusted_documents = Some(Arc::new(documents));
        s.trusted_documents_staff_any = staff_any;
    }
}

/// A gateway in trusted mode with the demo data; the access tokens of `user` and `admin`.
async fn trusted_app(staff_any: bool) -> (TestApp, String, String) {
    let app = spawn_app_with(trusted(staff_any)).await;
    oms_gateway::seed::load(&app.state)
        .await
        .expect("demo data");
    let (user, _) = app.login("user", "userpass").await;
    let (admin, _) = app.login("admin", "adminpass").await;
    (app, user, admin)
}

async fn place_input(app: &TestApp) -> Value {
    place_input_on(app.db()).await
}

async fn place_input_on(db: &migration::sea_orm::DatabaseConnection) -> Value {
    let stock = entity::stock::Entity::find()
        .one(db)
        .await
        .expect("read stock")
        .expect("demo stock");
    json!({ "input": { "items": [{ "productId": stock.product_id, "stockId": stock.id, "quantity": 1 }] } })
}

async fn orders(app: &TestApp) -> u64 {
    order::Entity::find()
        .count(app.db())
        .await
        .expect("count orders")
}

async fn get(app: &TestApp, params: &[(&str, String)], token: &str) -> Reply {
    let request = app
        .client
        .get(app.url("/graphql"))
        .query(params)
        .bearer_auth(token);
    Reply::read(request.send().await.expect("GET sent")).await
}

#[track_caller]
fn assert_refused(reply: &Reply, message: Option<&str>) {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    let error = &reply.body["errors"][0];
    assert_eq!(
        error["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "{}",
        reply.text
    );
    assert!(reply.body.get("data").is_none(), "{}", reply.text);
    if let Some(message) = message {
        assert_eq!(error["message"], message, "{}", reply.text);
    }
}

#[tokio::test]
async fn a_listed_document_runs_by_its_id_in_each_clients_form_and_by_its_text() {
    let (app, user, _) = trusted_app(false).await;
    let id = format!("sha256:{}", sha256(ME));
    let apq = |hash: &str| json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let bodies = [
        json!({ "documentId": id }), // GraphQL Code Generator / GraphQL over HTTP
        json!({ "doc_id": id, "variables": {} }), // Relay
        json!({ "id": id, "query": null }), // Relay
        json!({ "extensions": apq(&id) }), // urql with the client preset's hash
        json!({ "extensions": apq(&sha256(ME)) }), // Apollo: the SHA-256 of the text
        json!({ "query": ME, "operationName": "Me" }), // the exact listed text
        json!({ "query": ME, "documentId": "unknown" }), // an unknown id, a listed text
    ];
    for body in bodies {
        let reply = app.post_json("/graphql", &body, Some(&user)).await;
        assert_eq!(reply.status, StatusCode::OK, "{body}: {}", reply.text);
        assert_eq!(
            reply.body,
            json!({ "data": { "me": { "username": "user", "isStaff": false } } }),
            "{body}"
        );
    }
    let reply = get(&app, &[("extensions", apq(&id).to_string())], &user).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["data"]["me"]["username"], "user");
    // GET with the id in the query string, as GraphQL over HTTP's persisted documents do
    for member in ["documentId", "doc_id", "id"] {
        let reply = get(&app, &[(member, id.clone())], &user).await;
        assert_eq!(reply.status, StatusCode::OK, "{member}: {}", reply.text);
        assert_eq!(reply.body["data"]["me"]["username"], "user", "{member}");
    }
    let reply = get(&app, &[("query", ME.to_owned())], &user).await;
    assert_eq!(
        reply.body["data"]["me"]["username"], "user",
        "{}",
        reply.text
    );

    // a listed mutation places the order as the caller, through the same rules as ever
    let before = orders(&app).await;
    let mut body = json!({ "documentId": format!("sha256:{}", sha256(PLACE)) });
    body["variables"] = place_input(&app).await;
    let reply = app.post_json("/graphql", &body, Some(&user)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.body["data"]["createOrder"]["customer"]["username"],
        "user"
    );
    assert_eq!(orders(&app).await, before + 1);
}

#[tokio::test]
async fn anything_else_answers_400_and_runs_nothing() {
    let (app, user, admin) = trusted_app(false).await;
    let input = place_input(&app).await;
    let before = orders(&app).await;
    let statements = app.sql_count();
    let apq = |hash: String| json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let listed_me = format!("sha256:{}", sha256(ME));
    let cases = [
        (json!({ "query": UNLISTED_PLACE, "variables": input }), None),
        (json!({ "query": UNLISTED_ME }), None),
        // the listed text with one space more is another text
        (json!({ "query": format!("{ME} ") }), None),
        (
            json!({ "documentId": "sha256:0000" }),
            Some("PersistedQueryNotFound"),
        ),
        (
            json!({ "doc_id": "relay:Unknown:1" }),
            Some("PersistedQueryNotFound"),
        ),
        (
            json!({ "extensions": apq(sha256(UNLISTED_ME)) }),
            Some("PersistedQueryNotFound"),
        ),
        // Apollo's registration of a new query (hash + text) registers nothing
        (
            json!({ "query": UNLISTED_ME, "extensions": apq(sha256(UNLISTED_ME)) }),
            None,
        ),
        // a batch with one unlisted operation runs none of them
        (
            json!([{ "documentId": listed_me }, { "query": UNLISTED_PLACE, "variables": input }]),
            None,
        ),
    ];
    for (body, message) in cases {
        for token in [&user, &admin] {
            let reply = app.post_json("/graphql", &body, Some(token)).await;
            let reply = match &reply.body {
                // a batch answers a list holding the refusal
                Value::Array(items) => Reply {
                    body: items[0].clone(),
                    ..reply
                },
                _ => reply,
            };
            assert_refused(&reply, message);
        }
    }
    // the hash of the text sent above was not remembered
    let reply = app
        .post_json(
            "/graphql",
            &json!({ "extensions": apq(sha256(UNLISTED_ME)) }),
            Some(&user),
        )
        .await;
    assert_refused(&reply, Some("PersistedQueryNotFound"));
    // GET: queries, and mutations too (400 here, before the 405 a listed mutation would get)
    for query in [UNLISTED_ME, UNLISTED_PLACE] {
        let reply = get(&app, &[("query", query.to_owned())], &user).await;
        assert_refused(&reply, None);
    }
    // GET naming an unknown document: refused, not GraphiQL's page
    let reply = get(&app, &[("documentId", "sha256:0000".to_owned())], &user).await;
    assert_refused(&reply, None);
    // `application/graphql` bodies, and clients that accept graphql-response+json
    let reply = app
        .post_raw("/graphql", "application/graphql", UNLISTED_ME.into())
        .await;
    assert_refused(&reply, None);
    let reply = app
        .client
        .post(app.url("/graphql"))
        .header("Accept", "application/graphql-response+json")
        .json(&json!({ "query": UNLISTED_ME }))
        .send()
        .await
        .expect("POST sent");
    let reply = Reply::read(reply).await;
    assert_refused(&reply, None);
    assert_eq!(
        reply.header("content-type"),
        Some("application/graphql-response+json")
    );

    // nothing was even looked up: a refusal comes before the caller is resolved
    assert_eq!(app.sql_count(), statements);
    assert_eq!(
        orders(&app).await,
        before,
        "a refused mutation wrote nothing"
    );
}

#[tokio::test]
async fn staff_may_run_any_document_only_when_the_setting_allows_it() {
    let (app, user, admin) = trusted_app(true).await;
    let reply = app.gql_reply(UNLISTED_ME, json!({}), Some(&admin)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["data"]["me"]["username"], "admin");
    // GraphiQL's first request
    let reply = app
        .gql_reply(
            "{ __schema { queryType { name } } }",
            json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(reply.body["data"]["__schema"]["queryType"]["name"], "Query");
    let input = place_input(&app).await;
    let reply = app
        .gql_reply(UNLISTED_PLACE, input.clone(), Some(&admin))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(
        reply.body["data"]["createOrder"]["id"].is_i64(),
        "{}",
        reply.text
    );

    let before = orders(&app).await;
    for token in [Some(user.as_str()), None, Some("not-a-token")] {
        let reply = app.gql_reply(UNLISTED_PLACE, input.clone(), token).await;
        assert_refused(&reply, None);
        let reply = app.gql_reply(UNLISTED_ME, json!({}), token).await;
        assert_refused(&reply, None);
    }
    assert_eq!(orders(&app).await, before);
    // listed documents still run for everyone
    let reply = app.gql_reply(ME, json!({}), Some(&user)).await;
    assert_eq!(
        reply.body["data"]["me"]["username"], "user",
        "{}",
        reply.text
    );

    // without the setting, staff are held to the manifest like everyone
    let (strict, _, admin) = trusted_app(false).await;
    let reply = strict.gql_reply(UNLISTED_ME, json!({}), Some(&admin)).await;
    assert_refused(&reply, None);
}

#[tokio::test]
async fn without_a_manifest_only_a_bare_document_id_is_refused() {
    let app = spawn_app_with(|_| {}).await;
    oms_gateway::seed::load(&app.state)
        .await
        .expect("demo data");
    let (user, _) = app.login("user", "userpass").await;
    let reply = app
        .post_json(
            "/graphql",
            &json!({ "documentId": "sha256:abc" }),
            Some(&user),
        )
        .await;
    assert_refused(&reply, None);
    // any document runs, and an `id` beside the text changes nothing
    let body = json!({ "query": UNLISTED_ME, "id": "request-7" });
    let reply = app.post_json("/graphql", &body, Some(&user)).await;
    assert_eq!(
        reply.body,
        json!({ "data": { "me": { "username": "user" } } })
    );
}

/// The error of the next result of operation `id`, which must then complete.
async fn refused_over_ws(client: &mut WsClient, id: &str) {
    let payload = client.next_result(id).await;
    assert_eq!(
        payload["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "{payload}"
    );
    assert!(payload.get("data").is_none_or(Value::is_null), "{payload}");
    let complete = client.raw().await.expect("complete");
    assert_eq!(complete, json!({ "type": "complete", "id": id }));
}

/// An access token from `POST /api/accounts/token/` (the `login` mutation is not listed).
async fn token_of(app: &ws::TestApp, username: &str, password: &str) -> String {
    let reply = reqwest::Client::new()
        .post(format!("http://{}/api/accounts/token/", app.addr))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("POST token");
    let body: Value = reply.json().await.expect("a JSON body");
    body["access"].as_str().expect("an access token").to_owned()
}

#[tokio::test]
async fn the_websocket_runs_only_listed_documents() {
    let app = ws::spawn_app_with(trusted(true)).await;
    let user = token_of(&app, "user", "userpass").await;
    let admin = token_of(&app, "admin", "adminpass").await;

    let mut customer = WsClient::connect(&app, TRANSPORT_WS, None).await;
    customer
        .init(json!({ "Authorization": format!("Bearer {user}") }))
        .await;
    // unlisted: a subscription, and a query (operations of any kind go through the socket)
    customer
        .subscribe("1", "subscription { orderEvents { kind } }", json!({}))
        .await;
    refused_over_ws(&mut customer, "1").await;
    customer.subscribe("2", UNLISTED_ME, json!({})).await;
    refused_over_ws(&mut customer, "2").await;
    let unknown = json!({ "id": "3", "type": "subscribe", "payload": { "documentId": "nope" } });
    customer.send(unknown).await;
    refused_over_ws(&mut customer, "3").await;
    assert_eq!(app.state.events.subscribers(), 0, "nothing was subscribed");

    // listed: by Relay-style id in the payload, and by hash in the extensions
    let by_id = json!({ "id": "4", "type": "subscribe", "payload": { "documentId": FEED_ID } });
    customer.send(by_id).await;
    let mut staff = WsClient::connect(&app, TRANSPORT_WS, None).await;
    staff
        .init(json!({ "Authorization": format!("Bearer {admin}") }))
        .await;
    let by_hash = json!({ "id": "5", "type": "subscribe", "payload": {
        "query": "",
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256(FEED) } },
    }});
    staff.send(by_hash).await;
    // staff may subscribe with an unlisted document under OMS_TRUSTED_DOCUMENTS_STAFF_ANY
    staff
        .subscribe(
            "6",
            "subscription { orderEvents { orderId order { id } } }",
            json!({}),
        )
        .await;
    app.wait_for_subscribers(3).await;

    let mut body = json!({ "documentId": format!("sha256:{}", sha256(PLACE)) });
    body["variables"] = place_input_on(&app.state.db).await;
    let placed: Value = reqwest::Client::new()
        .post(format!("http://{}/graphql", app.addr))
        .bearer_auth(&user)
        .json(&body)
        .send()
        .await
        .expect("POST /graphql")
        .json()
        .await
        .expect("a JSON body");
    let id = placed["data"]["createOrder"]["id"].clone();
    assert!(id.is_i64(), "{placed}");
    let event = json!({ "orderEvents": { "kind": "CREATED", "orderId": id } });
    assert_eq!(customer.next_data("4").await, event);
    let mut seen = [
        staff.raw().await.expect("a frame"),
        staff.raw().await.expect("a frame"),
    ];
    seen.sort_by_key(|f| f["id"].as_str().map(str::to_owned));
    assert_eq!(seen[0]["payload"]["data"], event);
    assert_eq!(seen[1]["payload"]["data"]["orderEvents"]["order"]["id"], id);
}

#[test]
fn a_bad_manifest_stops_the_process_with_one_line() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let manifest = dir.path().join("persisted-documents.json");
    std::fs::write(&manifest, r#"{"sha256:ab": "query { me { id }"}"#).expect("write");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_oms-gateway"))
        .arg("serve")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/x.db?mode=rwc", dir.path().display()),
        )
        .env("OMS_BIND", "127.0.0.1:0")
        .env("OMS_TRUSTED_DOCUMENTS", &manifest)
        .env_remove("OMS_TRUSTED_DOCUMENTS_STAFF_ANY")
        .output()
        .expect("run oms-gateway");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("oms-gateway: invalid OMS_TRUSTED_DOCUMENTS (--trusted-documents)")
            && stderr.contains("the document of \"sha256:ab\" is not valid GraphQL"),
        "{stderr}"
    );
    assert!(!dir.path().join("x.db").exists(), "nothing was started");
}
