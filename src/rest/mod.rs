//! Django REST Framework conventions shared by the REST faces: error bodies, request bodies and
//! fields, query strings, the page envelope and the streamed array, links, method handling,
//! the view sets' wiring (`resource`), the API root and the OpenAPI document. It knows no
//! resource: `app.rs` wires the slices' view sets (`orders::rest`, ...) with `resource` and
//! documents them with `openapi`.

pub mod body;
pub mod errors;
pub mod fields;
pub mod form;
pub mod idempotency;
pub mod links;
pub mod methods;
pub mod openapi;
pub mod pagination;
pub mod query;
pub mod repr;
pub mod resource;
pub mod resource_doc;
pub mod stream;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::pending::Asking;
use crate::auth::{Access, AuthState};
use crate::db::Reads;
use crate::error::{AppError, AppResult};
use crate::rest::links::RequestUrl;
use crate::rest::methods::{ROOT_METHODS, View};
use crate::state::AppState;

/// The API root's routes (`/api/erp/oms/`).
pub fn root_router() -> Router<AppState> {
    let root = methods::view(get(api_root), &ROOT_VIEW);
    Router::new()
        .route("/api/erp/oms/", root.clone())
        .route("/api/erp/oms", root)
}

static ROOT_VIEW: View = View {
    name: "Api Root",
    description: "The default basic root view for DefaultRouter",
    allow: ROOT_METHODS,
};

/// DRF's `DefaultRouter` root: where each collection lives.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiRoot {
    #[schema(example = "http://localhost:8000/api/erp/oms/orders/")]
    pub orders: String,
    #[schema(example = "http://localhost:8000/api/erp/oms/payments/")]
    pub payments: String,
}

/// The collections of the OMS API, as absolute URLs.
#[utoipa::path(
    method(get, head),
    path = "/api/erp/oms/",
    tag = "root",
    operation_id = "api_root",
    responses(
        (status = 200, description = "The collections", body = ApiRoot),
        (status = 401, description = "No or bad credentials", body = openapi::Detail),
    )
)]
pub async fn api_root(
    State(state): State<AppState>,
    auth: AuthState,
    url: RequestUrl,
) -> AppResult<Response> {
    Access::new(auth, &state.settings).read_scope()?;
    Ok(Json(ApiRoot {
        orders: url.absolute("/api/erp/oms/orders/"),
        payments: url.absolute("/api/erp/oms/payments/"),
    })
    .into_response())
}

/// The `{id}` of an item path, as given. DRF's lookup takes any text; one that is not an
/// integer finds nothing (404), once the caller is known (401 comes first, as in DRF).
#[derive(Debug, Clone, Copy)]
pub struct ItemId(Option<i64>);

impl ItemId {
    /// The id for a read. The caller is looked up (on `db`) only when the path gave none, to
    /// answer 401 before 404 as DRF does; a read of a given id looks it up itself.
    pub async fn read(self, asking: &Asking, db: &Reads, model: &'static str) -> AppResult<i64> {
        match self.0 {
            Some(id) => Ok(id),
            None => {
                asking.resolve(db).await.read_scope()?;
                Err(AppError::NotFound(model))
            }
        }
    }

    /// The id for a write: only an authenticated caller gets further.
    pub fn write(self, access: &Access, model: &'static str) -> AppResult<i64> {
        access.user()?;
        self.0.ok_or(AppError::NotFound(model))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ItemId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let id = Path::<String>::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|Path(raw)| {
                (!raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| raw.parse::<i64>().ok())
                    .flatten()
            });
        Ok(ItemId(id))
    }
}
