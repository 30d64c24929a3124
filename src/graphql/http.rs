//! GraphQL over HTTP (the GraphQL-over-HTTP spec): `POST /graphql` with a JSON body (or a
//! batch), `GET /graphql?query=...` for queries only, and GraphiQL on a plain `GET /graphql`.
//! A body that is not JSON, or has no `query` string, is 400 (statuses: `respond`).
//!
//! Every request goes through the same four steps: **prepare** (persisted query resolved,
//! document parsed once, selection limits checked), **charge** (the caller identified once per
//! HTTP request, the cost taken from its bucket), **run** (async-graphql executes each
//! operation with the caller's access and the request's connection and loaders; error codes and
//! key order are settled) and **respond**. A read-only request (queries only) runs every
//! statement, the caller's lookup included, on one connection it holds from the pool (see
//! `db::Reads`); mutations use the pool and their transactions, and a request that is one
//! `createOrder` or `createPayment` leaves the caller's lookup to that write's transaction,
//! one that is one `order` or `orders` to that read's statement (`graphql::caller`).

use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{BatchRequest, BatchResponse, Request as GqlRequest, ServerError};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::auth::{Access, Credentials};
use crate::db::Reads;
use crate::graphql::apq::PersistedQueries;
use crate::graphql::caller::{self, Caller, Plan};
use crate::graphql::cost::{self, Charged, Costs};
use crate::graphql::loaders::Loaders;
use crate::graphql::respond::{self, request_error};
use crate::graphql::self_wakes::absorb_self_wakes;
use crate::graphql::validated::Validated;
use crate::graphql::{codes, graphiql, key_order, limits, operation, trusted};
use crate::ratelimit::{ClientKey, PeerAddr};
use crate::state::AppState;

#[allow(clippy::too_many_arguments)] // axum extractors
pub async fn get(
    State(state): State<AppState>,
    Extension(executor): Extension<Arc<Validated>>,
    Extension(apq): Extension<Arc<PersistedQueries>>,
    Extension(costs): Extension<Option<Arc<Costs>>>,
    PeerAddr(peer): PeerAddr,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let document_id = trusted::document_id_in_query_string(&query);
    let has_operation = document_id.is_some()
        || url::form_urlencoded::parse(query.as_bytes())
            .any(|(k, _)| k == "query" || k == "extensions");
    if !has_operation {
        return graphiql::page().into_response();
    }
    let mut request = match async_graphql::http::parse_query_string(&query) {
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
    if let Some(id) = document_id {
        trusted::carry_document_id(&mut request, id);
    }
    let http = Http {
        headers: &headers,
        peer,
        costs: costs.as_deref(),
        get: true,
    };
    execute(&state, &executor, &apq, http, BatchRequest::Single(request)).await
}

#[allow(clippy::too_many_arguments)] // axum extractors
pub async fn post(
    State(state): State<AppState>,
    Extension(executor): Extension<Arc<Validated>>,
    Extension(apq): Extension<Arc<PersistedQueries>>,
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
    execute(&state, &executor, &apq, http, batch).await
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

/// A request ready to run.
struct Prepared {
    request: GqlRequest,
    /// Its parsed document (the request carries a copy for the executor): the response's keys
    /// are put in its order.
    document: Arc<ExecutableDocument>,
}

/// prepare -> charge -> run -> respond (see the module's doc).
async fn execute(
    state: &AppState,
    executor: &Validated,
    apq: &PersistedQueries,
    http: Http<'_>,
    batch: BatchRequest,
) -> Response {
    let headers = http.headers;
    let (single, requests) = match batch {
        BatchRequest::Single(r) => (true, vec![r]),
        BatchRequest::Batch(rs) => (false, rs),
    };
    let mut prepared: Vec<Result<Prepared, ServerError>> = requests
        .into_iter()
        .map(|r| prepare(state, apq, r))
        .collect();
    let statuses = prepared.iter().map(|p| p.as_ref().map(|p| &p.request));
    if let Some(refused) = trusted::refusal(state, headers, statuses, single).await {
        return refused;
    }
    // persisted queries resolved first: a GET naming a stored mutation is refused too
    let writes = prepared.iter().any(|p| {
        p.as_ref()
            .is_ok_and(|p| operation::is_mutation(&p.document, p.request.operation_name.as_deref()))
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
    let reads_only = !writes && prepared.iter().any(Result::is_ok);
    let mut caller = identify(state, &http, reads_only, single, &prepared).await;
    let charged = match charge(state, &http, caller.asking.access(), &mut prepared).await {
        Ok(charged) => charged,
        Err(refusal) => return respond::cost_refused(headers, single, refusal),
    };
    let db = match caller.held.take() {
        Some(db) => db,
        None if reads_only => caller::hold(state).await,
        None => Reads::pool(&state.db),
    };
    let db = Arc::new(db);
    let mut out = Vec::with_capacity(prepared.len());
    for (i, p) in prepared.into_iter().enumerate() {
        let response = run(executor, &caller, &db, p).await;
        out.push(with_cost(response, charged.as_ref(), i));
    }
    // the connection goes back before the answer is written
    drop(db);
    let response = match out.pop() {
        Some(r) if single => BatchResponse::Single(r),
        Some(r) => {
            out.push(r);
            BatchResponse::Batch(out)
        }
        None => return request_error(headers, StatusCode::BAD_REQUEST, "Empty request."),
    };
    respond::executed(headers, response, caller.asking.unidentified() || !writes)
}

/// Identifies the caller once per HTTP request (see `graphql::caller`): on the connection a
/// read-only request then keeps for its statements, unless a charge (perhaps to Redis) is
/// still to come, which must not keep a connection waiting (the request takes it once the
/// charge is through); not at all for a lone write or a lone read of orders, which look their
/// caller up in their transaction or statement, unless a charge needs the caller's id from the
/// database first.
async fn identify(
    state: &AppState,
    http: &Http<'_>,
    reads_only: bool,
    single: bool,
    prepared: &[Result<Prepared, ServerError>],
) -> Caller {
    let charging = http.costs.is_some() && state.limiter.graphql_bucket().is_some();
    let lone = |is: fn(&ExecutableDocument, Option<&str>) -> bool| match prepared {
        [Ok(p)] => is(&p.document, p.request.operation_name.as_deref()),
        _ => false,
    };
    let plan = if charging {
        Plan::Pool
    } else if reads_only && single && lone(caller::is_lone_read) {
        Plan::LoneRead
    } else if reads_only {
        Plan::Hold
    } else if single && lone(caller::is_lone_write) {
        Plan::LoneWrite
    } else {
        Plan::Pool
    };
    let credentials = Credentials::of(state, http.headers);
    caller::identify(state, credentials, plan).await
}

/// Charges the caller's bucket what the requests cost (see `cost::charge`); `Ok(None)` when
/// rate limits are off.
async fn charge(
    state: &AppState,
    http: &Http<'_>,
    access: &Access,
    prepared: &mut [Result<Prepared, ServerError>],
) -> Result<Option<Charged>, respond::CostRefusal> {
    let Some(costs) = http.costs else {
        return Ok(None);
    };
    let client = match access.principal() {
        Some(p) => ClientKey::user(p.id),
        None => ClientKey::ip(http.peer),
    };
    let requests = prepared
        .iter_mut()
        .map(|p| p.as_mut().ok().map(|p| &mut p.request));
    let modern = respond::accepts_graphql_response_json(http.headers);
    cost::charge(state, costs, &client, requests, modern).await
}

/// Resolves a persisted query, parses the document once and checks the selection limits.
fn prepare(
    state: &AppState,
    apq: &PersistedQueries,
    request: GqlRequest,
) -> Result<Prepared, ServerError> {
    let request = trusted::admit(&state.settings, request)?;
    let mut request = apq.resolve(request)?;
    let settings = &state.settings;
    let document = apq.parse(&mut request)?;
    limits::check(&document, settings.max_aliases, settings.max_fields)?;
    Ok(Prepared { request, document })
}

/// Executes a prepared request with the caller's access, the request's connection and fresh
/// loaders; every error gets its code and the keys the query's order.
async fn run(
    executor: &Validated,
    caller: &Caller,
    db: &Arc<Reads>,
    prepared: Result<Prepared, ServerError>,
) -> async_graphql::Response {
    let Prepared { request, document } = match prepared {
        Ok(p) => p,
        Err(e) => return async_graphql::Response::from_errors(vec![e]),
    };
    let operation = request.operation_name.clone();
    let variables = request.variables.clone();
    let request = request
        .data(caller.asking.clone())
        .data(Loaders::new(Arc::clone(db)));
    let mut response = absorb_self_wakes(executor.execute(request)).await;
    codes::classify(&mut response);
    key_order::restore(
        &mut response.data,
        &document,
        operation.as_deref(),
        &variables,
    );
    tracing::trace!(
        ?operation,
        errors = response.errors.len(),
        "graphql: executed"
    );
    response
}

/// Adds `extensions.cost` to the `i`-th response of a charged request.
fn with_cost(
    mut r: async_graphql::Response,
    charged: Option<&Charged>,
    i: usize,
) -> async_graphql::Response {
    if let Some(charged) = charged
        && let Ok(v) = async_graphql::Value::from_json(charged.extension(i))
    {
        r.extensions.insert("cost".to_owned(), v);
    }
    r
}
