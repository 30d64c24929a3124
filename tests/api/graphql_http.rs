//! GraphQL over HTTP (CONTRACT §3, §9): malformed bodies, status codes by `Accept`, GET,
//! Apollo automatic persisted queries, the selection limits (refused before any SQL runs), no
//! internals in any error, the SDL and the GraphiQL assets.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::fixtures::{data, demo};
use crate::helpers::{Reply, TestApp, spawn_app, spawn_app_with};

const MODERN: &str = "application/graphql-response+json";

/// `POST /graphql` with a JSON body, an optional `Accept` and token.
async fn post(app: &TestApp, body: &Value, accept: Option<&str>, token: Option<&str>) -> Reply {
    let mut request = app.client.post(app.url("/graphql")).json(body);
    if let Some(a) = accept {
        request = request.header(reqwest::header::ACCEPT, a);
    }
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    Reply::read(request.send().await.expect("POST sent")).await
}

/// `GET /graphql?<pairs>`.
async fn get(
    app: &TestApp,
    pairs: &[(&str, &str)],
    accept: Option<&str>,
    token: Option<&str>,
) -> Reply {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let mut request = app.client.get(app.url(&format!("/graphql?{query}")));
    if let Some(a) = accept {
        request = request.header(reqwest::header::ACCEPT, a);
    }
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    Reply::read(request.send().await.expect("GET sent")).await
}

/// Asserts a GraphQL error body: `errors` with messages, and no `data`.
#[track_caller]
fn assert_request_error(reply: &Reply, status: StatusCode, content_type: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|ct| ct.starts_with(content_type)),
        "content type {:?}: {}",
        reply.header("content-type"),
        reply.text
    );
    let errors = reply.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors: {}", reply.text));
    assert!(
        !errors.is_empty() && errors.iter().all(|e| e["message"].is_string()),
        "{}",
        reply.text
    );
    assert!(reply.body["data"].is_null(), "{}", reply.text);
    assert_no_internals(reply);
}

/// Asserts that a reply shows no SQL, file paths, panics or stack traces.
#[track_caller]
fn assert_no_internals(reply: &Reply) {
    assert!(
        reply.status.as_u16() < 500 || reply.status == StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text
    );
    let text = reply.text.to_ascii_lowercase();
    for needle in [
        "select ",
        "insert ",
        "update ",
        "delete from",
        " from \"",
        "sqlx",
        "sea_orm",
        "sea-orm",
        "sqlite",
        "postgres",
        ".rs:",
        "/src/",
        "/root/",
        "/work/",
        "/home/",
        "panicked",
        "backtrace",
        "stack trace",
        "thread '",
        "oms_order",
        "oms_payment",
        "wms_",
        "accounts_user",
    ] {
        assert!(!text.contains(needle), "{needle:?} in {}", reply.text);
    }
}

#[tokio::test]
async fn bodies_that_are_not_graphql_requests_are_400() {
    let app = spawn_app().await;
    for (body, why) in [
        (&b"{not json"[..], "not JSON"),
        (b"", "empty"),
        (b"{}", "no query"),
        (b"{\"query\": null}", "null query"),
        (b"{\"query\": 5}", "query not a string"),
        (b"{\"variables\": {}}", "only variables"),
        (b"[]", "empty batch"),
        (b"\"{ me { id } }\"", "a bare string"),
        (
            b"{\"query\": \"{ me { id } }\", \"variables\": [1]}",
            "variables not an object",
        ),
        (
            b"{\"query\": \"{ me { id } }\", \"operationName\": 7}",
            "operationName not a string",
        ),
    ] {
        for accept in [None, Some(MODERN)] {
            let mut request = app
                .client
                .post(app.url("/graphql"))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
            if let Some(a) = accept {
                request = request.header(reqwest::header::ACCEPT, a);
            }
            let reply = Reply::read(request.send().await.unwrap()).await;
            let content_type = accept.unwrap_or("application/json");
            assert_request_error(&reply, StatusCode::BAD_REQUEST, content_type);
            assert!(!reply.text.is_empty(), "{why}");
        }
    }
    let reply = app
        .post_raw("/graphql", "text/plain", b"{ me { id } }".to_vec())
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        reply.text
    );
    assert_no_internals(&reply);
    // application/graphql: the body is the query
    let reply = app
        .post_raw("/graphql", "application/graphql", b"{ me { id } }".to_vec())
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body, json!({ "data": { "me": null } }));
}

#[tokio::test]
async fn request_errors_are_200_as_json_and_400_as_graphql_response_json() {
    let app = spawn_app().await;
    for (body, why) in [
        (json!({ "query": "{ nope }" }), "unknown field"),
        (json!({ "query": "{ me { " }), "parse error"),
        (json!({ "query": "{ me }" }), "object without selection"),
        (
            json!({ "query": "query($n: Int!) { orders(first: $n) { totalCount } }", "variables": { "n": "x" } }),
            "bad variable",
        ),
        (
            json!({ "query": "query($n: Int!) { orders(first: $n) { totalCount } }" }),
            "missing variable",
        ),
        (
            json!({ "query": "{ orders(orderBy: [{ field: NOPE }]) { totalCount } }" }),
            "unknown enum value",
        ),
        (
            json!({ "query": "query A { me { id } } query B { me { id } }" }),
            "no operationName",
        ),
        (
            json!({ "query": "{ me { id } }", "operationName": "Missing" }),
            "unknown operationName",
        ),
    ] {
        let reply = post(&app, &body, None, None).await;
        assert_request_error(&reply, StatusCode::OK, "application/json");
        let reply = post(&app, &body, Some(MODERN), None).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{why}: {}",
            reply.text
        );
        assert_request_error(&reply, StatusCode::BAD_REQUEST, MODERN);
    }
    // an error while executing is not a request error: 200 either way, with the error's path
    for accept in [None, Some(MODERN)] {
        let reply = post(
            &app,
            &json!({ "query": "{ orders { totalCount } }" }),
            accept,
            None,
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(
            reply.body["errors"][0]["extensions"]["code"],
            "UNAUTHENTICATED"
        );
        assert_eq!(reply.body["errors"][0]["path"], json!(["orders"]));
    }
    // a well-formed request answers with the modern media type when asked for it
    let reply = post(
        &app,
        &json!({ "query": "{ me { id } }" }),
        Some(MODERN),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("content-type").unwrap().starts_with(MODERN));
    assert_eq!(reply.body, json!({ "data": { "me": null } }));
}

#[tokio::test]
async fn get_runs_queries_and_refuses_mutations() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let reply = get(&app, &[("query", "{me{id username}}")], None, Some(&d.user)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.body,
        json!({ "data": { "me": { "id": d.user_id, "username": "user" } } })
    );
    let vars = json!({ "id": d.order }).to_string();
    let reply = get(
        &app,
        &[
            (
                "query",
                "query One($id: Int!) { order(id: $id) { id totalAmount } }",
            ),
            ("variables", &vars),
            ("operationName", "One"),
        ],
        None,
        Some(&d.user),
    )
    .await;
    assert_eq!(
        reply.body,
        json!({ "data": { "order": { "id": d.order, "totalAmount": "999.99" } } }),
        "{}",
        reply.text
    );

    let before = app.sql_count();
    for pairs in [
        vec![(
            "query",
            "mutation { createCategory(name: \"Toys\") { id } }",
        )],
        vec![("query", "mutation M { deleteOrder(id: 1) }")],
        vec![
            (
                "query",
                "query Q { me { id } } mutation M { deleteOrder(id: 1) }",
            ),
            ("operationName", "M"),
        ],
    ] {
        let reply = get(&app, &pairs, None, Some(&d.admin)).await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{}",
            reply.text
        );
        let allow = reply.header("allow").unwrap_or_default();
        assert!(allow.contains("POST"), "Allow: {allow}");
        assert_no_internals(&reply);
    }
    assert_eq!(
        app.sql_count(),
        before,
        "refused before the token is even checked"
    );
    let r = app
        .gql("{ products { totalCount } }", json!({}), Some(&d.admin))
        .await;
    assert_eq!(data(&r)["products"]["totalCount"], 1, "nothing was created");
    let r = app
        .gql("{ orders { totalCount } }", json!({}), Some(&d.admin))
        .await;
    assert_eq!(data(&r)["orders"]["totalCount"], 1, "nothing was deleted");
    // the query operation of the same document may be run by GET
    let reply = get(
        &app,
        &[
            (
                "query",
                "query Q { me { id } } mutation M { deleteOrder(id: 1) }",
            ),
            ("operationName", "Q"),
        ],
        None,
        Some(&d.admin),
    )
    .await;
    assert_eq!(
        reply.body,
        json!({ "data": { "me": { "id": d.admin_id } } }),
        "{}",
        reply.text
    );

    // a plain GET is GraphiQL
    let reply = app.get("/graphql", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(reply.text.contains("/graphql/assets/graphiql.min.js"));
}

fn sha256(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

#[tokio::test]
async fn automatic_persisted_queries() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let query = "query Mine { orders { totalCount nodes { id } } }";
    let hash = sha256(query);
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let expected =
        json!({ "data": { "orders": { "totalCount": 1, "nodes": [{ "id": d.order }] } } });

    // the hash alone, before the server knows it
    let reply = post(&app, &json!({ "extensions": ext }), None, Some(&d.user)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(
        reply.body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    // with the query: registered and run
    let reply = post(
        &app,
        &json!({ "query": query, "extensions": ext }),
        None,
        Some(&d.user),
    )
    .await;
    assert_eq!(reply.body, expected, "{}", reply.text);
    // then the hash alone is enough, by POST and by GET
    let reply = post(&app, &json!({ "extensions": ext }), None, Some(&d.user)).await;
    assert_eq!(reply.body, expected, "{}", reply.text);
    let reply = get(
        &app,
        &[("extensions", &ext.to_string())],
        None,
        Some(&d.user),
    )
    .await;
    assert_eq!(reply.body, expected, "{}", reply.text);
    // the hash of a query does not carry its token: another caller sees their own scope
    let reply = post(&app, &json!({ "extensions": ext }), None, Some(&d.admin)).await;
    assert_eq!(reply.body["data"]["orders"]["totalCount"], 1);

    // a hash that does not match its query: refused, and not remembered
    let wrong = sha256("something else");
    let bad_ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": wrong } });
    let reply = post(
        &app,
        &json!({ "query": query, "extensions": bad_ext }),
        None,
        Some(&d.user),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.body["errors"][0]["message"].is_string(),
        "{}",
        reply.text
    );
    assert!(reply.body["data"].is_null(), "{}", reply.text);
    let reply = post(&app, &json!({ "extensions": bad_ext }), None, Some(&d.user)).await;
    assert_eq!(
        reply.body["errors"][0]["message"], "PersistedQueryNotFound",
        "{}",
        reply.text
    );
    // malformed extensions
    for bad in [
        json!({ "persistedQuery": { "version": 2, "sha256Hash": hash } }),
        json!({ "persistedQuery": { "version": 1 } }),
        json!({ "persistedQuery": "yes" }),
    ] {
        let reply = post(&app, &json!({ "extensions": bad }), None, Some(&d.user)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert!(
            reply.body["errors"][0]["message"].is_string(),
            "{bad}: {}",
            reply.text
        );
        assert!(reply.body["data"].is_null());
        assert_no_internals(&reply);
    }
}

/// A query nested `levels` deep through order -> payments -> order -> ...
fn nested(levels: usize) -> String {
    let mut q = String::from("id");
    for i in 0..levels {
        q = if i % 2 == 0 {
            format!("payments {{ order {{ {q} }} }}")
        } else {
            format!("items {{ id }} payments {{ id order {{ {q} }} }}")
        };
    }
    format!("{{ order(id: 1) {{ {q} }} }}")
}

#[tokio::test]
async fn selection_limits_refuse_before_any_sql() {
    let app = spawn_app_with(|s| {
        // the smallest limits the demo fixture's own query passes
        s.max_depth = 6;
        s.max_complexity = 2000;
    })
    .await;
    let d = demo(&app).await;
    let aliases: String = (0..60).map(|i| format!("a{i}: me {{ id }} ")).collect();
    let fields: String = std::iter::repeat_n("id ", 501).collect();
    let cases = [
        ("depth 7", "{ orders(first: 1) { nodes { items { stock { location { warehouse { name } } } } } } }".to_owned()),
        ("absurd nesting", nested(200)),
        // 100 x (nodes 1 + items 10 x (product 1 + name 1)) + 1 = 2101
        ("complexity", "{ orders(first: 100) { nodes { items { product { name } } } } }".to_owned()),
        // 20 x (nodes 1 + items 10 x (product 7 + stock 5) + payments 10 x 3) + 1 = 3021
        (
            "complexity of a default page",
            "{ orders { nodes { items { product { name sku price category { name slug } } stock { quantity label location { code } } } payments { id amount status } } } }".to_owned(),
        ),
        ("aliases", format!("{{ {aliases} }}")),
        ("fields", format!("{{ orders(first: 1) {{ nodes {{ {fields} }} }} }}")),
        ("fields in a fragment", format!("query {{ orders(first: 1) {{ nodes {{ ...F }} }} }} fragment F on Order {{ {fields} }}")),
    ];
    for (why, query) in &cases {
        // a lone read of orders leaves the caller's lookup to its own statement, which never
        // runs when validation refuses it (depth, complexity); a request refused before it is
        // known to be one (parsed, its fields and aliases counted) looks the caller up first
        let lone_read = matches!(
            *why,
            "depth 7" | "complexity" | "complexity of a default page"
        );
        let lookup = u64::from(!lone_read);
        for (token, statements) in [(None, 0), (Some(d.admin.as_str()), lookup)] {
            for accept in [None, Some(MODERN)] {
                let before = app.sql_count();
                let reply = post(&app, &json!({ "query": query }), accept, token).await;
                let ran = app.sql_count() - before;
                let (status, content_type) = match accept {
                    None => (StatusCode::OK, "application/json"),
                    Some(m) => (StatusCode::BAD_REQUEST, m),
                };
                assert_request_error(&reply, status, content_type);
                assert_eq!(
                    ran, statements,
                    "{why}: only the token check may run: {}",
                    reply.text
                );
            }
        }
    }
    // at the limits: executed
    let ok = [
        "{ order(id: 1) { items { stock { location { warehouse { name } } } } } }".to_owned(),
        "{ orders(first: 95) { nodes { items { product { name } } } } }".to_owned(),
        format!(
            "{{ {} }}",
            (0..50)
                .map(|i| format!("a{i}: me {{ id }} "))
                .collect::<String>()
        ),
        format!(
            "{{ orders(first: 1) {{ nodes {{ {} }} }} }}",
            "id ".repeat(498)
        ),
    ];
    for query in ok {
        let r = app.gql(&query, json!({}), Some(&d.admin)).await;
        data(&r);
    }
    // a batch of requests is limited too
    let batch: Vec<Value> = (0..21)
        .map(|_| json!({ "query": "{ me { id } }" }))
        .collect();
    let reply = post(&app, &Value::Array(batch), None, None).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    let batch: Vec<Value> = (0..2)
        .map(|_| json!({ "query": "{ me { id } }" }))
        .collect();
    let reply = post(&app, &Value::Array(batch), None, Some(&d.user)).await;
    assert_eq!(
        reply.body,
        json!([{ "data": { "me": { "id": d.user_id } } }, { "data": { "me": { "id": d.user_id } } }])
    );
}

#[tokio::test]
async fn the_default_limits_refuse_what_no_client_needs() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let heavy = "{ orders(first: 100) { nodes { items { stock { location { warehouse { name } } } product { category { name } } } payments { order { items { product { name } } } } } } }";
    for (why, query) in [("complexity", heavy.to_owned()), ("nesting", nested(12))] {
        let before = app.sql_count();
        let reply = post(&app, &json!({ "query": query }), None, Some(&d.admin)).await;
        assert_request_error(&reply, StatusCode::OK, "application/json");
        // a lone read of orders leaves the caller's lookup to its own statement
        assert_eq!(app.sql_count() - before, 0, "{why}: nothing ran");
    }
    // the nested query of the loaders test is well within them
    let r = app
        .gql(
            "{ orders(first: 50) { nodes { id customer { id } items { product { name } stock { location { warehouse { name } } } } payments { id } } } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    data(&r);
}

#[tokio::test]
async fn no_error_shows_sql_paths_or_panics() {
    let app = spawn_app_with(|s| s.anonymous_read = true).await;
    let d = demo(&app).await;
    let bad: Vec<(Value, Option<&str>)> = vec![
        (
            json!({ "query": "{ orders(after: \"abc\") { totalCount } }" }),
            Some(&d.admin),
        ),
        (
            json!({ "query": "{ orders(first: 99999999999) { totalCount } }" }),
            Some(&d.admin),
        ),
        (
            json!({ "query": "{ orders(filter: { totalAmount: { eq: \"abc\" } }) { totalCount } }" }),
            Some(&d.admin),
        ),
        (
            json!({ "query": "{ orders(filter: { totalAmount: { eq: \"1e400\" } }) { totalCount } }" }),
            Some(&d.admin),
        ),
        (
            json!({ "query": "{ payments(filter: { paidAt: { gt: \"yesterday\" } }) { totalCount } }" }),
            Some(&d.admin),
        ),
        (
            json!({ "query": "{ payments(filter: { paymentMethod: { contains: \"'; DROP TABLE oms_payment; --\" } }) { totalCount } }" }),
            Some(&d.admin),
        ),
        (
            json!({ "query": "{ order(id: 9223372036854775807) { id } }" }),
            Some(&d.admin),
        ),
        (
            json!({ "query": "{ me { id } }" }),
            Some("Bearer.not.a.token"),
        ),
        (
            json!({ "query": "mutation { createOrder(input: { items: [{ productId: 1, quantity: 2147483647, price: \"9999999999.99\" }] }) { id } }" }),
            Some(&d.admin),
        ),
        (
            json!({ "query": "mutation { createOrder(input: { items: [{ productId: 1, quantity: 100000 , stockId: 1 }] }) { id } }" }),
            Some(&d.admin),
        ),
        (
            json!({ "query": "mutation { createStock(productId: 1, locationId: 1, quantity: 1) { id } }" }),
            Some(&d.admin),
        ),
        (
            json!({ "query": "mutation { createProduct(input: { name: \"Laptop\", sku: \"SKU123\", price: 1, categoryId: 1 }) { id } }" }),
            Some(&d.admin),
        ),
        (
            json!({ "query": "mutation { adjustStock(id: 1, delta: -2147483648) { id } }" }),
            Some(&d.admin),
        ),
        (
            json!({ "query": "mutation { adjustStock(id: 1, delta: 2147483647) { id } }" }),
            Some(&d.admin),
        ),
        (
            json!({ "query": "mutation { updatePayment(id: 1, input: { amount: \"-1\", paidAt: \"0000-00-00\" }) { id } }" }),
            Some(&d.admin),
        ),
        (
            json!({ "query": "{ stocks(productId: -1) { nodes { id } } __typename }" }),
            None,
        ),
    ];
    for (body, token) in bad {
        let reply = post(&app, &body, None, token).await;
        assert!(
            reply.body["errors"].is_array() || reply.body["data"].is_object(),
            "{body}: {}",
            reply.text
        );
        assert_no_internals(&reply);
        assert!(
            !reply.text.contains("INTERNAL_SERVER_ERROR"),
            "a client's mistake is never an internal error: {body}: {}",
            reply.text
        );
    }
    // the table survived the injection attempt
    let r = app
        .gql("{ payments { totalCount } }", json!({}), Some(&d.admin))
        .await;
    assert_eq!(data(&r)["payments"]["totalCount"], 1);
    // the database gone: the error says so, and nothing more
    app.state.db.clone().close().await.expect("close the pool");
    let reply = post(
        &app,
        &json!({ "query": "{ orders { totalCount } }" }),
        None,
        None,
    )
    .await;
    assert!(reply.body["errors"].is_array(), "{}", reply.text);
    assert_no_internals(&reply);
}

/// An argument async-graphql cannot parse (found by the outside fuzzing, `.ci/fuzz`) is the
/// client's input: `BAD_USER_INPUT`, like every other refused value, never a code-less error.
#[tokio::test]
async fn arguments_that_do_not_parse_are_bad_user_input() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    for query in [
        "{ orders(filter: { totalAmount: { eq: \"abc\" } }) { totalCount } }",
        "{ orders(filter: { or: [{ createdAt: { lte: \"\" } }] }) { totalCount } }",
        "{ payments(filter: { paidAt: { gt: \"yesterday\" } }) { totalCount } }",
        "mutation { createProduct(input: { name: \"X\", sku: \"X\", price: \"abc\", categoryId: 1 }) { id } }",
        "mutation { createPayment(input: { orderId: 1, amount: \"1e400\", paymentMethod: \"Card\" }) { id } }",
        "mutation { updatePayment(id: 1, input: { paidAt: \"\" }) { id } }",
    ] {
        let reply = post(&app, &json!({ "query": query }), None, Some(&d.admin)).await;
        assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text);
        let errors = reply.body["errors"].as_array().expect("errors");
        assert!(!errors.is_empty(), "{query}");
        for e in errors {
            assert_eq!(
                e["extensions"]["code"], "BAD_USER_INPUT",
                "{query}: {}",
                reply.text
            );
        }
    }
}

#[tokio::test]
async fn the_sdl_and_the_graphiql_assets_are_served() {
    let app = spawn_app().await;
    let reply = app.get("/schema.graphql", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(reply.text, oms_gateway::graphql::sdl());
    for (asset, content_type, min_len) in [
        ("graphiql.min.js", "application/javascript", 100_000),
        ("react.production.min.js", "application/javascript", 5_000),
        (
            "react-dom.production.min.js",
            "application/javascript",
            50_000,
        ),
        ("graphiql.min.css", "text/css", 10_000),
    ] {
        let reply = app.get(&format!("/graphql/assets/{asset}"), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{asset}");
        let ct = reply.header("content-type").unwrap_or_default();
        assert!(ct.starts_with(content_type), "{asset}: {ct}");
        assert!(
            reply.text.len() > min_len,
            "{asset}: {} bytes",
            reply.text.len()
        );
    }
    let reply = app.get("/graphql/assets/nope.js", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = app.get("/graphql/assets/..%2FCargo.toml", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_persisted_mutation_is_refused_over_get() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let mutation = "mutation { createCategory(name: \"Toys\") { id } }";
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(mutation) } });
    // stored by a POST that runs it
    let reply = post(
        &app,
        &json!({ "query": mutation, "extensions": ext }),
        None,
        Some(&d.admin),
    )
    .await;
    assert!(
        reply.body["data"]["createCategory"]["id"].is_i64(),
        "{}",
        reply.text
    );
    // the hash alone over GET names that mutation: refused like its text, nothing created
    let reply = get(
        &app,
        &[("extensions", &ext.to_string())],
        None,
        Some(&d.admin),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        reply.text
    );
    assert!(reply.header("allow").unwrap_or_default().contains("POST"));
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let toys = entity::category::Entity::find()
        .filter(entity::category::Column::Name.eq("Toys"))
        .count(&app.state.db)
        .await
        .expect("count categories");
    assert_eq!(toys, 1, "created once, by the POST");
}
