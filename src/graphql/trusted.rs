//! Trusted documents: with `OMS_TRUSTED_DOCUMENTS=<manifest>` only the manifest's operations
//! run, over `POST`/`GET /graphql` and `/graphql/ws` alike; anything else is refused with
//! `PERSISTED_QUERY_NOT_FOUND` and HTTP 400 before it is executed.
//!
//! The manifest maps a document id to the document's text, as GraphQL Code Generator's client
//! preset (`persisted-documents.json`) and Relay's persist output write it; Apollo's
//! `persisted-query-manifest.json` is read too. A client names a document by its id in
//! `documentId` (GraphQL over HTTP), `doc_id` or `id` (Relay), or
//! `extensions.persistedQuery.sha256Hash` (Apollo, urql); an id may also be the SHA-256 of the
//! document's text, with or without a `sha256:` prefix. A request carrying a full `query` runs
//! only if that exact text is listed. `OMS_TRUSTED_DOCUMENTS_STAFF_ANY=true` lets staff run any
//! document (GraphiQL).

use std::sync::Arc;

use async_graphql::{Data, ErrorExtensionValues, Executor, Request, Response, ServerError};
use axum::extract::ws::Message;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use futures_util::stream::{self, BoxStream, StreamExt};
use serde_json::{Map, Value, json};

use crate::auth::{AuthState, policy, principal};
use crate::config::Settings;
use crate::error::AuthError;
use crate::state::AppState;

/// Where [`lift_document_id`] leaves a client's document id among a request's extensions.
const CARRIED_ID: &str = "documentId";
/// The members of a request object that name a persisted document.
const ID_MEMBERS: [&str; 3] = ["documentId", "doc_id", "id"];
const NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";

/// Marks a request that only staff may run (its document is not listed, and
/// `OMS_TRUSTED_DOCUMENTS_STAFF_ANY` is on).
struct StaffOnly;

/// The source of the errors this module refuses a request with (so that [`refusal`] tells them
/// from every other error of a prepared request).
struct Refused;

fn refused(message: &str) -> ServerError {
    let mut e = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", NOT_FOUND);
    e.extensions = Some(extensions);
    e.source = Some(Arc::new(Refused));
    e
}

fn unknown_id() -> ServerError {
    // the message Apollo's and urql's persisted-query clients look for
    refused("PersistedQueryNotFound")
}

fn not_listed(staff_any: bool) -> ServerError {
    refused(if staff_any {
        "This server runs only its trusted documents (and staff's), and this document is not one of them."
    } else {
        "This server runs only its trusted documents, and this document is not one of them."
    })
}

fn is_refused(e: &ServerError) -> bool {
    e.source.as_deref().is_some_and(|s| s.is::<Refused>())
}

/// Moves the document id a client sent beside `query` (`documentId`, or Relay's `doc_id` or
/// `id`) into the request's extensions, where [`admit`] finds it: async-graphql's `Request`
/// keeps no unknown members. A request (or each request of a batch) then has a `query` string.
pub fn lift_document_id(body: &mut Value) {
    match body {
        Value::Array(requests) => requests.iter_mut().for_each(lift_one),
        request => lift_one(request),
    }
}

fn lift_one(request: &mut Value) {
    let Some(object) = request.as_object_mut() else {
        return;
    };
    let Some(id) = ID_MEMBERS
        .iter()
        .find_map(|member| match object.get(*member) {
            Some(Value::String(id)) => Some(id.clone()),
            _ => None,
        })
    else {
        return;
    };
    let extensions = object
        .entry("extensions")
        .or_insert_with(|| Value::Object(Map::new()));
    if extensions.is_null() {
        *extensions = Value::Object(Map::new());
    }
    if let Some(extensions) = extensions.as_object_mut() {
        extensions.insert(CARRIED_ID.to_owned(), Value::String(id));
        let query = object.entry("query").or_insert(Value::Null);
        if query.is_null() {
            *query = Value::String(String::new());
        }
    }
}

/// The document id a `GET /graphql` query string names (`documentId`, `doc_id` or `id`), if any.
pub fn document_id_in_query_string(query: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, v)| ID_MEMBERS.contains(&k.as_ref()) && !v.is_empty())
        .map(|(_, v)| v.into_owned())
}

/// Carries a `GET` request's document id where [`admit`] looks for it, as [`lift_document_id`]
/// does for a JSON body.
pub fn carry_document_id(request: &mut Request, id: String) {
    request
        .extensions
        .insert(CARRIED_ID.to_owned(), async_graphql::Value::String(id));
}

/// [`lift_document_id`] for the `subscribe` (`start`) frames of `/graphql/ws`.
pub fn lift_ws_frame(frame: Result<Message, axum::Error>) -> Result<Message, axum::Error> {
    let Ok(Message::Text(text)) = &frame else {
        return frame;
    };
    let Ok(mut value) = serde_json::from_str::<Value>(text.as_str()) else {
        return frame;
    };
    match value.get_mut("payload") {
        Some(payload)
            if payload.is_object() && ID_MEMBERS.iter().any(|m| payload.get(m).is_some()) =>
        {
            lift_one(payload);
            Ok(Message::Text(value.to_string().into()))
        }
        _ => frame,
    }
}

/// Resolves the document a request names and checks it is trusted. Without a manifest only a
/// document id sent without a text is refused (nothing could answer it); with one, a listed id runs
/// its document, a full `query` runs if its exact text is listed (or, marked for [`refusal`]
/// to check the caller, when staff may run anything), and anything else is refused.
pub fn admit(settings: &Settings, mut request: Request) -> Result<Request, ServerError> {
    let carried = request.extensions.remove(CARRIED_ID);
    let Some(manifest) = settings.trusted_documents.as_deref() else {
        // an id beside a text is ignored, as it was before trusted documents existed
        return match carried {
            Some(_) if request.query.is_empty() => Err(refused(
                "This server has no trusted documents: send the document's text in `query`.",
            )),
            _ => Ok(request),
        };
    };
    let persisted = request.extensions.remove("persistedQuery");
    let id = carried
        .and_then(|v| v.into_json().ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .or_else(|| {
            let json = persisted?.into_json().ok()?;
            json.get("sha256Hash")?.as_str().map(str::to_owned)
        });
    if let Some(id) = id {
        match manifest.lookup(&id) {
            Some(document) => {
                request.query = document.to_string();
                return Ok(request);
            }
            // an id alone: nothing else to run
            None if request.query.is_empty() => return Err(unknown_id()),
            // an unknown id with the text (a persisted-query client's second try): the text decides
            None => {}
        }
    }
    if manifest.lists(&request.query) {
        return Ok(request);
    }
    if settings.trusted_documents_staff_any {
        request.data.insert(StaffOnly);
        return Ok(request);
    }
    Err(not_listed(false))
}

fn staff_only(request: &Request) -> bool {
    request
        .data
        .contains_key(&std::any::TypeId::of::<StaffOnly>())
}

/// The answer to an HTTP request that [`admit`] refused (or that only staff may run, from a
/// caller who is not staff): 400 with the refusal as its error, for the whole request (a
/// batch too), so that nothing of it runs. `None`: the request may go on.
pub async fn refusal<'a>(
    state: &AppState,
    headers: &HeaderMap,
    prepared: impl IntoIterator<Item = Result<&'a Request, &'a ServerError>>,
    single: bool,
) -> Option<axum::response::Response> {
    let mut staff_only_requests = false;
    for p in prepared {
        match p {
            Err(e) if is_refused(e) => return Some(respond(headers, single, e.clone())),
            Ok(r) if staff_only(r) => staff_only_requests = true,
            _ => {}
        }
    }
    if !staff_only_requests {
        return None;
    }
    match principal::authenticate(state, headers).await {
        auth if policy::may_run_unlisted_documents(&auth) => None,
        AuthState::Invalid(AuthError::Unavailable) => {
            let mut e = ServerError::new("The database is unavailable; try again shortly.", None);
            let mut extensions = ErrorExtensionValues::default();
            extensions.set("code", "SERVICE_UNAVAILABLE");
            e.extensions = Some(extensions);
            let mut response = respond(headers, single, e);
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            Some(response)
        }
        _ => Some(respond(headers, single, not_listed(true))),
    }
}

fn respond(headers: &HeaderMap, single: bool, error: ServerError) -> axum::response::Response {
    // refused before execution: no `data` member (GraphQL's request errors)
    let one = json!({ "errors": [error] });
    let body = if single { one } else { json!([one]) };
    let graphql_response = "application/graphql-response+json";
    let content_type = match headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) {
        Some(accept) if accept.contains(graphql_response) => graphql_response,
        _ => "application/json",
    };
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, content_type)],
        body.to_string(),
    )
        .into_response()
}

/// The executor of one `/graphql/ws` connection: every operation it is sent passes [`admit`]
/// first, and a refused one answers its error (`next`, then `complete`) without running.
#[derive(Clone)]
pub struct Guarded<E> {
    inner: E,
    settings: Arc<Settings>,
    staff: bool,
}

impl<E: Executor> Guarded<E> {
    pub fn new(inner: E, state: &AppState, auth: &AuthState) -> Self {
        Guarded {
            inner,
            settings: state.settings.clone(),
            staff: policy::may_run_unlisted_documents(auth),
        }
    }

    fn check(&self, request: Request) -> Result<Request, ServerError> {
        let request = admit(&self.settings, request)?;
        if staff_only(&request) && !self.staff {
            return Err(not_listed(true));
        }
        Ok(request)
    }
}

impl<E: Executor> Executor for Guarded<E> {
    async fn execute(&self, request: Request) -> Response {
        match self.check(request) {
            Ok(request) => self.inner.execute(request).await,
            Err(e) => Response::from_errors(vec![e]),
        }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        match self.check(request) {
            Ok(request) => self.inner.execute_stream(request, session_data),
            Err(e) => stream::once(async move { Response::from_errors(vec![e]) }).boxed(),
        }
    }
}

#[cfg(test)]
mod tests;
