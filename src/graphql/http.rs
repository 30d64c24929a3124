//! GraphQL over HTTP (the GraphQL-over-HTTP spec): `POST /graphql` with a JSON body (or a
//! batch), `GET /graphql?query=...` for queries only, and GraphiQL on a plain `GET /graphql`.
//!
//! A body that is not JSON, or has no `query` string, is 400. A well-formed request answers 200
//! with `errors` under `application/json`; a client that accepts
//! `application/graphql-response+json` gets 400 for parse and validation errors instead.
//! When the database is down and that is the only error, the answer is 503 with `Retry-After`.
//! The caller's identity is resolved from the `Authorization` header once per HTTP request.

use std::sync::Arc;

use std::net::SocketAddr;

use async_graphql::{BatchRequest, BatchResponse, Request as GqlRequest, ServerError};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::auth::{Access, principal};
use crate::db::Reads;
use crate::graphql::apq::PersistedQueries;
use crate::graphql::cost::{self, Costs};
use crate::graphql::loaders::Loaders;
use crate::graphql::{GqlSchema, fast, graphiql, limits, trusted};
use crate::ratelimit::{ClientKey, PeerAddr};
use crate::state::AppState;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

#[allow(clippy::too_many_arguments)] // axum extractors
pub async fn get(
    State(state): State<AppState>,
    Extension(schema): Extension<GqlSchema>,
    Extension(apq): Extension<Arc<PersistedQueries>>,
    Extension(validated): Extension<Arc<fast::Validated>>,
    Extension(costs): Extension<Option<Arc<Costs>>>,
    PeerAddr(peer): PeerAddr,
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
    let http = Http {
        headers: &headers,
        peer,
        costs: costs.as_deref(),
        get: true,
    };
    execute(
        &state,
        &schema,
        &apq,
        &validated,
        http,
        BatchRequest::Single(request),
    )
    .await
}

#[allow(clippy::too_many_arguments)] // axum extractors
pub async fn post(
    State(state): State<AppState>,
    Extension(schema): Extension<GqlSchema>,
    Extension(apq): Extension<Arc<PersistedQueries>>,
    Extension(validated): Extension<Arc<fast::Validated>>,
    Extension(costs): Extension<Option<Arc<Costs>>>,
    PeerAddr(peer): PeerAddr,
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
    let http = Http {
        headers: &headers,
        peer,
        costs: costs.as_deref(),
        get: false,
    };
    execute(&state, &schema, &apq, &validated, http, batch).await
}

/// Reads a JSON request body into a single request or a batch, checking its shape first so
/// that a malformed one answers 400 with a clear message.
fn parse_body(body: &[u8]) -> Result<BatchRequest, String> {
    let mut value: Value =
        serde_json::from_slice(body).map_err(|e| format!("The body is not valid JSON: {e}"))?;
    trusted::lift_document_id(&mut value);
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

/// What the HTTP request adds to the GraphQL one: its headers, its peer, the cost meter.
struct Http<'a> {
    headers: &'a HeaderMap,
    peer: Option<SocketAddr>,
    costs: Option<&'a Costs>,
    /// `GET /graphql?query=`: queries only (GraphQL over HTTP).
    get: bool,
}

async fn execute(
    state: &AppState,
    schema: &GqlSchema,
    apq: &PersistedQueries,
    validated: &fast::Validated,
    http: Http<'_>,
    batch: BatchRequest,
) -> Response {
    let headers = http.headers;
    let (single, requests) = match batch {
        BatchRequest::Single(r) => (true, vec![r]),
        BatchRequest::Batch(rs) => (false, rs),
    };
    // resolved and parsed first, so that the whole cost is known before anything runs
    let mut prepared: Vec<Result<GqlRequest, ServerError>> = requests
        .into_iter()
        .map(|r| prepare(state, apq, r))
        .collect();
    if let Some(refused) = trusted::refusal(state, headers, &prepared, single).await {
        return refused;
    }
    // a mutation may have written before the database went away: never answer it with a
    // retryable 503 (a retry would write twice); the parse is kept for the executor
    // (persisted queries resolved first: a GET naming a stored mutation is refused too)
    let writes = prepared.iter_mut().any(|p| match p {
        Ok(r) => {
            let name = r.operation_name.clone();
            r.parsed_query()
                .is_ok_and(|doc| fast::is_mutation(doc, name.as_deref()))
        }
        Err(_) => false,
    });
    if http.get && writes {
        let mut response = request_error(
            headers,
            StatusCode::METHOD_NOT_ALLOWED,
            "Mutations must be sent with POST.",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        return response;
    }
    // a single query the fast path may answer runs all its statements on one held connection,
    // the caller's lookup included (see `Reads`); not while a rate-limit charge (perhaps to
    // Redis) would keep it waiting, and never for anything the executor runs
    let credentials = principal::Credentials::of(state, headers);
    let reads = match prepared.as_slice() {
        [Ok(request)]
            if single
                && !writes
                && state.limiter.graphql_bucket().is_none()
                && validated.may_answer(state, request) =>
        {
            Reads::take(&state.db, &state.sql).await.ok()
        }
        _ => None,
    };
    let auth = match &reads {
        Some(db) => credentials.resolve(db).await,
        None => credentials.resolve(&state.db).await,
    };
    // the caller could not even be identified: nothing can have run, a retry is safe
    let unidentified = matches!(
        auth,
        principal::AuthState::Invalid(crate::error::AuthError::Unavailable)
    );
    let access = Access::new(auth, &state.settings);
    let mut charged = None;
    if let (Some(costs), Some(bucket)) = (http.costs, state.limiter.graphql_bucket()) {
        let mut each = Vec::with_capacity(prepared.len());
        for p in &mut prepared {
            each.push(match p {
                Ok(r) => costs.of(r).await,
                Err(_) => 1,
            });
        }
        let total: u64 = each.iter().sum();
        if total > bucket.capacity {
            let message = format!(
                "This request costs {total} points, more than the {} a client's bucket holds: ask for fewer items (first/last) or fewer fields.",
                bucket.capacity
            );
            let mut status = cost::throttle_status(&bucket, 0);
            if let Some(status) = status.as_object_mut() {
                status.remove("currentlyAvailable");
            }
            let cost = json!({ "requestedQueryCost": total, "throttleStatus": status });
            // refused before execution, like a validation error
            let status = if accepts_graphql_response_json(headers) {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            return cost_refusal(
                headers,
                single,
                status,
                "MAX_COST_EXCEEDED",
                &message,
                cost,
                None,
            );
        }
        let client = match access.principal() {
            Some(p) => ClientKey::user(p.id),
            None => ClientKey::ip(http.peer),
        };
        if let Some(outcome) = state.limiter.charge_graphql(&client, total).await {
            if !outcome.allowed {
                metrics::counter!("oms_ratelimit_refused_total", "api" => "graphql").increment(1);
                let message = format!(
                    "Throttled: this request costs {total} points and {} are available (the bucket holds {} and restores {} per second); retry in {} seconds.",
                    outcome.available,
                    bucket.capacity,
                    cost::throttle_status(&bucket, 0)["restoreRate"],
                    outcome.retry_after_secs
                );
                let cost = json!({
                    "requestedQueryCost": total,
                    "actualQueryCost": 0,
                    "throttleStatus": cost::throttle_status(&bucket, outcome.available),
                });
                return cost_refusal(
                    headers,
                    single,
                    StatusCode::TOO_MANY_REQUESTS,
                    "THROTTLED",
                    &message,
                    cost,
                    Some(outcome.retry_after_secs),
                );
            }
            charged = Some((each, outcome));
        }
    }
    let cost_of = |i: usize| {
        charged
            .as_ref()
            .map(|(each, outcome)| cost::extension(each[i], outcome))
    };
    if single {
        let Some(first) = prepared.pop() else {
            return request_error(headers, StatusCode::BAD_REQUEST, "Empty request.");
        };
        let r = match run_one(state, schema, Some(validated), &access, first, reads).await {
            Ran::Fast(body) => {
                let body = match cost_of(0) {
                    Some(cost) => with_cost(body, &cost),
                    None => body,
                };
                return respond_raw(headers, body);
            }
            Ran::Executed(r) => with_cost_ext(r, cost_of(0)),
        };
        return respond(headers, BatchResponse::Single(r), unidentified || !writes);
    }
    let mut out = Vec::with_capacity(prepared.len());
    for (i, r) in prepared.into_iter().enumerate() {
        if let Ran::Executed(r) = run_one(state, schema, None, &access, r, None).await {
            out.push(with_cost_ext(r, cost_of(i)));
        }
    }
    respond(headers, BatchResponse::Batch(out), unidentified || !writes)
}

/// Adds `extensions.cost` to an executed response.
fn with_cost_ext(mut r: async_graphql::Response, cost: Option<Value>) -> async_graphql::Response {
    if let Some(cost) = cost
        && let Ok(v) = async_graphql::Value::from_json(cost)
    {
        r.extensions.insert("cost".to_owned(), v);
    }
    r
}

/// Adds `"extensions":{"cost":...}` to a body the fast path wrote (`{"data":{...}}`).
fn with_cost(mut body: Vec<u8>, cost: &Value) -> Vec<u8> {
    if body.last() == Some(&b'}') {
        body.pop();
        body.extend_from_slice(b",\"extensions\":{\"cost\":");
        body.extend_from_slice(cost.to_string().as_bytes());
        body.extend_from_slice(b"}}");
    }
    body
}

/// A request (or batch) refused for its cost before anything ran.
fn cost_refusal(
    headers: &HeaderMap,
    single: bool,
    status: StatusCode,
    code: &str,
    message: &str,
    cost: Value,
    retry_after: Option<u64>,
) -> Response {
    let one = json!({
        "errors": [{ "message": message, "extensions": { "code": code, "cost": cost } }],
        "extensions": { "cost": cost },
    });
    let body = if single { one } else { json!([one]) };
    let content_type = if accepts_graphql_response_json(headers) {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    };
    let mut response = (
        status,
        [(header::CONTENT_TYPE, content_type)],
        body.to_string(),
    )
        .into_response();
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// How a request was answered: by the fast path (the body) or by the executor.
enum Ran {
    Fast(Vec<u8>),
    Executed(async_graphql::Response),
}

/// Resolves a persisted query, parses the document once and checks the selection limits.
fn prepare(
    state: &AppState,
    apq: &PersistedQueries,
    request: GqlRequest,
) -> Result<GqlRequest, ServerError> {
    let request = trusted::admit(&state.settings, request)?;
    let mut request = apq.resolve(request)?;
    let settings = &state.settings;
    let document = apq.parse(&mut request)?;
    limits::check(document, settings.max_aliases, settings.max_fields)?;
    Ok(request)
}

/// Executes a prepared request with the caller's access and fresh loaders (on the fast path
/// when it can).
async fn run_one(
    state: &AppState,
    schema: &GqlSchema,
    validated: Option<&fast::Validated>,
    access: &Access,
    request: Result<GqlRequest, ServerError>,
    mut reads: Option<Reads<'_>>,
) -> Ran {
    let mut request = match request {
        Ok(r) => r,
        Err(e) => return Ran::Executed(async_graphql::Response::from_errors(vec![e])),
    };
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
                fast::execute(state, access, v, query, reads.take()).await
            }
            _ => None,
        };
        if let Some(body) = fast_answer {
            tracing::trace!(operation = ?operation_name, "graphql: answered on the fast path");
            return Ran::Fast(body);
        }
        request.variables = variables;
    }
    // a held connection goes back before the executor, which takes its own from the pool
    drop(reads);
    let request = request.data(access.clone()).data(Loaders::new(state));
    let operation = request.operation_name.clone();
    let mut response = schema.execute(request).await;
    classify_input_errors(&mut response);
    tracing::trace!(
        ?operation,
        errors = response.errors.len(),
        "graphql: executed"
    );
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

/// `retryable`: no operation of the request was a mutation, so a 503 may invite a retry.
fn respond(headers: &HeaderMap, response: BatchResponse, retryable: bool) -> Response {
    let modern = accepts_graphql_response_json(headers);
    let unavailable = retryable && is_unavailable(&response);
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
