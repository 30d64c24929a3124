//! How the REST face shows payments on their own (OMS.md); nested in their order, they are
//! `orders::rest`'s `OrderPayment`.

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

pub(super) fn status_schema() -> RefOr<Schema> {
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
            Ok(Payment {
                id: p.id,
                order: format!("Order #{} - {username}", order.id),
                amount: money(p.amount),
                payment_method: p.payment_method,
                status: p.status,
                paid_at: p.paid_at.as_ref().map(timestamp),
                created_at: timestamp(&p.created_at),
            })
        })
        .collect()
}
