//! `build_app(state) -> Router`: every route of the gateway in one table, and the layers
//! around them (metrics, body limit, timeout, the 413/408 answers, CORS; the REST throttle).

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::state::AppState;
use crate::{auth, db, graphql, ratelimit, telemetry};

pub fn build_app(state: AppState) -> Router {
    let metrics = telemetry::metrics_handle();
    let schema = graphql::build_schema(&state);
    let settings = state.settings.clone();
    let throttle = axum::middleware::from_fn_with_state(state.clone(), ratelimit::throttle_rest);
    let body_limits = ratelimit::body::BodyLimits {
        max_bytes: settings.max_body_bytes,
        timeout: settings.request_timeout,
    };

    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(move || async move { metrics.render() }))
        .merge(auth::rest::router().route_layer(throttle.clone()))
        .merge(graphql::router(schema, &state))
        .merge(graphql::ws::router(&state))
        .merge(crate::rest::router().route_layer(throttle))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(telemetry::track_requests))
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(settings.max_body_bytes))
        // 408 marks the timeout's own answer; the guard below turns it into the 408 of a slow
        // body or the 503 of a slow handler, and leaves the app's own 503s alone
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        .layer(axum::middleware::from_fn(move |req, next| {
            ratelimit::body::guard(body_limits, req, next)
        }));
    let router = match cors(&settings.cors_origins) {
        Some(layer) => router.layer(layer),
        None => router,
    };
    router.with_state(state)
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
