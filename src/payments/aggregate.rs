//! `paymentsAggregate`: the count and the totals of the payments the caller may see that match
//! a filter, overall and per status, method, or UTC day or month of creation, in one statement
//! (the scope and filter of the `payments` list; the arithmetic in `crate::aggregate`).

use async_graphql::Enum;
use entity::payment;
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, QueryTrait};

use crate::aggregate::{self, Aggregation, distinct, utc_day, utc_month};
use crate::auth::Access;
use crate::error::AppResult;
use crate::payments::filter::PaymentFilter;
use crate::payments::service::visible;

/// What payments are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum PaymentGroupBy {
    Status,
    PaymentMethod,
    /// The UTC day of `createdAt` (`YYYY-MM-DD`).
    CreatedDay,
    /// The UTC month of `createdAt` (`YYYY-MM`).
    CreatedMonth,
}

fn col(c: payment::Column) -> Expr {
    Expr::col((payment::Entity, c))
}

/// Counts and totals (`amount`) of the visible payments matching `filter`, grouped by
/// `group_by` (deduplicated, returned with the aggregation).
pub async fn aggregate_payments<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    filter: Option<&PaymentFilter>,
    group_by: &[PaymentGroupBy],
) -> AppResult<(Vec<PaymentGroupBy>, Aggregation)> {
    let rows = visible(access, filter)?.into_query();
    let backend = db.get_database_backend();
    let keys = distinct(group_by);
    let groups: Vec<Expr> = keys
        .iter()
        .map(|g| match g {
            PaymentGroupBy::Status => col(payment::Column::Status),
            PaymentGroupBy::PaymentMethod => col(payment::Column::PaymentMethod),
            PaymentGroupBy::CreatedDay => utc_day(backend, col(payment::Column::CreatedAt)),
            PaymentGroupBy::CreatedMonth => utc_month(backend, col(payment::Column::CreatedAt)),
        })
        .collect();
    let aggregation = aggregate::aggregate(db, rows, col(payment::Column::Amount), &groups).await?;
    Ok((keys, aggregation))
}
