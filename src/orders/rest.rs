//! The REST face of orders: `/api/erp/oms/orders/` and `/api/erp/oms/orders/{id}/` answering
//! as the InventoryHub API does (OMS.md). Handlers parse, call `service`, render; every rule
//! and permission is the domain's.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use entity::order;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::{RefOr, Schema};

use crate::auth::{Access, AuthState, Credentials};
use crate::db::Reads;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::filters::IntFilter;
use crate::orders::filter::{OrderFilter, OrderStatusFilter};
use crate::orders::graph::{OrderGraph, Wants};
use crate::orders::service::{self, EchoedItem, NewItem, NewOrder, OrderChange};
use crate::orders::status::OrderStatus;
use crate::payments::rest::OrderPayment;
use crate::rest::body::DrfBody;
use crate::rest::fields::Form;
use crate::rest::idempotency::{self, IdempotencyHeader};
use crate::rest::links::RequestUrl;
use crate::rest::methods::{self, COLLECTION_METHODS, ITEM_METHODS, View};
use crate::rest::query::{QueryParams, unavailable_choice};
use crate::rest::repr::{missing, money, timestamp};
use crate::rest::{ItemId, pagination};
use crate::state::AppState;

static LIST_VIEW: View = View {
    name: "Order List",
    description: "Orders with their items and payments, newest first. Filters: id, status, customer.",
    allow: COLLECTION_METHODS,
};

static INSTANCE_VIEW: View = View {
    name: "Order Instance",
    description: "One order: retrieve, update its status or customer, delete.",
    allow: ITEM_METHODS,
};

pub fn router() -> Router<AppState> {
    let list = methods::view(get(list).post(create), &LIST_VIEW);
    let item = methods::view(
        get(retrieve)
            .put(update)
            .patch(partial_update)
            .delete(destroy),
        &INSTANCE_VIEW,
    );
    Router::new()
        .route("/api/erp/oms/orders/", list.clone())
        .route("/api/erp/oms/orders", list)
        .route("/api/erp/oms/orders/{id}/", item.clone())
        .route("/api/erp/oms/orders/{id}", item)
}

fn status_schema() -> RefOr<Schema> {
    crate::rest::repr::choice_schema(OrderStatus::ALL.map(OrderStatus::as_str))
}

/// An order as the legacy API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Order {
    #[schema(example = 1)]
    pub id: i64,
    /// The customer's username.
    #[schema(example = "user")]
    pub customer: String,
    #[schema(schema_with = status_schema)]
    pub status: String,
    /// The exact sum of price times quantity of the items, two places.
    #[schema(format = "decimal", example = "999.99")]
    pub total_amount: String,
    #[schema(format = DateTime, example = "2025-11-21T12:00:00Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2025-11-21T12:05:00Z")]
    pub updated_at: String,
    pub items: Vec<OrderItem>,
    pub payments: Vec<OrderPayment>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OrderItem {
    #[schema(example = 1)]
    pub id: i64,
    /// The product's name.
    #[schema(example = "Laptop")]
    pub product: String,
    #[schema(example = 1)]
    pub quantity: i32,
    #[schema(format = "decimal", example = "999.99")]
    pub price: String,
    /// `"<warehouse> - <location code>"` of the stock row the units came from.
    #[schema(example = "Main WH - A1")]
    pub stock: Option<String>,
}

/// A new order (`POST`), or the whole of one (`PUT`: only `status` and `customer_id` change;
/// `items`, required by `PUT` as DRF requires it, must equal the order's own).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct OrderWrite {
    #[schema(schema_with = crate::rest::repr::id_input_schema)]
    pub customer_id: i64,
    /// Defaults to `pending`.
    #[schema(schema_with = status_schema)]
    pub status: Option<String>,
    #[schema(min_items = 1)]
    pub items: Vec<OrderItemWrite>,
}

/// One line of a new order.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct OrderItemWrite {
    #[schema(schema_with = crate::rest::repr::id_input_schema)]
    pub product_id: i64,
    #[schema(minimum = 1, example = 2)]
    pub quantity: i64,
    #[schema(schema_with = crate::rest::repr::decimal_input_schema)]
    pub price: String,
    /// The stock row to take the units from (its quantity goes down).
    #[schema(schema_with = crate::rest::repr::id_input_schema)]
    pub stock_id: Option<i64>,
}

/// A partial change (`PATCH`): any of the fields of `OrderWrite`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct OrderPatch {
    #[schema(schema_with = crate::rest::repr::id_input_schema)]
    pub customer_id: Option<i64>,
    #[schema(schema_with = status_schema)]
    pub status: Option<String>,
    /// Accepted only when equal to the order's own items.
    pub items: Option<Vec<OrderItemWrite>>,
}

/// Renders orders from one `OrderGraph` (one statement per table for the whole list, never
/// one per order): customers, items joined with their product and stock location, payments.
/// On any connection: the pool, a request's `Reads`, or a write's transaction (the stored
/// answer of an idempotency key).
pub async fn represent<C: ConnectionTrait>(
    db: &C,
    orders: Vec<order::Model>,
) -> AppResult<Vec<Order>> {
    let wants = Wants {
        customer: true,
        payments: true,
        items: true,
        item_product: true,
        item_stock: true,
        ..Wants::default()
    };
    let mut g = OrderGraph::load(db, &orders, wants).await?;
    let mut out = Vec::with_capacity(orders.len());
    for o in orders {
        let mut lines = Vec::new();
        for i in g.items.remove(&o.id).unwrap_or_default() {
            let product = g
                .products
                .get(&i.product_id)
                .ok_or_else(|| missing("product", i.product_id))?;
            let stock = match i.stock_id {
                None => None,
                Some(stock_id) => Some(
                    g.stock_label(stock_id)
                        .ok_or_else(|| missing("stock", stock_id))?,
                ),
            };
            lines.push(OrderItem {
                id: i.id,
                product: product.name.clone(),
                quantity: i.quantity,
                price: money(i.price),
                stock,
            });
        }
        out.push(Order {
            id: o.id,
            customer: g
                .customers
                .get(&o.customer_id)
                .map(|u| u.username.clone())
                .ok_or_else(|| missing("user", o.customer_id))?,
            status: o.status,
            total_amount: money(o.total_amount),
            created_at: timestamp(&o.created_at),
            updated_at: timestamp(&o.updated_at),
            items: lines,
            payments: g
                .payments
                .remove(&o.id)
                .unwrap_or_default()
                .iter()
                .map(OrderPayment::of)
                .collect(),
        });
    }
    Ok(out)
}

async fn represent_one<C: ConnectionTrait>(db: &C, order: order::Model) -> AppResult<Order> {
    let id = order.id;
    represent(db, vec![order])
        .await?
        .pop()
        .ok_or_else(|| missing("order", id))
}

/// django-filter's `?id=&status=&customer=`; also the customer asked for, whose existence is
/// checked only when nothing matches (a match proves it exists: one statement saved).
fn filter(query: &QueryParams) -> AppResult<(OrderFilter, Option<i64>)> {
    let mut errors = FieldErrors::new();
    let id = query.number("id", &mut errors);
    let status = query.choice::<OrderStatus>("status", &mut errors);
    let customer = query.model_choice("customer", &mut errors);
    errors.into_result()?;
    let filter = OrderFilter {
        id,
        customer: customer.map(IntFilter::eq),
        status: status.map(|s| OrderStatusFilter {
            eq: Some(s),
            ..Default::default()
        }),
        ..Default::default()
    };
    Ok((filter, customer))
}

/// When a `?customer=` filter matched nothing: 400 if no such customer is visible.
async fn check_customer<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    customer: Option<i64>,
) -> AppResult<()> {
    if let Some(c) = customer
        && !service::visible_customer(db, access, c).await?
    {
        let mut errors = FieldErrors::new();
        unavailable_choice("customer", &mut errors);
        return errors.into_result();
    }
    Ok(())
}

/// The list, newest first: a bare array, or a page (see `rest::pagination`).
#[utoipa::path(
    method(get, head),
    path = "/api/erp/oms/orders/",
    tag = "orders",
    operation_id = "orders_list",
    params(
        ("id" = Option<i64>, Query, description = "Only the order of this id."),
        ("status" = Option<String>, Query, description = "Only orders in this status (pending, confirmed, shipped, delivered, cancelled)."),
        ("customer" = Option<i64>, Query, description = "Only the orders of this customer (user id)."),
        pagination::PageQuery,
    ),
    responses(
        (status = 200, description = "The orders: a bare array, or a page when one is asked for", body = pagination::Listing<Order>),
        (status = 400, description = "A filter with a bad value", body = crate::rest::openapi::FieldErrorsBody),
        (status = 401, description = "No or bad credentials", body = crate::rest::openapi::Detail),
        (status = 404, description = "Invalid page.", body = crate::rest::openapi::Detail),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    credentials: Credentials,
    url: RequestUrl,
) -> AppResult<Response> {
    // every statement of the request on one connection, the caller's lookup included (see `Reads`)
    let db = Reads::take(&state.db, &state.sql).await?;
    let access = Access::new(credentials.resolve(&db).await, &state.settings);
    access.read_scope()?;
    let (filter, customer) = filter(&url.query)?;
    let plan = pagination::plan(&url.query, state.settings.rest_page_size);
    let (access, filter, db) = (&access, &filter, &db);
    pagination::respond(
        plan,
        &url,
        async || {
            let n = service::count_orders(db, access, Some(filter)).await?;
            if n == 0 {
                check_customer(db, access, customer).await?;
            }
            Ok(n)
        },
        async |window| {
            let rows = service::all_orders(db, access, Some(filter), window).await?;
            // a page (window) was preceded by the count, which already checked an empty match
            if rows.is_empty() && window.is_none() {
                check_customer(db, access, customer).await?;
            }
            represent(db, rows).await
        },
    )
    .await
}

/// Places an order (201), taking its units out of the named stock rows.
#[utoipa::path(
    post,
    path = "/api/erp/oms/orders/",
    tag = "orders",
    operation_id = "orders_create",
    request_body = OrderWrite,
    responses(
        (status = 201, description = "The new order", body = Order),
        (status = 400, description = "Field errors, all at once (items nested by position)", body = crate::rest::openapi::FieldErrorsBody),
        (status = 401, description = "No or bad credentials", body = crate::rest::openapi::Detail),
        (status = 403, description = "Not allowed for the caller's role", body = crate::rest::openapi::Detail),
        (status = 415, description = "A body of another media type", body = crate::rest::openapi::Detail),
        (status = 422, description = "The Idempotency-Key was already used for a different body", body = crate::rest::openapi::Detail),
    ),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: a request with the same key (1 to 255 printable ASCII characters, per user, remembered for OMS_IDEMPOTENCY_TTL) and the same body answers the first 201 again, with `Idempotent-Replayed: true`, and creates nothing."),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthState,
    key: Result<IdempotencyHeader, AppError>,
    body: Result<DrfBody, AppError>,
) -> AppResult<Response> {
    let access = Access::new(auth, &state.settings);
    access.user()?;
    let IdempotencyHeader(key) = key?;
    let DrfBody(body) = body?;
    let outcome = service::create_order_keyed(
        &state,
        &access,
        new_order(&body)?,
        key.as_ref(),
        async |txn, created| {
            let shown = represent(txn, vec![created.clone()]).await?;
            Ok(Some(idempotency::body_of(&shown, "order", created.id)?))
        },
    )
    .await?;
    idempotency::respond(outcome, async |id| {
        let found = service::get_order(&state.db, &access, id)
            .await?
            .ok_or(AppError::NotFound("Order"))?;
        idempotency::body_of(&represent(&state.db, vec![found]).await?, "order", id)
    })
    .await
}

/// One order.
#[utoipa::path(
    method(get, head),
    path = "/api/erp/oms/orders/{id}/",
    tag = "orders",
    operation_id = "orders_retrieve",
    params(("id" = i64, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The order", body = Order),
        (status = 401, description = "No or bad credentials", body = crate::rest::openapi::Detail),
        (status = 404, description = "No such order, or not the caller's", body = crate::rest::openapi::Detail),
    )
)]
pub async fn retrieve(
    State(state): State<AppState>,
    credentials: Credentials,
    id: ItemId,
) -> AppResult<Response> {
    let db = Reads::take(&state.db, &state.sql).await?;
    let access = Access::new(credentials.resolve(&db).await, &state.settings);
    let id = id.read(&access, "Order")?;
    let found = service::get_order(&db, &access, id)
        .await?
        .ok_or(AppError::NotFound("Order"))?;
    Ok(Json(represent_one(&db, found).await?).into_response())
}

/// Replaces an order (DRF's full update): `customer_id` and `items` are required.
#[utoipa::path(
    put,
    path = "/api/erp/oms/orders/{id}/",
    tag = "orders",
    operation_id = "orders_update",
    params(("id" = i64, Path, description = "The order's id")),
    request_body = OrderWrite,
    responses(
        (status = 200, description = "The order as changed", body = Order),
        (status = 400, description = "Field errors, or an illegal status change", body = crate::rest::openapi::FieldErrorsBody),
        (status = 401, description = "No or bad credentials", body = crate::rest::openapi::Detail),
        (status = 403, description = "Not allowed for the caller's role", body = crate::rest::openapi::Detail),
        (status = 404, description = "No such order, or not the caller's", body = crate::rest::openapi::Detail),
        (status = 415, description = "A body of another media type", body = crate::rest::openapi::Detail),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    auth: AuthState,
    id: ItemId,
    body: Result<DrfBody, AppError>,
) -> AppResult<Response> {
    change(state, auth, id, body, false).await
}

/// Changes some fields of an order (`status`, `customer_id`).
#[utoipa::path(
    patch,
    path = "/api/erp/oms/orders/{id}/",
    tag = "orders",
    operation_id = "orders_partial_update",
    params(("id" = i64, Path, description = "The order's id")),
    request_body = OrderPatch,
    responses(
        (status = 200, description = "The order as changed", body = Order),
        (status = 400, description = "Field errors, or an illegal status change", body = crate::rest::openapi::FieldErrorsBody),
        (status = 401, description = "No or bad credentials", body = crate::rest::openapi::Detail),
        (status = 403, description = "Not allowed for the caller's role", body = crate::rest::openapi::Detail),
        (status = 404, description = "No such order, or not the caller's", body = crate::rest::openapi::Detail),
        (status = 415, description = "A body of another media type", body = crate::rest::openapi::Detail),
    )
)]
pub async fn partial_update(
    State(state): State<AppState>,
    auth: AuthState,
    id: ItemId,
    body: Result<DrfBody, AppError>,
) -> AppResult<Response> {
    change(state, auth, id, body, true).await
}

async fn change(
    state: AppState,
    auth: AuthState,
    id: ItemId,
    body: Result<DrfBody, AppError>,
    partial: bool,
) -> AppResult<Response> {
    let access = Access::new(auth, &state.settings);
    let id = id.write(&access, "Order")?;
    let body = match body {
        Ok(DrfBody(body)) => body,
        Err(unreadable) => {
            // DRF finds the object before it reads the body
            service::get_order(&state.db, &access, id)
                .await?
                .ok_or(AppError::NotFound("Order"))?;
            return Err(unreadable);
        }
    };
    let updated = service::update_order(&state, &access, id, order_change(&body, partial)?).await?;
    Ok(Json(represent_one(&state.db, updated).await?).into_response())
}

/// Deletes an order with its items and payments (204).
#[utoipa::path(
    delete,
    path = "/api/erp/oms/orders/{id}/",
    tag = "orders",
    operation_id = "orders_destroy",
    params(("id" = i64, Path, description = "The order's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or bad credentials", body = crate::rest::openapi::Detail),
        (status = 403, description = "Not allowed for the caller's role", body = crate::rest::openapi::Detail),
        (status = 404, description = "No such order, or not the caller's", body = crate::rest::openapi::Detail),
    )
)]
pub async fn destroy(
    State(state): State<AppState>,
    auth: AuthState,
    id: ItemId,
) -> AppResult<Response> {
    let access = Access::new(auth, &state.settings);
    let id = id.write(&access, "Order")?;
    service::delete_order(&state, &access, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A `POST` body as DRF's order serializer reads it (`customer_id` and `items` required).
fn new_order(body: &Value) -> AppResult<NewOrder> {
    let mut errors = FieldErrors::new();
    let mut new = NewOrder::default();
    let form = Form::root(body, false)?;
    new.customer_id = form.pk("customer_id", true, &mut errors);
    new.status = form.choice("status", false, &mut errors);
    if let Some(list) = form.list("items", true, &mut errors) {
        errors.set_list_len("items", list.len());
        for (i, value) in list.iter().enumerate() {
            let item = match form.element("items", i, value, &mut errors) {
                Some(f) => NewItem {
                    product_id: f.pk("product_id", true, &mut errors),
                    quantity: f.integer("quantity", true, &mut errors),
                    price: f.decimal("price", true, &mut errors),
                    stock_id: f.nullable_pk("stock_id", &mut errors).flatten(),
                },
                None => NewItem::default(),
            };
            new.items.push(item);
        }
    }
    new.errors = errors;
    Ok(new)
}

/// A `PUT` (`partial: false`) or `PATCH` body.
fn order_change(body: &Value, partial: bool) -> AppResult<OrderChange> {
    let mut errors = FieldErrors::new();
    let mut change = OrderChange::default();
    let form = Form::root(body, partial)?;
    change.customer_id = form.pk("customer_id", true, &mut errors);
    change.status = form.choice("status", false, &mut errors);
    if let Some(list) = form.list("items", true, &mut errors) {
        errors.set_list_len("items", list.len());
        let mut echoed = Vec::with_capacity(list.len());
        for (i, value) in list.iter().enumerate() {
            echoed.push(match form.element("items", i, value, &mut errors) {
                Some(f) => EchoedItem {
                    product_id: f.pk("product_id", true, &mut errors),
                    quantity: f.integer("quantity", true, &mut errors),
                    price: f.decimal("price", true, &mut errors),
                    stock_id: f.nullable_pk("stock_id", &mut errors),
                },
                None => EchoedItem::default(),
            });
        }
        change.items = Some(echoed);
    }
    change.errors = errors;
    Ok(change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::errors::field_map;
    use serde_json::json;

    #[test]
    fn every_type_error_at_once() {
        let new = new_order(&json!({
            "customer_id": "abc",
            "status": "bogus",
            "items": [
                {"product_id": 1, "quantity": 2, "price": "999.99", "stock_id": 1},
                {"product_id": 1, "quantity": "two", "price": "x"},
            ],
        }))
        .unwrap();
        assert_eq!(new.items.len(), 2);
        assert_eq!(
            new.items[0].price,
            Some(rust_decimal::Decimal::new(99_999, 2))
        );
        assert_eq!(
            field_map(&new.errors),
            json!({
                "customer_id": ["Incorrect type. Expected pk value, received str."],
                "items": [{}, {
                    "price": ["A valid number is required."],
                    "quantity": ["A valid integer is required."],
                }],
                "status": ["\"bogus\" is not a valid choice."],
            })
        );
        let missing = new_order(&json!({})).unwrap();
        assert_eq!(
            field_map(&missing.errors),
            json!({"customer_id": ["This field is required."], "items": ["This field is required."]})
        );
    }

    #[test]
    fn changes_full_and_partial() {
        let full = order_change(&json!({"status": "cancelled"}), false).unwrap();
        assert_eq!(
            field_map(&full.errors),
            json!({"customer_id": ["This field is required."], "items": ["This field is required."]})
        );
        let patch = order_change(&json!({"status": "confirmed"}), true).unwrap();
        assert!(patch.errors.is_empty());
        assert_eq!(patch.status, Some(OrderStatus::Confirmed));
        let echo = order_change(
            &json!({"items": [{"product_id": 1, "quantity": 1, "price": "999.99", "stock_id": null}]}),
            true,
        )
        .unwrap();
        assert_eq!(echo.items.unwrap()[0].stock_id, Some(None));
    }
}
