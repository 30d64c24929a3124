//! `build_app(state) -> Router`: every route of the gateway in one table, and the layers
//! around them (metrics, body limit, timeout, the 413/408 answers, CORS; the REST throttle).
//! The REST layer's view sets and their OpenAPI document are assembled here (`rest` knows no
//! resource), as the GraphQL schema is from the slices' faces in `graphql`.

use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tower::ServiceBuilder;
use tower_http::body::Limited;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::rest::{openapi, resource, resource_doc};
use crate::state::AppState;
use crate::{auth, db, graphql, orders, payments, ratelimit, rest, telemetry};

pub fn build_app(state: AppState) -> Router {
    let metrics = telemetry::metrics_handle();
    let schema = graphql::build_schema(&state);
    let settings = state.settings.clone();
    let throttle = axum::middleware::from_fn_with_state(state.clone(), ratelimit::throttle_rest);
    let body_limits = ratelimit::body::BodyLimits {
        max_bytes: settings.max_body_bytes,
        timeout: settings.request_timeout,
    };

    // One stack, so one layer of axum's per-route boxing (each `Router::layer` call adds one,
    // and every request clones each; BENCHMARKS.md, "The router's layers as one stack").
    // Outermost first.
    let layers = ServiceBuilder::new()
        .option_layer(cors(&settings.cors_origins))
        .layer(axum::middleware::from_fn(move |req, next| {
            ratelimit::body::guard(body_limits, req, next)
        }))
        // 408 marks the timeout's own answer; the guard above turns it into the 408 of a slow
        // body or the 503 of a slow handler, and leaves the app's own 503s alone
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        .map_response(IntoResponse::into_response)
        .layer(RequestBodyLimitLayer::new(settings.max_body_bytes))
        .map_request(|r: axum::extract::Request<Limited<Body>>| r.map(Body::new))
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        // innermost: after routing, so it sees the matched route
        .layer(axum::middleware::from_fn(telemetry::track_requests));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(move || async move { metrics.render() }))
        .merge(auth::rest::router().route_layer(throttle.clone()))
        .merge(graphql::router(schema, &state))
        .merge(graphql::ws::router(&state))
        .merge(rest_router().route_layer(throttle))
        .fallback(not_found)
        .layer(layers)
        .with_state(state)
}

/// The REST layer: the API root, the orders and payments view sets (InventoryHub's
/// `/api/erp/oms/...`), and their OpenAPI document at `/api/openapi.json`.
fn rest_router() -> Router<AppState> {
    rest::root_router()
        .merge(resource::router::<orders::rest::Orders>())
        .merge(resource::router::<payments::rest::Payments>())
        .route("/api/openapi.json", get(openapi_document))
}

/// The OpenAPI document of `rest_router`'s views, built once.
async fn openapi_document() -> Response {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    let document = DOCUMENT.get_or_init(|| {
        openapi::document(|doc| {
            resource_doc::add::<orders::rest::Orders>(doc);
            resource_doc::add::<payments::rest::Payments>(doc);
        })
    });
    axum::Json(document).into_response()
}

/// CORS for the SPA origins of `OMS_CORS_ORIGINS` (none by default: no CORS headers at all).
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow_origin = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
                Method::OPTIONS,
                Method::HEAD,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                HeaderName::from_static("idempotency-key"),
            ])
            .expose_headers([
                header::RETRY_AFTER,
                HeaderName::from_static("idempotent-replayed"),
            ])
            .max_age(Duration::from_secs(600)),
    )
}

async fn healthz() -> Response {
    axum::Json(json!({ "status": "ok" })).into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    if db::ping(&state.db).await {
        axum::Json(json!({ "status": "ready", "database": "ok" })).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "status": "unavailable", "database": "unreachable" })),
        )
            .into_response()
    }
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({ "detail": "Not found." })),
    )
        .into_response()
}
