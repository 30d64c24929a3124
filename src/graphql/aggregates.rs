//! The GraphQL face of the aggregates: `ordersAggregate` and `paymentsAggregate`, over the
//! domain's `orders::aggregate` and `payments::aggregate` (scope, filter and arithmetic there).

use async_graphql::{Context, Object, OutputType, SimpleObject};
use rust_decimal::Decimal;

use crate::aggregate::{Aggregation, Totals};
use crate::error::AppResult;
use crate::graphql::context::ContextExt;
use crate::orders::aggregate::{OrderGroupBy, aggregate_orders};
use crate::orders::filter::OrderFilter;
use crate::orders::status::OrderStatus;
use crate::payments::aggregate::{PaymentGroupBy, aggregate_payments};
use crate::payments::filter::PaymentFilter;
use crate::payments::status::PaymentStatus;
use crate::scalars::Dec;

/// An order total: null over no orders.
#[derive(SimpleObject)]
pub struct OrderAmounts {
    pub total_amount: Option<Dec>,
}

/// A payment amount: null over no payments.
#[derive(SimpleObject)]
pub struct PaymentAmounts {
    pub amount: Option<Dec>,
}

/// What a group's orders have in common: the keys of `groupBy` are set, the others null.
#[derive(SimpleObject, Default)]
pub struct OrderGroupKey {
    pub status: Option<OrderStatus>,
    /// The customer's user id.
    pub customer: Option<i64>,
    /// The UTC day of `createdAt`, `YYYY-MM-DD`.
    pub day: Option<String>,
    /// The UTC month of `createdAt`, `YYYY-MM`.
    pub month: Option<String>,
}

/// What a group's payments have in common: the keys of `groupBy` are set, the others null.
#[derive(SimpleObject, Default)]
pub struct PaymentGroupKey {
    pub status: Option<PaymentStatus>,
    pub payment_method: Option<String>,
    /// The user id of the customer whose order the payment pays.
    pub customer: Option<i64>,
    /// The UTC day of `createdAt`, `YYYY-MM-DD`.
    pub day: Option<String>,
    /// The UTC month of `createdAt`, `YYYY-MM`.
    pub month: Option<String>,
}

/// One group's count and amounts.
#[derive(SimpleObject)]
#[graphql(concrete(name = "OrderGroup", params(OrderGroupKey, OrderAmounts)))]
#[graphql(concrete(name = "PaymentGroup", params(PaymentGroupKey, PaymentAmounts)))]
pub struct GroupOf<K: OutputType, A: OutputType> {
    pub key: K,
    pub count: u64,
    /// Exact sum.
    pub sum: A,
    /// The exact sum divided by the count, rounded to 2 decimal places half away from zero.
    pub avg: A,
    pub min: A,
    pub max: A,
}

/// The count and amounts of every matching row, and of each group when `groupBy` is given
/// (ordered by key; no groups without `groupBy`).
#[derive(SimpleObject)]
#[graphql(concrete(name = "OrdersAggregate", params(OrderGroupKey, OrderAmounts)))]
#[graphql(concrete(name = "PaymentsAggregate", params(PaymentGroupKey, PaymentAmounts)))]
pub struct AggregateOf<K: OutputType, A: OutputType>
where
    GroupOf<K, A>: OutputType,
{
    pub count: u64,
    /// Exact sum.
    pub sum: A,
    /// The exact sum divided by the count, rounded to 2 decimal places half away from zero.
    pub avg: A,
    pub min: A,
    pub max: A,
    pub groups: Vec<GroupOf<K, A>>,
}

fn group<K: OutputType, A: OutputType>(
    key: K,
    t: &Totals,
    amounts: fn(Option<Decimal>) -> A,
) -> GroupOf<K, A> {
    let a = t.amounts;
    GroupOf {
        key,
        count: t.count,
        sum: amounts(a.sum),
        avg: amounts(a.avg),
        min: amounts(a.min),
        max: amounts(a.max),
    }
}

/// The answer of an aggregation; `key` turns a group's key texts into the key object.
fn answer<K: OutputType, A: OutputType>(
    aggregation: Aggregation,
    key: impl Fn(&[Option<String>]) -> K,
    amounts: fn(Option<Decimal>) -> A,
) -> AggregateOf<K, A>
where
    GroupOf<K, A>: OutputType,
{
    let t = aggregation.totals;
    AggregateOf {
        count: t.count,
        sum: amounts(t.amounts.sum),
        avg: amounts(t.amounts.avg),
        min: amounts(t.amounts.min),
        max: amounts(t.amounts.max),
        groups: aggregation
            .groups
            .iter()
            .map(|g| group(key(&g.key), &g.totals, amounts))
            .collect(),
    }
}

#[derive(Default)]
pub struct AggregatesQuery;

#[Object]
impl AggregatesQuery {
    /// Count, sum, average, minimum and maximum of `totalAmount` over the orders the caller may
    /// see that match `filter` (as `orders`: a customer aggregates only their own orders), and
    /// per group when `groupBy` is given (days and months in UTC). One SQL statement. Sums are
    /// exact; `avg` is rounded to 2 decimal places half away from zero; the amounts are null
    /// when no order matches.
    async fn orders_aggregate(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrderFilter>,
        group_by: Option<Vec<OrderGroupBy>>,
    ) -> AppResult<AggregateOf<OrderGroupKey, OrderAmounts>> {
        let group_by = group_by.unwrap_or_default();
        let (keys, aggregation) =
            aggregate_orders(ctx.db(), ctx.access(), filter.as_ref(), &group_by).await?;
        let key = |values: &[Option<String>]| {
            let mut k = OrderGroupKey::default();
            for (g, v) in keys.iter().zip(values.iter().cloned()) {
                match g {
                    OrderGroupBy::Status => k.status = v.and_then(|s| s.parse().ok()),
                    OrderGroupBy::Customer => k.customer = v.and_then(|s| s.parse().ok()),
                    OrderGroupBy::CreatedDay => k.day = v,
                    OrderGroupBy::CreatedMonth => k.month = v,
                }
            }
            k
        };
        Ok(answer(aggregation, key, |d| OrderAmounts {
            total_amount: d.map(Dec),
        }))
    }

    /// Count, sum, average, minimum and maximum of `amount` over the payments the caller may
    /// see that match `filter` (as `payments`), and per group when `groupBy` is given (days and
    /// months in UTC). One SQL statement. Sums are exact; `avg` is rounded to 2 decimal places
    /// half away from zero; the amounts are null when no payment matches.
    async fn payments_aggregate(
        &self,
        ctx: &Context<'_>,
        filter: Option<PaymentFilter>,
        group_by: Option<Vec<PaymentGroupBy>>,
    ) -> AppResult<AggregateOf<PaymentGroupKey, PaymentAmounts>> {
        let group_by = group_by.unwrap_or_default();
        let (keys, aggregation) =
            aggregate_payments(ctx.db(), ctx.access(), filter.as_ref(), &group_by).await?;
        let key = |values: &[Option<String>]| {
            let mut k = PaymentGroupKey::default();
            for (g, v) in keys.iter().zip(values.iter().cloned()) {
                match g {
                    PaymentGroupBy::Status => k.status = v.and_then(|s| s.parse().ok()),
                    PaymentGroupBy::PaymentMethod => k.payment_method = v,
                    PaymentGroupBy::Customer => k.customer = v.and_then(|s| s.parse().ok()),
                    PaymentGroupBy::CreatedDay => k.day = v,
                    PaymentGroupBy::CreatedMonth => k.month = v,
                }
            }
            k
        };
        Ok(answer(aggregation, key, |d| PaymentAmounts {
            amount: d.map(Dec),
        }))
    }
}
