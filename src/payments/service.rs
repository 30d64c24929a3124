//! Every rule of payments (CONTRACT §6 and §7), for GraphQL and REST alike: the reads here, the
//! writes in `recording`, re-exported so that callers find them all in one place.

use entity::{order, payment};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Select,
};

use crate::auth::{Access, ReadScope};
use crate::db::{IdMap, all_positional};
use crate::error::AppResult;
use crate::listing::{self, Page, PageRequest, Window};
use crate::payments::filter::{self, PaymentFilter, PaymentSort};
use crate::payments::status::PaymentStatus;

pub use crate::payments::recording::{
    NewPayment, PaymentChange, create_payment, create_payment_keyed, delete_payment, update_payment,
};

/// Payments of orders the scope may see.
pub(crate) fn scoped(select: Select<payment::Entity>, scope: ReadScope) -> Select<payment::Entity> {
    match scope {
        ReadScope::All => select,
        ReadScope::Customer(id) => select
            .join(JoinType::InnerJoin, payment::Relation::Order.def())
            .filter(order::Column::CustomerId.eq(id)),
    }
}

pub(crate) fn visible(
    access: &Access,
    filter: Option<&PaymentFilter>,
) -> AppResult<Select<payment::Entity>> {
    let select = scoped(payment::Entity::find(), access.read_scope()?);
    Ok(match filter {
        Some(f) => select.filter(f.condition()),
        None => select,
    })
}

/// The payment, if the caller may see it. On any connection (the pool, a request's `Reads`, a
/// transaction), as the other reads here.
pub async fn get_payment<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    id: i64,
) -> AppResult<Option<payment::Model>> {
    let scope = access.read_scope()?;
    Ok(scoped(payment::Entity::find_by_id(id), scope)
        .one(db)
        .await?)
}

/// The payments of `ids` that the caller may see, in one statement: one they may not see is
/// absent, as one that does not exist (`node`/`nodes` of GraphQL).
pub async fn visible_payments<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    ids: &[i64],
) -> AppResult<IdMap<payment::Model>> {
    let scope = access.read_scope()?;
    if ids.is_empty() {
        return Ok(IdMap::default());
    }
    let select = payment::Entity::find().filter(payment::Column::Id.is_in(ids.iter().copied()));
    let rows = all_positional(db, scoped(select, scope)).await?;
    Ok(rows.into_iter().map(|p| (p.id, p)).collect())
}

/// Payments of each order, in id order, in one statement; every asked order gets an entry.
pub async fn payments_by_order<C: ConnectionTrait>(
    db: &C,
    order_ids: &[i64],
) -> AppResult<IdMap<Vec<payment::Model>>> {
    let mut map: IdMap<Vec<payment::Model>> =
        order_ids.iter().map(|id| (*id, Vec::new())).collect();
    if order_ids.is_empty() {
        return Ok(map);
    }
    let select = payment::Entity::find()
        .filter(payment::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(payment::Column::OrderId)
        .order_by_asc(payment::Column::Id);
    let rows = all_positional(db, select).await?;
    for r in rows {
        map.entry(r.order_id).or_default().push(r);
    }
    Ok(map)
}

/// An order's total minus its completed payments.
pub fn balance_due(total: Decimal, payments: &[payment::Model]) -> Decimal {
    total - amount_paid(payments)
}

/// Sum of the completed payments of an order.
pub fn amount_paid(payments: &[payment::Model]) -> Decimal {
    payments
        .iter()
        .filter(|p| p.status == PaymentStatus::Completed.as_str())
        .map(|p| p.amount.0)
        .sum()
}

/// One page of the payments the caller may see.
pub async fn list_payments<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    filter: Option<&PaymentFilter>,
    order_by: &[PaymentSort],
    page: &PageRequest,
) -> AppResult<Page<payment::Model>> {
    let select = visible(access, filter)?;
    let sort = filter::sort(order_by);
    listing::fetch_page(db, select, &sort, page, |p| filter::key_values(&sort, p)).await
}

/// How many payments the caller may see match the filter.
pub async fn count_payments<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    filter: Option<&PaymentFilter>,
) -> AppResult<u64> {
    Ok(visible(access, filter)?.count(db).await?)
}

/// The matching payments the caller may see, newest first, in one window (REST lists).
pub async fn all_payments<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    filter: Option<&PaymentFilter>,
    window: Window,
) -> AppResult<Vec<payment::Model>> {
    let select = window.apply(visible(access, filter)?, payment::Column::Id);
    Ok(all_positional(db, select).await?)
}
