//! GraphQL over HTTP (the GraphQL-over-HTTP spec): `POST /graphql` with a JSON body (or a
//! batch), `GET /graphql?query=...` for queries only, and GraphiQL on a plain `GET /graphql`.
//!
//! A body that is not JSON, or has no `query` string, is 400. A well-formed request answers 200
//! with `errors` under `application/json`; a client that accepts
//! `application/graphql-response+json` gets 400 for parse and validation errors instead.
//! When the database is down and that is the only error, the answer is 503 with `Retry-After`.
//! The caller's identity is resolved from the `Authorization` header once per HTTP request.

use std::sync::Arc;

use async_graphql::{BatchRequest, BatchResponse, Request as GqlRequest};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::auth::{Access, principal};
use crate::graphql::apq::PersistedQueries;
use crate::graphql::loaders::Loaders;
use crate::graphql::{GqlSchema, fast, graphiql, limits};
use crate::state::AppState;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

pub async fn get(
    State(state): State<AppState>,
    Extension(schema): Extension<GqlSchema>,
    Extension(apq): Extension<Arc<PersistedQueries>>,
    Extension(validated): Extension<Arc<fast::Validated>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let has_operation = url::form_urlencoded::parse(query.as_bytes())
        .any(|(k, _)| k == "query" || k == "extensions");
    if !has_operation {
        return graphiql::page().into_response();
    }
    let request = match async_graphql::http::parse_query_string(&query) {
        // async-graphql reads `operation_name`; the GraphQL-over-HTTP spec says `operationName`
        Ok(r) if r.operation_name.is_none() => {
            match url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "operationName")
            {
                Some((_, name)) => r.operation_name(name),
                None => r,
            }
        }
        Ok(r) => r,
        Err(e) => {
            return request_error(
                &headers,
                StatusCode::BAD_REQUEST,
                &format!("Invalid query string: {e}"),
            );
        }
    };
    if is_mutation(&request) {
        let mut response = request_error(
            &headers,
            StatusCode::METHOD_NOT_ALLOWED,
            "Mutations must be sent with POST.",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        return response;
    }
    execute(
        &state,
        &schema,
        &apq,
        &validated,
        &headers,
        BatchRequest::Single(request),
    )
    .await
}

pub async fn post(
    State(state): State<AppState>,
    Extension(schema): Extension<GqlSchema>,
    Extension(apq): Extension<Arc<PersistedQueries>>,
    Extension(validated): Extension<Arc<fast::Validated>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let batch = match media.as_str() {
        "application/json" | "" => match parse_body(&body) {
            Ok(batch) => batch,
            Err(message) => return request_error(&headers, StatusCode::BAD_REQUEST, &message),
        },
        "application/graphql" => match std::str::from_utf8(&body) {
            Ok(text) => BatchRequest::Single(GqlRequest::new(text)),
            Err(_) => {
                return request_error(&headers, StatusCode::BAD_REQUEST, "The body is not UTF-8.");
            }
        },
        other => {
            return request_error(
                &headers,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &format!("Unsupported media type \"{other}\": send application/json."),
            );
        }
    };
    execute(&state, &schema, &apq, &validated, &headers, batch).await
}

/// Reads a JSON request body into a single request or a batch, checking its shape first so
/// that a malformed one answers 400 with a clear message.
fn parse_body(body: &[u8]) -> Result<BatchRequest, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("The body is not valid JSON: {e}"))?;
    let check = |v: &Value| -> Result<(), String> {
        let Some(obj) = v.as_object() else {
            return Err("A GraphQL request must be a JSON object.".to_owned());
        };
        match obj.get("query") {
            Some(Value::String(_)) => Ok(()),
            Some(Value::Null) | None
                if obj
                    .get("extensions")
                    .and_then(|e| e.get("persistedQuery"))
                    .is_some() =>
            {
                Ok(())
            }
            Some(Value::Null) | None => Err("The request has no `query` string.".to_owned()),
            Some(_) => Err("`query` must be a string.".to_owned()),
        }?;
        match obj.get("variables") {
            None | Some(Value::Null) | Some(Value::Object(_)) => {}
            Some(_) => return Err("`variables` must be an object.".to_owned()),
        }
        match obj.get("operationName") {
            None | Some(Value::Null) | Some(Value::String(_)) => Ok(()),
            Some(_) => Err("`operationName` must be a string.".to_owned()),
        }
    };
    match &value {
        Value::Array(items) if !items.is_empty() && items.len() <= 20 => {
            items.iter().try_for_each(check)?;
        }
        Value::Array(_) => return Err("A batch must hold 1 to 20 requests.".to_owned()),
        other => check(other)?,
    }
    serde_json::from_value::<BatchRequest>(value)
        .map_err(|e| format!("Malformed GraphQL request: {e}"))
}

fn is_mutation(request: &GqlRequest) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let wanted = request.operation_name.as_deref();
    let mutation = async_graphql::parser::types::OperationType::Mutation;
    match &doc.operations {
        async_graphql::parser::types::DocumentOperations::Single(op) => op.node.ty == mutation,
        async_graphql::parser::types::DocumentOperations::Multiple(ops) => ops
            .iter()
            .find(|(name, _)| Some(name.as_str()) == wanted)
            .or_else(|| {
                if ops.len() == 1 {
                    ops.iter().next()
                } else {
                    None
                }
            })
            .is_some_and(|(_, op)| op.node.ty == mutation),
    }
}

async fn execute(
    state: &AppState,
    schema: &GqlSchema,
    apq: &PersistedQueries,
    validated: &fast::Validated,
    headers: &HeaderMap,
    batch: BatchRequest,
) -> Response {
    let auth = principal::authenticate(state, headers).await;
    let access = Access::new(auth, &state.settings);
    let response = match batch {
        BatchRequest::Single(r) => {
            match run_one(state, schema, apq, Some(validated), &access, r).await {
                Ran::Fast(body) => return respond_raw(headers, body),
                Ran::Executed(r) => BatchResponse::Single(r),
            }
        }
        BatchRequest::Batch(rs) => {
            let mut out = Vec::with_capacity(rs.len());
            for r in rs {
                if let Ran::Executed(r) = run_one(state, schema, apq, None, &access, r).await {
                    out.push(r);
                }
            }
            BatchResponse::Batch(out)
        }
    };
    respond(headers, response)
}

/// How a request was answered: by the fast path (the body) or by the executor.
enum Ran {
    Fast(Vec<u8>),
    Executed(async_graphql::Response),
}

/// Resolves a persisted query, parses the document once and checks the selection limits,
/// then executes it with the caller's access and fresh loaders.
async fn run_one(
    state: &AppState,
    schema: &GqlSchema,
    apq: &PersistedQueries,
    validated: Option<&fast::Validated>,
    access: &Access,
    request: GqlRequest,
) -> Ran {
    let failed = |e| Ran::Executed(async_graphql::Response::from_errors(vec![e]));
    let mut request = match apq.resolve(request) {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let settings = &state.settings;
    match request.parsed_query() {
        Ok(document) => {
            if let Err(e) = limits::check(document, settings.max_aliases, settings.max_fields) {
                return failed(e);
            }
        }
        Err(e) => return failed(e),
    }
    // a query the executor has validated before may take the fast path
    let mut remember = None;
    if let Some(v) = validated {
        let key = fast::Validated::key(&request);
        let operation_name = request.operation_name.clone();
        let variables = std::mem::take(&mut request.variables);
        let fast_answer = match request.parsed_query() {
            Ok(document) if fast::is_query(document, operation_name.as_deref()) => {
                remember = Some((v, key));
                let query = fast::Query {
                    key,
                    document,
                    operation_name: operation_name.as_deref(),
                    variables: &variables,
                };
                fast::execute(state, access, v, query).await
            }
            _ => None,
        };
        if let Some(body) = fast_answer {
            return Ran::Fast(body);
        }
        request.variables = variables;
    }
    let request = request.data(access.clone()).data(Loaders::new(state));
    let mut response = schema.execute(request).await;
    classify_input_errors(&mut response);
    if let Some((v, key)) = remember
        && response.errors.is_empty()
    {
        v.remember(key);
    }
    Ran::Executed(response)
}

/// async-graphql reports an argument it cannot parse (a literal `Decimal` that is not a number,
/// an `Int` out of range, a malformed `DateTime` in a filter) as an execution error with a path
/// but no code. It is the client's input: `BAD_USER_INPUT`, like every other refused value.
fn classify_input_errors(response: &mut async_graphql::Response) {
    for e in &mut response.errors {
        let coded = e
            .extensions
            .as_ref()
            .is_some_and(|x| x.get("code").is_some());
        if !coded && !e.path.is_empty() && e.message.starts_with("Failed to parse") {
            e.extensions
                .get_or_insert_with(Default::default)
                .set("code", "BAD_USER_INPUT");
        }
    }
}

/// A body the fast path wrote (always a successful `{"data": ...}`).
fn respond_raw(headers: &HeaderMap, body: Vec<u8>) -> Response {
    let content_type = if accepts_graphql_response_json(headers) {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    };
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn accepts_graphql_response_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains(GRAPHQL_RESPONSE_JSON))
}

/// A response to a request that could not be executed at all (no data, no error path).
fn is_request_error(r: &async_graphql::Response) -> bool {
    r.data == async_graphql::Value::Null
        && !r.errors.is_empty()
        && r.errors.iter().all(|e| e.path.is_empty())
}

fn respond(headers: &HeaderMap, response: BatchResponse) -> Response {
    let modern = accepts_graphql_response_json(headers);
    let unavailable = is_unavailable(&response);
    let status = match &response {
        _ if unavailable => StatusCode::SERVICE_UNAVAILABLE,
        BatchResponse::Single(r) if modern && is_request_error(r) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let body = match serde_json::to_vec(&response) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "serialising a GraphQL response failed");
            return request_error(
                headers,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal server error.",
            );
        }
    };
    let content_type = if modern {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    };
    let mut resp = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
    let extra = response.http_headers();
    resp.headers_mut().extend(extra);
    if unavailable {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    resp
}

/// Whether the database being down is all that went wrong: every response of the request
/// failed, and only with `SERVICE_UNAVAILABLE`. Such an answer is a 503 with `Retry-After`,
/// like REST's, so that clients and load balancers retry it; any other outcome keeps the
/// GraphQL-over-HTTP status.
fn is_unavailable(response: &BatchResponse) -> bool {
    let unavailable = |r: &async_graphql::Response| {
        !r.errors.is_empty()
            && r.errors.iter().all(|e| {
                e.extensions
                    .as_ref()
                    .and_then(|x| x.get("code"))
                    .is_some_and(|c| *c == async_graphql::Value::from("SERVICE_UNAVAILABLE"))
            })
    };
    match response {
        BatchResponse::Single(r) => unavailable(r),
        BatchResponse::Batch(rs) => !rs.is_empty() && rs.iter().all(unavailable),
    }
}

/// A GraphQL-shaped error body for a request that never reached execution.
fn request_error(headers: &HeaderMap, status: StatusCode, message: &str) -> Response {
    let content_type = if accepts_graphql_response_json(headers) {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    };
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": "BAD_REQUEST" } }] });
    (
        status,
        [(header::CONTENT_TYPE, content_type)],
        body.to_string(),
    )
        .into_response()
}
