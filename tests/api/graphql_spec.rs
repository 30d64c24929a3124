//! Exactly what the GraphQL spec and Apollo-based clients expect (issue 12): response keys in
//! the query's order at every level, `Int` 32-bit, and an `extensions.code` on every error
//! (`GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`, `BAD_USER_INPUT`, ...), over HTTP and
//! over the WebSocket.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::{data, demo};
use crate::helpers::{Reply, TestApp, spawn_app};
use crate::subscriptions::support::{TRANSPORT_WS, WsClient};

/// The keys of a JSON object, in the order of the body's text (serde_json keeps it).
fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

#[tokio::test]
async fn response_keys_follow_the_query_at_every_level() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    // `me` needs no statement, `warehouses` and `products` do: the root in the query's order
    for query in [
        "{ warehouses { totalCount } me { username } products { nodes { name } } }",
        "{ products { nodes { name } } warehouses { totalCount } me { username } }",
    ] {
        let reply = app.gql_reply(query, json!({}), Some(&d.admin)).await;
        let order: Vec<&str> = query
            .trim_matches(['{', '}', ' '])
            .split_whitespace()
            .filter(|w| ["warehouses", "me", "products"].contains(w))
            .collect();
        assert_eq!(keys(data(&reply.body)), order, "{}", reply.text);
        // the raw body, not only its parse
        let at = |k: &str| reply.text.find(&format!("\"{k}\":")).unwrap();
        assert!(at(order[0]) < at(order[1]) && at(order[1]) < at(order[2]));
    }
    // nested: `totalCount` waits for a statement, the other fields of the connection do not;
    // aliases, fragments and merged fields keep their first place
    let reply = app
        .gql_reply(
            "query($f: Boolean!, $id: Int!) {
               list: orders { totalCount pageInfo { endCursor hasNextPage } nodes { ...O items { quantity price } } }
               me { isStaff id }
               one: order(id: $id) @skip(if: $f) { id }
               order(id: $id) @include(if: $f) { customer { email username } id ...O }
             }
             fragment O on Order { status items { product { name } } totalAmount }",
            json!({ "f": true, "id": d.order }),
            Some(&d.admin),
        )
        .await;
    let body = data(&reply.body);
    assert_eq!(keys(body), ["list", "me", "order"]);
    assert_eq!(keys(&body["list"]), ["totalCount", "pageInfo", "nodes"]);
    assert_eq!(
        keys(&body["list"]["pageInfo"]),
        ["endCursor", "hasNextPage"]
    );
    assert_eq!(
        keys(&body["list"]["nodes"][0]),
        ["status", "items", "totalAmount"]
    );
    assert_eq!(
        keys(&body["list"]["nodes"][0]["items"][0]),
        ["product", "quantity", "price"]
    );
    assert_eq!(keys(&body["me"]), ["isStaff", "id"]);
    assert_eq!(
        keys(&body["order"]),
        ["customer", "id", "status", "items", "totalAmount"]
    );
    assert_eq!(keys(&body["order"]["customer"]), ["email", "username"]);
}

/// Asserts a request error (no data) whose every error has `code`.
#[track_caller]
fn refused(reply: &Reply, code: &str) {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(reply.body["data"].is_null(), "{}", reply.text);
    let errors = reply.body["errors"].as_array().expect("errors");
    assert!(!errors.is_empty(), "{}", reply.text);
    for e in errors {
        assert_eq!(e["extensions"]["code"], code, "{}", reply.text);
    }
}

#[tokio::test]
async fn int_is_32_bit() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let token = Some(d.admin.as_str());
    // a document that passed validation with one value is validated again with another
    let by_id = "query($id: Int!) { order(id: $id) { id } }";
    let ok = app.gql_reply(by_id, json!({ "id": d.order }), token).await;
    assert_eq!(data(&ok.body)["order"]["id"], d.order);
    // in the document, as a variable, in an input object, in a list
    for (query, variables) in [
        ("{ order(id: 2147483648) { id } }", json!({})),
        ("{ order(id: -2147483649) { id } }", json!({})),
        (
            "query($id: Int!) { order(id: $id) { id } }",
            json!({ "id": 2147483648i64 }),
        ),
        (
            "query($n: Int) { orders(first: $n) { totalCount } }",
            json!({ "n": 4294967296i64 }),
        ),
        (
            "mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }",
            json!({ "i": { "items": [{ "productId": d.laptop, "quantity": 2147483648i64 }] } }),
        ),
        (
            "{ orders(filter: { id: { in: [1, 2147483648] } }) { totalCount } }",
            json!({}),
        ),
    ] {
        let reply = app.gql_reply(query, variables, token).await;
        refused(&reply, "BAD_USER_INPUT");
        let message = reply.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("Int"), "{message}");
    }
    // the largest Int is an id like any other
    let reply = app
        .gql_reply("{ order(id: 2147483647) { id } }", json!({}), token)
        .await;
    assert_eq!(reply.body, json!({ "data": { "order": null } }));
    nothing_written(&app, &d).await;
}

/// The refused `createOrder` above wrote nothing.
async fn nothing_written(app: &TestApp, d: &crate::fixtures::Demo) {
    let r = app
        .gql("{ orders { totalCount } }", json!({}), Some(&d.admin))
        .await;
    assert_eq!(data(&r)["orders"]["totalCount"], 1);
}

#[tokio::test]
async fn every_error_has_a_code() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let token = Some(d.admin.as_str());
    let cases: &[(&str, Value, &str)] = &[
        // the document does not parse
        ("{ orders { nodes { id }", json!({}), "GRAPHQL_PARSE_FAILED"),
        ("query { me { id } } }", json!({}), "GRAPHQL_PARSE_FAILED"),
        // it does not validate
        (
            "{ orders { nodes { nope } } }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        ("{ order { id } }", json!({}), "GRAPHQL_VALIDATION_FAILED"),
        (
            "{ order(id: 1, other: 2) { id } }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "{ orders(first: 100) { nodes { payments { order { payments { order { payments { id } } } } } } } }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "{ me { id } ...F } fragment F on Query { me { id } } fragment G on Query { me { id } }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        // a value of the wrong type, in the document or as a variable
        (
            "mutation { createProduct(input: { name: \"X\", sku: \"X\", price: true, categoryId: 1 }) { id } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        (
            "mutation($p: Decimal!) { createProduct(input: { name: \"X\", sku: \"X\", price: $p, categoryId: 1 }) { id } }",
            json!({ "p": false }),
            "BAD_USER_INPUT",
        ),
        (
            "query($id: Int!) { order(id: $id) { id } }",
            json!({ "id": "one" }),
            "BAD_USER_INPUT",
        ),
        (
            "{ orders(orderBy: [{ field: NOPE }]) { totalCount } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        // an operation name that names nothing
        (
            "query A { me { id } } query B { me { id } }",
            json!({}),
            "OPERATION_RESOLUTION_FAILURE",
        ),
    ];
    for (query, variables, code) in cases {
        let reply = app.gql_reply(query, variables.clone(), token).await;
        refused(&reply, code);
        // the GraphQL-over-HTTP status for a client that accepts the new media type
        let modern = app
            .client
            .post(app.url("/graphql"))
            .header("accept", "application/graphql-response+json")
            .bearer_auth(&d.admin)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        assert_eq!(modern.status(), StatusCode::BAD_REQUEST, "{query}");
    }
    let named = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&d.admin)
        .json(&json!({ "query": "query A { me { id } }", "operationName": "B" }))
        .send()
        .await
        .unwrap();
    let named = Reply::read(named).await;
    refused(&named, "OPERATION_RESOLUTION_FAILURE");
    // a subscription is for the WebSocket
    let reply = app
        .gql_reply("subscription { orderEvents { kind } }", json!({}), token)
        .await;
    refused(&reply, "BAD_REQUEST");
    // a variable async-graphql lets through validation reaches the resolver as a null
    let reply = app
        .gql_reply(
            "query($x: String) { order(id: $x) { id } }",
            json!({}),
            token,
        )
        .await;
    assert_eq!(
        reply.body["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    // execution errors keep theirs
    let reply = app
        .gql_reply(
            "{ a: orders(filter: { totalAmount: { eq: \"abc\" } }) { totalCount } b: me { id } }",
            json!({}),
            token,
        )
        .await;
    assert_eq!(
        reply.body["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    assert_eq!(reply.body["data"]["b"]["id"], d.admin_id);
    nothing_written(&app, &d).await;
}

/// The WebSocket answers like HTTP: codes on every error, keys in the query's order.
#[tokio::test]
async fn the_websocket_answers_alike() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let mut client = WsClient::open(app.address, TRANSPORT_WS, None).await;
    client
        .init(json!({ "Authorization": format!("Bearer {}", d.admin) }))
        .await;
    let mut exchange = async |frame: Option<Value>| {
        if let Some(frame) = frame {
            client.send(frame).await;
        }
        client.next_frame().await.expect("an answer")
    };
    let subscribe = |id: &str, query: &str| {
        Some(json!({ "id": id, "type": "subscribe", "payload": { "query": query } }))
    };
    for (id, query, code) in [
        (
            "1",
            "subscription { orderEvents { kind ",
            "GRAPHQL_PARSE_FAILED",
        ),
        (
            "2",
            "subscription { orderEvents { nope } }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "3",
            "subscription { orderEvents(orderId: 2147483648) { kind } }",
            "BAD_USER_INPUT",
        ),
    ] {
        // graphql-transport-ws: async-graphql answers a refused operation with `next`
        let frame = exchange(subscribe(id, query)).await;
        assert_eq!(frame["type"], "next", "{frame}");
        assert!(frame["payload"]["data"].is_null(), "{frame}");
        assert_eq!(
            frame["payload"]["errors"][0]["extensions"]["code"], code,
            "{frame}"
        );
        assert_eq!(exchange(None).await["type"], "complete");
    }
    let query = "{ warehouses { nodes { name id } } me { username } products { nodes { name } } }";
    let frame = exchange(subscribe("4", query)).await;
    assert_eq!(frame["type"], "next", "{frame}");
    let data = &frame["payload"]["data"];
    assert_eq!(keys(data), ["warehouses", "me", "products"]);
    assert_eq!(keys(&data["warehouses"]["nodes"][0]), ["name", "id"]);
}
