//! DRF's method handling for each REST view: OPTIONS answers the view's metadata (DRF's
//! `SimpleMetadata`), HEAD is the GET without its body, any other method is 405
//! `Method "X" not allowed.`; every answer carries `Allow` and `Vary: Accept`, as DRF's do.

use axum::extract::State;
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::{Json, middleware};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Access, AuthState};
use crate::error::AppError;
use crate::state::AppState;

/// The media types the REST layer renders.
pub const RENDERS: [&str; 1] = ["application/json"];
/// The media types it parses (`rest::body`).
pub const PARSES: [&str; 2] = ["application/json", "application/x-www-form-urlencoded"];

/// One DRF view: what OPTIONS says of it and which methods it allows.
#[derive(Debug)]
pub struct View {
    /// DRF's view name (`Order List`, `Order Instance`, ...).
    pub name: &'static str,
    pub description: &'static str,
    /// The `Allow` header.
    pub allow: &'static str,
}

/// Allowed on a collection (list and create).
pub const COLLECTION_METHODS: &str = "GET, POST, HEAD, OPTIONS";
/// Allowed on one item (retrieve, update, partial update, destroy).
pub const ITEM_METHODS: &str = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS";
/// Allowed on the API root.
pub const ROOT_METHODS: &str = "GET, HEAD, OPTIONS";

/// DRF's answer to OPTIONS (`SimpleMetadata` without `actions`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Metadata {
    #[schema(example = "Order List")]
    pub name: String,
    pub description: String,
    #[schema(example = json!(RENDERS))]
    pub renders: Vec<String>,
    #[schema(example = json!(PARSES))]
    pub parses: Vec<String>,
}

impl Metadata {
    pub fn of(view: &View) -> Metadata {
        Metadata {
            name: view.name.to_owned(),
            description: view.description.to_owned(),
            renders: RENDERS.iter().map(|s| (*s).to_owned()).collect(),
            parses: PARSES.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

/// Completes the method router of `view`: OPTIONS, 405 for the other methods, and the
/// headers every answer of the view carries.
pub fn view(router: MethodRouter<AppState>, view: &'static View) -> MethodRouter<AppState> {
    router
        .options(
            move |State(state): State<AppState>, auth: AuthState| async move {
                options(&state, auth, view)
            },
        )
        .fallback(
            move |State(state): State<AppState>, auth: AuthState, method: Method| async move {
                not_allowed(&state, auth, &method, view)
            },
        )
        .layer(middleware::map_response(
            move |response: Response| async move { with_view_headers(response, view) },
        ))
}

/// OPTIONS needs what a read needs (DRF checks permissions before any handler).
fn options(state: &AppState, auth: AuthState, view: &View) -> Response {
    match Access::new(auth, &state.settings).read_scope() {
        Ok(_) => Json(Metadata::of(view)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// DRF authenticates before it looks for a handler: an anonymous caller hears 401 first.
fn not_allowed(state: &AppState, auth: AuthState, method: &Method, view: &View) -> Response {
    match Access::new(auth, &state.settings).user() {
        Ok(_) => AppError::MethodNotAllowed {
            method: method.as_str().to_owned(),
            allow: view.allow,
        }
        .into_response(),
        Err(e) => e.into_response(),
    }
}

fn with_view_headers(mut response: Response, view: &View) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::ALLOW, HeaderValue::from_static(view.allow));
    headers
        .entry(header::VARY)
        .or_insert(HeaderValue::from_static("Accept"));
    response
}
