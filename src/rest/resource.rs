//! One way of wiring a DRF model view set: a [`Resource`] (orders, payments) says how its rows
//! are filtered, read, represented, created, changed and deleted; the generic handlers here
//! answer list, create, retrieve, update, partial_update and destroy on its two paths, with
//! DRF's order of checks (401 before anything else, the object before an unreadable body), and
//! the unpaged list streamed (`rest::stream`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use serde_json::Value;

use crate::auth::pending::Asking;
use crate::auth::policy::Caller;
use crate::auth::{Access, AuthState, Credentials};
use crate::db::Reads;
use crate::error::{AppError, AppResult};
use crate::idempotency::{IdempotencyKey, Outcome};
use crate::listing::Window;
use crate::rest::ItemId;
use crate::rest::body::DrfBody;
use crate::rest::idempotency::{self, IdempotencyHeader};
use crate::rest::links::RequestUrl;
use crate::rest::methods::{self, View};
use crate::rest::pagination::{self, Plan};
use crate::rest::query::QueryParams;
use crate::rest::repr::missing;
use crate::rest::resource_doc::Docs;
use crate::rest::stream::{self, CHUNK, Chunk};
use crate::state::AppState;

/// A model served as a DRF view set: its rows, how they are shown, and its domain calls.
#[async_trait::async_trait]
pub trait Resource: Sized + Send + Sync + 'static {
    /// The model's name in DRF's 404 (`No Order matches the given query.`).
    const MODEL: &'static str;
    /// The collection's path, without its trailing slash.
    const PATH: &'static str;
    const LIST_VIEW: &'static View;
    const ITEM_VIEW: &'static View;
    /// What the OpenAPI document says of it.
    const DOCS: &'static Docs;

    /// A stored row.
    type Row: Send + Sync + 'static;
    /// A row as the legacy API shows it.
    type Shown: Serialize + utoipa::ToSchema + Send + Sync + 'static;
    /// The body of `POST` and `PUT` as `parse_new` and `change` read it (its schema, with no
    /// field required, is `PATCH`'s).
    type Write: utoipa::ToSchema;
    /// A create's input as parsed from its body.
    type New: Send + 'static;
    /// The list's filters.
    type Filter: Send + Sync + 'static;

    fn id_of(row: &Self::Row) -> i64;

    /// django-filter's filters of the query string (400s), read on the request's connection;
    /// one that needs the caller looks it up (`Caller::resolve`).
    async fn filter(db: &Reads, caller: Caller<'_>, query: &QueryParams)
    -> AppResult<Self::Filter>;

    /// Called when a list matched nothing (orders: a `?customer=` that names no one is a 400).
    async fn nothing_matched(
        _db: &Reads,
        _access: &Access,
        _filter: &Self::Filter,
    ) -> AppResult<()> {
        Ok(())
    }

    async fn count(db: &Reads, access: &Access, filter: &Self::Filter) -> AppResult<u64>;

    /// The row, if the caller may see it.
    async fn find<C: ConnectionTrait>(
        db: &C,
        access: &Access,
        id: i64,
    ) -> AppResult<Option<Self::Row>>;

    /// The matching rows the caller may see in `window` as shown, newest first, one for every
    /// row read (a chunk shorter than asked ends a streamed list), and the last row's id (the
    /// next chunk is read below it).
    /// A caller still to be looked up is looked up by the read, or first.
    async fn shown_rows(
        db: &Reads,
        caller: Caller<'_>,
        filter: &Self::Filter,
        window: Window,
    ) -> AppResult<(Vec<Self::Shown>, Option<i64>)>;

    /// The row as shown, if the caller may see it (a `GET` of one). By default the caller
    /// looked up, the row, then its representation; a resource that reads all at once says so.
    async fn find_shown<C: ConnectionTrait>(
        db: &C,
        caller: Caller<'_>,
        id: i64,
    ) -> AppResult<Option<Self::Shown>> {
        let access = caller.resolve(db).await;
        match Self::find(db, &access, id).await? {
            Some(row) => Ok(Some(represent_one::<Self, _>(db, row).await?)),
            None => Ok(None),
        }
    }

    /// Rows as shown, with a constant number of statements however many.
    async fn represent<C: ConnectionTrait>(
        db: &C,
        rows: Vec<Self::Row>,
    ) -> AppResult<Vec<Self::Shown>>;

    /// A `POST` body as DRF's serializer reads it (every type problem at once).
    fn parse_new(body: &Value) -> AppResult<Self::New>;

    /// Creates, its answer rendered in the write's transaction (see `idempotency`).
    async fn create(
        state: &AppState,
        caller: Caller<'_>,
        new: Self::New,
        key: Option<&IdempotencyKey>,
    ) -> AppResult<Outcome<Self::Row>>;

    /// A `PUT` (`partial: false`) or `PATCH`.
    async fn change(
        state: &AppState,
        access: &Access,
        id: i64,
        body: &Value,
        partial: bool,
    ) -> AppResult<Self::Row>;

    async fn delete(state: &AppState, access: &Access, id: i64) -> AppResult<()>;
}

/// The routes of `R`: its collection and its items, each with and without the trailing slash.
pub fn router<R: Resource>() -> Router<AppState> {
    let list = methods::view(get(list::<R>).post(create::<R>), R::LIST_VIEW);
    let item = methods::view(
        get(retrieve::<R>)
            .put(update::<R>)
            .patch(partial_update::<R>)
            .delete(destroy::<R>),
        R::ITEM_VIEW,
    );
    Router::new()
        .route(&format!("{}/", R::PATH), list.clone())
        .route(R::PATH, list)
        .route(&format!("{}/{{id}}/", R::PATH), item.clone())
        .route(&format!("{}/{{id}}", R::PATH), item)
}

/// The JSON of one row (a create's or a replay's answer).
pub async fn body_of<R: Resource, C: ConnectionTrait>(db: &C, row: R::Row) -> AppResult<Value> {
    let id = R::id_of(&row);
    idempotency::body_of(&R::represent(db, vec![row]).await?, R::MODEL, id)
}

async fn represent_one<R: Resource, C: ConnectionTrait>(
    db: &C,
    row: R::Row,
) -> AppResult<R::Shown> {
    let id = R::id_of(&row);
    R::represent(db, vec![row])
        .await?
        .pop()
        .ok_or_else(|| missing(R::MODEL, id))
}

/// A chunk of a streamed list: the rows of `window` as shown.
async fn chunk_of<R: Resource>(
    db: &Reads,
    caller: Caller<'_>,
    filter: &R::Filter,
    window: Window,
) -> AppResult<Chunk<R::Shown>> {
    let (shown, last) = R::shown_rows(db, caller, filter, window).await?;
    Ok(Chunk::of(shown, last))
}

/// The list, newest first: the bare array, streamed in chunks (every statement of the first
/// chunk on one connection, the caller's lookup included, within the chunk's own statement
/// where it can: see `Reads` and `auth::riding`), or a page.
async fn list<R: Resource>(
    State(state): State<AppState>,
    credentials: Credentials,
    url: RequestUrl,
) -> AppResult<Response> {
    let db = Reads::take(&state.db, &state.sql).await?;
    let asking = Asking::of(&state, credentials, true, &db).await;
    if let Asking::Known(access) = &asking {
        access.read_scope()?;
    }
    let filter = match R::filter(&db, asking.caller(), &url.query).await {
        Ok(filter) => filter,
        Err(refused) => {
            // 401 before anything else, as in DRF
            asking.resolve(&db).await.read_scope()?;
            return Err(refused);
        }
    };
    let (wanted, size) = match pagination::plan(&url.query, state.settings.rest_page_size) {
        Plan::Paged { wanted, size } => (wanted, size),
        Plan::Bare => {
            let first = Window::Below {
                id: None,
                limit: CHUNK,
            };
            let first = chunk_of::<R>(&db, asking.caller(), &filter, first).await?;
            // looked up by the chunk's read
            let access = asking.resolve(&db).await;
            if first.shown.is_empty() {
                R::nothing_matched(&db, &access, &filter).await?;
            }
            drop(db);
            let (access, filter) = (Arc::new(access), Arc::new(filter));
            return stream::json_array(first, move |below| {
                let (state, access, filter) = (state.clone(), access.clone(), filter.clone());
                async move {
                    let db = Reads::take(&state.db, &state.sql).await?;
                    let window = Window::Below {
                        id: Some(below),
                        limit: CHUNK,
                    };
                    chunk_of::<R>(&db, (&*access).into(), &filter, window).await
                }
            });
        }
    };
    let access = asking.resolve(&db).await;
    access.read_scope()?;
    let (db, access, filter) = (&db, &access, &filter);
    pagination::page(
        wanted,
        size,
        &url,
        async || {
            let n = R::count(db, access, filter).await?;
            if n == 0 {
                R::nothing_matched(db, access, filter).await?;
            }
            Ok(n)
        },
        async |window| Ok(R::shown_rows(db, access.into(), filter, window).await?.0),
    )
    .await
}

/// Creates (201). The caller is looked up in the write's own transaction; a request refused
/// before it (a bad key or body) looks it up first, as DRF authenticates before it reads.
async fn create<R: Resource>(
    State(state): State<AppState>,
    credentials: Credentials,
    key: Result<IdempotencyHeader, AppError>,
    body: Result<DrfBody, AppError>,
) -> AppResult<Response> {
    let caller = Caller::Deferred {
        credentials: credentials.clone(),
        settings: &state.settings,
    };
    caller.authenticated()?;
    let parsed = key.and_then(|IdempotencyHeader(key)| {
        body.and_then(|DrfBody(body)| Ok((key, R::parse_new(&body)?)))
    });
    let (key, new) = match parsed {
        Ok(parsed) => parsed,
        Err(refused) => {
            caller.resolve(&state.db).await.user()?;
            return Err(refused);
        }
    };
    let outcome = R::create(&state, caller, new, key.as_ref()).await?;
    idempotency::respond(outcome, async |id| {
        let db = Reads::take(&state.db, &state.sql).await?;
        let access = Access::new(credentials.resolve(&db).await, &state.settings);
        let found = R::find(&db, &access, id)
            .await?
            .ok_or(AppError::NotFound(R::MODEL))?;
        body_of::<R, _>(&db, found).await
    })
    .await
}

/// One row.
async fn retrieve<R: Resource>(
    State(state): State<AppState>,
    credentials: Credentials,
    id: ItemId,
) -> AppResult<Response> {
    let db = Reads::take(&state.db, &state.sql).await?;
    let asking = Asking::of(&state, credentials, true, &db).await;
    let id = id.read(&asking, &db, R::MODEL).await?;
    let found = R::find_shown(&db, asking.caller(), id)
        .await?
        .ok_or(AppError::NotFound(R::MODEL))?;
    Ok(Json(found).into_response())
}

async fn update<R: Resource>(
    State(state): State<AppState>,
    auth: AuthState,
    id: ItemId,
    body: Result<DrfBody, AppError>,
) -> AppResult<Response> {
    change::<R>(state, auth, id, body, false).await
}

async fn partial_update<R: Resource>(
    State(state): State<AppState>,
    auth: AuthState,
    id: ItemId,
    body: Result<DrfBody, AppError>,
) -> AppResult<Response> {
    change::<R>(state, auth, id, body, true).await
}

async fn change<R: Resource>(
    state: AppState,
    auth: AuthState,
    id: ItemId,
    body: Result<DrfBody, AppError>,
    partial: bool,
) -> AppResult<Response> {
    let access = Access::new(auth, &state.settings);
    let id = id.write(&access, R::MODEL)?;
    let body = match body {
        Ok(DrfBody(body)) => body,
        Err(unreadable) => {
            // DRF finds the object before it reads the body
            R::find(&state.db, &access, id)
                .await?
                .ok_or(AppError::NotFound(R::MODEL))?;
            return Err(unreadable);
        }
    };
    let updated = R::change(&state, &access, id, &body, partial).await?;
    Ok(Json(represent_one::<R, _>(&state.db, updated).await?).into_response())
}

/// Deletes (204).
async fn destroy<R: Resource>(
    State(state): State<AppState>,
    auth: AuthState,
    id: ItemId,
) -> AppResult<Response> {
    let access = Access::new(auth, &state.settings);
    let id = id.write(&access, R::MODEL)?;
    R::delete(&state, &access, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
