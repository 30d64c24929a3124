//! `ordersAggregate`: the count and the totals of the orders the caller may see that match a
//! filter, overall and per status, customer, or UTC day or month of creation, in one statement
//! (the scope and filter of the `orders` list; the arithmetic in `crate::aggregate`).

use async_graphql::Enum;
use entity::order;
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, QueryTrait};

use crate::aggregate::{self, Aggregation, as_text, distinct, utc_day, utc_month};
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
/// `group_by` in that order (a key given twice counts once). A group's key holds one text per
/// entry of the deduplicated `group_by`.
pub async fn aggregate_orders<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    filter: Option<&OrderFilter>,
    group_by: &[OrderGroupBy],
) -> AppResult<(Vec<OrderGroupBy>, Aggregation)> {
    let rows = visible(access, filter)?.into_query();
    let backend = db.get_database_backend();
    let keys = distinct(group_by);
    let groups: Vec<Expr> = keys
        .iter()
        .map(|g| match g {
            OrderGroupBy::Status => col(order::Column::Status),
            OrderGroupBy::Customer => as_text(backend, col(order::Column::CustomerId)),
            OrderGroupBy::CreatedDay => utc_day(backend, col(order::Column::CreatedAt)),
            OrderGroupBy::CreatedMonth => utc_month(backend, col(order::Column::CreatedAt)),
        })
        .collect();
    let aggregation =
        aggregate::aggregate(db, rows, col(order::Column::TotalAmount), &groups).await?;
    Ok((keys, aggregation))
}
