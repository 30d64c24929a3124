//! `paymentsAggregate`: the count and the totals of the payments the caller may see that match
//! a filter, overall and per status, method, customer, or UTC day or month of creation, in one
//! statement
//! (the scope and filter of the `payments` list; the arithmetic in `crate::aggregate`).

use async_graphql::Enum;
use entity::payment;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::Expr;

use crate::aggregate::{Aggregation, aggregate_by, utc_day, utc_month};
use crate::auth::Access;
use crate::error::AppResult;
use crate::payments::filter::PaymentFilter;
use crate::payments::service::visible;

/// What payments are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum PaymentGroupBy {
    Status,
    PaymentMethod,
    /// The user id of the customer whose order the payment pays.
    Customer,
    /// The UTC day of `createdAt` (`YYYY-MM-DD`).
    CreatedDay,
    /// The UTC month of `createdAt` (`YYYY-MM`).
    CreatedMonth,
}

fn col(c: payment::Column) -> Expr {
    Expr::col((payment::Entity, c))
}

/// The customer of the payment's order, as a correlated subquery (its own alias, so it reads
/// the same whether or not the caller's scope already joined the orders).
fn order_customer() -> Expr {
    Expr::cust(
        r#"(SELECT "payment_order"."customer_id" FROM "oms_order" AS "payment_order" WHERE "payment_order"."id" = "oms_payment"."order_id")"#,
    )
}

/// Counts and totals (`amount`) of the visible payments matching `filter`, grouped by
/// `group_by` (each key once; returned with the aggregation, in the order of its group keys).
pub async fn aggregate_payments<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    filter: Option<&PaymentFilter>,
    group_by: &[PaymentGroupBy],
) -> AppResult<(Vec<PaymentGroupBy>, Aggregation)> {
    let rows = visible(access, filter)?;
    let amount = col(payment::Column::Amount);
    aggregate_by(db, rows, amount, group_by, |g, backend| match g {
        PaymentGroupBy::Status => col(payment::Column::Status),
        PaymentGroupBy::PaymentMethod => col(payment::Column::PaymentMethod),
        PaymentGroupBy::Customer => order_customer(),
        PaymentGroupBy::CreatedDay => utc_day(backend, col(payment::Column::CreatedAt)),
        PaymentGroupBy::CreatedMonth => utc_month(backend, col(payment::Column::CreatedAt)),
    })
    .await
}
