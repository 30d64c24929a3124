//! How the REST face shows payments (OMS.md), nested in their order or on their own, and what
//! its write bodies hold (OpenAPI only).

use entity::payment;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::{RefOr, Schema};

use crate::auth::service::usernames_by_id;
use crate::db::distinct_ids;
use crate::error::AppResult;
use crate::orders::service::orders_by_id;
use crate::payments::status::PaymentStatus;
use crate::rest::repr::{missing, money, timestamp};

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
