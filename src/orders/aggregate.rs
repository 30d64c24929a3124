//! `ordersAggregate`: the count and the totals of the orders the caller may see that match a
//! filter, overall and per status, customer, or UTC day or month of creation, in one statement
//! (the scope and filter of the `orders` list; the arithmetic in `crate::aggregate`).

use async_graphql::Enum;
use entity::order;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::Expr;

use crate::aggregate::{Aggregation, aggregate_by, utc_day, utc_month};
use crate::auth::Access;
use crate::error::AppResult;
use crate::orders::filter::OrderFilter;
use crate::orders::service::visible;

/// What orders are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum OrderGroupBy {
    Status,
    /// The customer's user id.
    Customer,
    /// The UTC day of `createdAt` (`YYYY-MM-DD`).
    CreatedDay,
    /// The UTC month of `createdAt` (`YYYY-MM`).
    CreatedMonth,
}

fn col(c: order::Column) -> Expr {
    Expr::col((order::Entity, c))
}

/// Counts and totals (`total_amount`) of the visible orders matching `filter`, grouped by
/// `group_by` (each key once; returned with the aggregation, in the order of its group keys).
pub async fn aggregate_orders<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    filter: Option<&OrderFilter>,
    group_by: &[OrderGroupBy],
) -> AppResult<(Vec<OrderGroupBy>, Aggregation)> {
    let rows = visible(access, filter)?;
    let amount = col(order::Column::TotalAmount);
    aggregate_by(db, rows, amount, group_by, |g, backend| match g {
        OrderGroupBy::Status => col(order::Column::Status),
        OrderGroupBy::Customer => col(order::Column::CustomerId),
        OrderGroupBy::CreatedDay => utc_day(backend, col(order::Column::CreatedAt)),
        OrderGroupBy::CreatedMonth => utc_month(backend, col(order::Column::CreatedAt)),
    })
    .await
}
