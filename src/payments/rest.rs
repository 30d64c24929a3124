//! The REST face of payments: `/api/erp/oms/payments/` and `/api/erp/oms/payments/{id}/`
//! answering as the InventoryHub API does (OMS.md). Handlers parse, call `service`, render;
//! every rule and permission is the domain's.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use entity::payment;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::{RefOr, Schema};

use crate::auth::service::usernames_by_id;
use crate::auth::{Access, AuthState};
use crate::db::distinct_ids;
use crate::error::{AppError, AppResult, FieldErrors, Problem};
use crate::filters::IntFilter;
use crate::orders::service::{get_order, orders_by_id};
use crate::payments::filter::{PaymentFilter, PaymentStatusFilter};
use crate::payments::service::{self, NewPayment, PaymentChange};
use crate::payments::status::PaymentStatus;
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
    name: "Payment List",
    description: "Payments, newest first. Filters: id, order, status.",
    allow: COLLECTION_METHODS,
};

static INSTANCE_VIEW: View = View {
    name: "Payment Instance",
    description: "One payment: retrieve, update, delete.",
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
        .route("/api/erp/oms/payments/", list.clone())
        .route("/api/erp/oms/payments", list)
        .route("/api/erp/oms/payments/{id}/", item.clone())
        .route("/api/erp/oms/payments/{id}", item)
}

fn status_schema() -> RefOr<Schema> {
    crate::rest::repr::choice_schema(PaymentStatus::ALL.map(PaymentStatus::as_str))
}

/// A payment as the legacy API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Payment {
    #[schema(example = 1)]
    pub id: i64,
    /// `"Order #<id> - <customer's username>"`.
    #[schema(example = "Order #1 - user")]
    pub order: String,
    #[schema(format = "decimal", example = "999.99")]
    pub amount: String,
    #[schema(example = "Credit Card")]
    pub payment_method: String,
    #[schema(schema_with = status_schema)]
    pub status: String,
    #[schema(format = DateTime, example = "2025-11-21T12:20:00Z")]
    pub paid_at: Option<String>,
    #[schema(format = DateTime, example = "2025-11-21T12:01:00Z")]
    pub created_at: String,
}

/// A payment nested in its order (no `order` field).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OrderPayment {
    #[schema(example = 1)]
    pub id: i64,
    #[schema(format = "decimal", example = "999.99")]
    pub amount: String,
    #[schema(example = "Credit Card")]
    pub payment_method: String,
    #[schema(schema_with = status_schema)]
    pub status: String,
    #[schema(format = DateTime, example = json!(null))]
    pub paid_at: Option<String>,
    #[schema(format = DateTime, example = "2025-11-21T12:01:00Z")]
    pub created_at: String,
}

impl OrderPayment {
    pub fn of(p: &payment::Model) -> OrderPayment {
        OrderPayment {
            id: p.id,
            amount: money(p.amount),
            payment_method: p.payment_method.clone(),
            status: p.status.clone(),
            paid_at: p.paid_at.as_ref().map(timestamp),
            created_at: timestamp(&p.created_at),
        }
    }
}

/// A new payment (`POST`), or the whole of one (`PUT`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct PaymentWrite {
    #[schema(schema_with = crate::rest::repr::id_input_schema)]
    pub order_id: i64,
    #[schema(schema_with = crate::rest::repr::decimal_input_schema)]
    pub amount: String,
    #[schema(min_length = 1, max_length = 50, example = "PayPal")]
    pub payment_method: String,
    /// Defaults to `pending`.
    #[schema(schema_with = status_schema)]
    pub status: Option<String>,
    /// When it was paid (updates only; becoming `completed` sets it to now unless given).
    #[schema(format = DateTime)]
    pub paid_at: Option<String>,
}

/// A partial change (`PATCH`): any of the fields of `PaymentWrite`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct PaymentPatch {
    #[schema(schema_with = crate::rest::repr::id_input_schema)]
    pub order_id: Option<i64>,
    #[schema(schema_with = crate::rest::repr::decimal_input_schema)]
    pub amount: Option<String>,
    #[schema(min_length = 1, max_length = 50)]
    pub payment_method: Option<String>,
    #[schema(schema_with = status_schema)]
    pub status: Option<String>,
    #[schema(format = DateTime)]
    pub paid_at: Option<String>,
}

/// Renders payments, naming their orders with one statement per table.
/// On any connection: the pool, a request's `Reads`, or a write's transaction (the stored
/// answer of an idempotency key).
pub async fn represent<C: ConnectionTrait>(
    db: &C,
    payments: Vec<payment::Model>,
) -> AppResult<Vec<Payment>> {
    if payments.is_empty() {
        return Ok(Vec::new());
    }
    let orders = orders_by_id(db, &distinct_ids(payments.iter().map(|p| p.order_id))).await?;
    let usernames =
        usernames_by_id(db, &distinct_ids(orders.values().map(|o| o.customer_id))).await?;
    payments
        .into_iter()
        .map(|p| {
            let order = orders
                .get(&p.order_id)
                .ok_or_else(|| missing("order", p.order_id))?;
            let username = usernames
                .get(&order.customer_id)
                .ok_or_else(|| missing("user", order.customer_id))?;
            let nested = OrderPayment::of(&p);
            Ok(Payment {
                id: nested.id,
                order: format!("Order #{} - {username}", order.id),
                amount: nested.amount,
                payment_method: nested.payment_method,
                status: nested.status,
                paid_at: nested.paid_at,
                created_at: nested.created_at,
            })
        })
        .collect()
}

async fn represent_one(state: &AppState, payment: payment::Model) -> AppResult<Payment> {
    let id = payment.id;
    represent(&state.db, vec![payment])
        .await?
        .pop()
        .ok_or_else(|| missing("payment", id))
}

/// django-filter's `?id=&order=&status=`.
async fn filter(
    state: &AppState,
    access: &Access,
    query: &QueryParams,
) -> AppResult<PaymentFilter> {
    let mut errors = FieldErrors::new();
    let id = query.number("id", &mut errors);
    let order = query.model_choice("order", &mut errors);
    let status = query.choice::<PaymentStatus>("status", &mut errors);
    if let Some(o) = order
        && get_order(&state.db, access, o).await?.is_none()
    {
        unavailable_choice("order", &mut errors);
    }
    errors.into_result()?;
    Ok(PaymentFilter {
        id,
        order: order.map(IntFilter::eq),
        status: status.map(|s| PaymentStatusFilter {
            eq: Some(s),
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// The list, newest first: a bare array, or a page (see `rest::pagination`).
#[utoipa::path(
    method(get, head),
    path = "/api/erp/oms/payments/",
    tag = "payments",
    operation_id = "payments_list",
    params(
        ("id" = Option<i64>, Query, description = "Only the payment of this id."),
        ("order" = Option<i64>, Query, description = "Only the payments of this order."),
        ("status" = Option<String>, Query, description = "Only payments in this status (pending, completed, failed, refunded)."),
        pagination::PageQuery,
    ),
    responses(
        (status = 200, description = "The payments: a bare array, or a page when one is asked for", body = pagination::Listing<Payment>),
        (status = 400, description = "A filter with a bad value", body = crate::rest::openapi::FieldErrorsBody),
        (status = 401, description = "No or bad credentials", body = crate::rest::openapi::Detail),
        (status = 404, description = "Invalid page.", body = crate::rest::openapi::Detail),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthState,
    url: RequestUrl,
) -> AppResult<Response> {
    let access = Access::new(auth, &state.settings);
    access.read_scope()?;
    let filter = filter(&state, &access, &url.query).await?;
    let plan = pagination::plan(&url.query, state.settings.rest_page_size);
    let (state, access, filter) = (&state, &access, &filter);
    pagination::respond(
        plan,
        &url,
        async || service::count_payments(&state.db, access, Some(filter)).await,
        async |window| {
            let rows = service::all_payments(state, access, Some(filter), window).await?;
            represent(&state.db, rows).await
        },
    )
    .await
}

/// Records a payment on an order (201).
#[utoipa::path(
    post,
    path = "/api/erp/oms/payments/",
    tag = "payments",
    operation_id = "payments_create",
    request_body = PaymentWrite,
    responses(
        (status = 201, description = "The new payment", body = Payment),
        (status = 400, description = "Field errors, all at once", body = crate::rest::openapi::FieldErrorsBody),
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
    let new = new_payment(&body)?;
    let (order_id, mut face_errors) = (new.order_id, new.errors.clone());
    let outcome =
        service::create_payment_keyed(&state, &access, new, key.as_ref(), async |txn, created| {
            let shown = represent(txn, vec![created.clone()]).await?;
            Ok(Some(idempotency::body_of(&shown, "payment", created.id)?))
        })
        .await;
    let outcome = match outcome {
        // a body id names no order the caller may see: DRF's 400 under that field
        Err(AppError::NotFound("Order")) => {
            let id = order_id.map(|id| id.to_string()).unwrap_or_default();
            face_errors.add_field("order_id", Problem::DoesNotExist(id));
            return Err(AppError::Validation(face_errors));
        }
        other => other?,
    };
    idempotency::respond(outcome, async |id| {
        let found = service::get_payment(&state.db, &access, id)
            .await?
            .ok_or(AppError::NotFound("Payment"))?;
        idempotency::body_of(&represent(&state.db, vec![found]).await?, "payment", id)
    })
    .await
}

/// One payment.
#[utoipa::path(
    method(get, head),
    path = "/api/erp/oms/payments/{id}/",
    tag = "payments",
    operation_id = "payments_retrieve",
    params(("id" = i64, Path, description = "The payment's id")),
    responses(
        (status = 200, description = "The payment", body = Payment),
        (status = 401, description = "No or bad credentials", body = crate::rest::openapi::Detail),
        (status = 404, description = "No such payment, or not the caller's", body = crate::rest::openapi::Detail),
    )
)]
pub async fn retrieve(
    State(state): State<AppState>,
    auth: AuthState,
    id: ItemId,
) -> AppResult<Response> {
    let access = Access::new(auth, &state.settings);
    let id = id.read(&access, "Payment")?;
    let found = service::get_payment(&state.db, &access, id)
        .await?
        .ok_or(AppError::NotFound("Payment"))?;
    Ok(Json(represent_one(&state, found).await?).into_response())
}

/// Replaces a payment (DRF's full update): `order_id`, `amount` and `payment_method` required.
#[utoipa::path(
    put,
    path = "/api/erp/oms/payments/{id}/",
    tag = "payments",
    operation_id = "payments_update",
    params(("id" = i64, Path, description = "The payment's id")),
    request_body = PaymentWrite,
    responses(
        (status = 200, description = "The payment as changed", body = Payment),
        (status = 400, description = "Field errors, or an illegal status change", body = crate::rest::openapi::FieldErrorsBody),
        (status = 401, description = "No or bad credentials", body = crate::rest::openapi::Detail),
        (status = 403, description = "Not allowed for the caller's role", body = crate::rest::openapi::Detail),
        (status = 404, description = "No such payment, or not the caller's", body = crate::rest::openapi::Detail),
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

/// Changes some fields of a payment.
#[utoipa::path(
    patch,
    path = "/api/erp/oms/payments/{id}/",
    tag = "payments",
    operation_id = "payments_partial_update",
    params(("id" = i64, Path, description = "The payment's id")),
    request_body = PaymentPatch,
    responses(
        (status = 200, description = "The payment as changed", body = Payment),
        (status = 400, description = "Field errors, or an illegal status change", body = crate::rest::openapi::FieldErrorsBody),
        (status = 401, description = "No or bad credentials", body = crate::rest::openapi::Detail),
        (status = 403, description = "Not allowed for the caller's role", body = crate::rest::openapi::Detail),
        (status = 404, description = "No such payment, or not the caller's", body = crate::rest::openapi::Detail),
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
    let id = id.write(&access, "Payment")?;
    let body = match body {
        Ok(DrfBody(body)) => body,
        Err(unreadable) => {
            // DRF finds the object before it reads the body
            service::get_payment(&state.db, &access, id)
                .await?
                .ok_or(AppError::NotFound("Payment"))?;
            return Err(unreadable);
        }
    };
    let updated =
        service::update_payment(&state, &access, id, payment_change(&body, partial)?).await?;
    Ok(Json(represent_one(&state, updated).await?).into_response())
}

/// Deletes a payment (204).
#[utoipa::path(
    delete,
    path = "/api/erp/oms/payments/{id}/",
    tag = "payments",
    operation_id = "payments_destroy",
    params(("id" = i64, Path, description = "The payment's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or bad credentials", body = crate::rest::openapi::Detail),
        (status = 403, description = "Not allowed for the caller's role", body = crate::rest::openapi::Detail),
        (status = 404, description = "No such payment, or not the caller's", body = crate::rest::openapi::Detail),
    )
)]
pub async fn destroy(
    State(state): State<AppState>,
    auth: AuthState,
    id: ItemId,
) -> AppResult<Response> {
    let access = Access::new(auth, &state.settings);
    let id = id.write(&access, "Payment")?;
    service::delete_payment(&state, &access, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A `POST` body as DRF's payment serializer reads it. `paid_at` is the domain's to set on
/// creation (when the payment is completed).
fn new_payment(body: &Value) -> AppResult<NewPayment> {
    let mut errors = FieldErrors::new();
    let mut new = NewPayment::default();
    let form = Form::root(body, false)?;
    new.order_id = form.pk("order_id", true, &mut errors);
    new.amount = form.decimal("amount", true, &mut errors);
    new.payment_method = form.text("payment_method", true, &mut errors);
    new.status = form.choice("status", false, &mut errors);
    new.errors = errors;
    Ok(new)
}

/// A `PUT` (`partial: false`) or `PATCH` body. A null `paid_at` leaves it as it is (the
/// domain keeps `paid_at` of a completed payment).
fn payment_change(body: &Value, partial: bool) -> AppResult<PaymentChange> {
    let mut errors = FieldErrors::new();
    let mut change = PaymentChange::default();
    let form = Form::root(body, partial)?;
    change.order_id = form.pk("order_id", true, &mut errors);
    change.amount = form.decimal("amount", true, &mut errors);
    change.payment_method = form.text("payment_method", true, &mut errors);
    change.status = form.choice("status", false, &mut errors);
    change.paid_at = form.nullable_datetime("paid_at", &mut errors).flatten();
    change.errors = errors;
    Ok(change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::errors::field_map;
    use serde_json::json;

    #[test]
    fn documented_body_reads_exactly() {
        let new = new_payment(&json!({
            "order_id": 1, "amount": 999.99, "payment_method": "PayPal", "status": "pending"
        }))
        .unwrap();
        assert!(new.errors.is_empty());
        assert_eq!(new.amount, Some(rust_decimal::Decimal::new(99_999, 2)));
        assert_eq!(new.payment_method.as_deref(), Some("PayPal"));
        assert_eq!(new.status, Some(PaymentStatus::Pending));
    }

    #[test]
    fn type_errors_at_once() {
        let new = new_payment(&json!({"amount": "lots", "payment_method": [], "status": "bogus"}))
            .unwrap();
        assert_eq!(
            field_map(&new.errors),
            json!({
                "amount": ["A valid number is required."],
                "order_id": ["This field is required."],
                "payment_method": ["Not a valid string."],
                "status": ["\"bogus\" is not a valid choice."],
            })
        );
        let patch =
            payment_change(&json!({"status": "completed", "paid_at": "noon"}), true).unwrap();
        assert_eq!(
            field_map(&patch.errors),
            json!({"paid_at": ["Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."]})
        );
    }
}
