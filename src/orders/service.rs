//! Every rule of orders (CONTRACT §6 and §7), for GraphQL and REST alike: the reads here, the
//! writes in `placing` (a new order, checked by `check`) and `changing` (updates, deletes),
//! re-exported so that callers find them all in one place.

use std::sync::LazyLock;

use entity::{order, order_item, user};
use rust_decimal::Decimal;
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QueryTrait,
    Select,
};

use crate::auth::policy::Caller;
use crate::auth::riding;
use crate::auth::{Access, ReadScope};
use crate::db::shapes::Shapes;
use crate::db::{IdMap, all_positional, first_positional};
use crate::error::AppResult;
use crate::listing::{self, Page, PageRequest, Rows, Window};
use crate::orders::filter::{self, OrderFilter, OrderSort};
use crate::orders::graph::{OrderGraph, Wants};

pub use crate::orders::changing::{EchoedItem, OrderChange, delete_order, update_order};
pub use crate::orders::check::{NewItem, NewOrder};
pub use crate::orders::placing::{create_order, create_order_keyed};

/// The condition an order of the scope meets (`None`: every order).
pub(crate) fn scope_filter(scope: ReadScope) -> Option<SimpleExpr> {
    match scope {
        ReadScope::All => None,
        ReadScope::Customer(id) => Some(order::Column::CustomerId.eq(id)),
    }
}

/// Orders of the scope, filtered.
pub(crate) fn scope_condition(
    select: Select<order::Entity>,
    scope: ReadScope,
) -> Select<order::Entity> {
    match scope_filter(scope) {
        None => select,
        Some(condition) => select.filter(condition),
    }
}

pub(crate) fn visible(
    access: &Access,
    filter: Option<&OrderFilter>,
) -> AppResult<Select<order::Entity>> {
    Ok(visible_in(access.read_scope()?, filter))
}

/// The orders of `scope`, filtered.
fn visible_in(scope: ReadScope, filter: Option<&OrderFilter>) -> Select<order::Entity> {
    let select = scope_condition(order::Entity::find(), scope);
    match filter {
        Some(f) => select.filter(f.condition()),
        None => select,
    }
}

/// An item's price x quantity.
pub fn subtotal(item: &order_item::Model) -> Decimal {
    item.price.0 * Decimal::from(item.quantity)
}

/// The order, if the caller may see it (otherwise `None`: whether it exists is not revealed).
pub async fn get_order<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    id: i64,
) -> AppResult<Option<order::Model>> {
    let scope = access.read_scope()?;
    // a REST order and a GraphQL `order` start here: the SQL is built once per scope kind
    // (keyed by whether the scope is one customer's)
    static BY_ID: LazyLock<Shapes<bool>> = LazyLock::new(Shapes::default);
    let backend = db.get_database_backend();
    let customer = scope.customer();
    let statement = BY_ID
        .statement(
            backend,
            customer.is_some(),
            &[&[id], customer.as_slice()],
            |ids| {
                let scope = ReadScope::of_customer(ids[1].first().copied());
                // no LIMIT (bound as a value): the primary key finds one row at most
                Some(scope_condition(order::Entity::find_by_id(ids[0][0]), scope).build(backend))
            },
        )
        .expect("a lookup by id always makes a statement");
    Ok(first_positional(db, statement).await?)
}

/// The order, if the caller may see it, with the relations `wants` asks for, read by the same
/// statement, which looks a pending caller up too (a GraphQL `order`, a REST order; see
/// `auth::riding`).
pub async fn get_order_with<C: ConnectionTrait>(
    db: &C,
    caller: Caller<'_>,
    id: i64,
    wants: Wants,
) -> AppResult<Option<(order::Model, OrderGraph)>> {
    riding::read_as(db, caller, |scope, lookup| {
        OrderGraph::load_order(db, id, scope, wants, lookup)
    })
    .await
}

/// The orders of `ids` that the caller may see, in one statement: one they may not see is
/// absent, as one that does not exist (`node`/`nodes` of GraphQL).
pub async fn visible_orders<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    ids: &[i64],
) -> AppResult<IdMap<order::Model>> {
    let scope = access.read_scope()?;
    if ids.is_empty() {
        return Ok(IdMap::default());
    }
    let select = order::Entity::find().filter(order::Column::Id.is_in(ids.iter().copied()));
    let rows = all_positional(db, scope_condition(select, scope)).await?;
    Ok(rows.into_iter().map(|o| (o.id, o)).collect())
}

/// Orders by id, whoever may see them (for loaders and event payloads, whose callers checked).
pub async fn orders_by_id<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<IdMap<order::Model>> {
    if ids.is_empty() {
        return Ok(IdMap::default());
    }
    let select = order::Entity::find().filter(order::Column::Id.is_in(ids.iter().copied()));
    let rows = all_positional(db, select).await?;
    Ok(rows.into_iter().map(|o| (o.id, o)).collect())
}

/// Items of each order, in id order, in one statement; every asked order gets an entry.
pub async fn items_by_order<C: ConnectionTrait>(
    db: &C,
    order_ids: &[i64],
) -> AppResult<IdMap<Vec<order_item::Model>>> {
    let mut map: IdMap<Vec<order_item::Model>> =
        order_ids.iter().map(|id| (*id, Vec::new())).collect();
    if order_ids.is_empty() {
        return Ok(map);
    }
    let rows = order_item::Entity::find()
        .filter(order_item::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(order_item::Column::OrderId)
        .order_by_asc(order_item::Column::Id)
        .all(db)
        .await?;
    for r in rows {
        map.entry(r.order_id).or_default().push(r);
    }
    Ok(map)
}

/// One page of the orders the caller may see, with the relations `wants` asks for, read by
/// the page's own statement (`OrderGraph::load_page`; the rarer stock products and categories
/// one more each), which looks a pending caller up too (`auth::riding`).
pub async fn list_orders_with<C: ConnectionTrait>(
    db: &C,
    caller: Caller<'_>,
    filter: Option<&OrderFilter>,
    order_by: &[OrderSort],
    page: &PageRequest,
    wants: Wants,
) -> AppResult<(Page<order::Model>, OrderGraph)> {
    let sort = &filter::sort(order_by);
    let keys = |o: &order::Model| filter::key_values(sort, o);
    riding::read_as(db, caller, |scope, lookup| async move {
        let select = visible_in(scope, filter);
        let read = move |select, span| async move {
            let ((orders, graph), lookup) =
                OrderGraph::load_page(db, select, span, wants, lookup).await?;
            Ok((orders, (graph, lookup)))
        };
        let (found, (graph, lookup)) =
            listing::fetch_page_with(db, select, sort, page, keys, Rows::AnyOrder, read).await?;
        Ok(((found, graph), lookup))
    })
    .await
}

/// How many orders the caller may see match the filter.
pub async fn count_orders<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    filter: Option<&OrderFilter>,
) -> AppResult<u64> {
    Ok(visible(access, filter)?.count(db).await?)
}

/// Whether the caller may filter orders by this customer (the REST `?customer=` choice): any
/// existing user for those who see every order, only themselves for a customer.
pub async fn visible_customer<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    customer_id: i64,
) -> AppResult<bool> {
    match access.read_scope()? {
        ReadScope::All => Ok(user::Entity::find_by_id(customer_id).count(db).await? > 0),
        ReadScope::Customer(id) => Ok(id == customer_id),
    }
}

/// The matching orders the caller may see, newest first, in one window (a DRF page by
/// offset, or a chunk of a streamed list below an id: see `listing::Window`), with the
/// relations `wants` asks for, read by the same statement, which looks a pending caller up
/// too (`auth::riding`).
pub async fn all_orders_with<C: ConnectionTrait>(
    db: &C,
    caller: Caller<'_>,
    filter: Option<&OrderFilter>,
    window: Window,
    wants: Wants,
) -> AppResult<(Vec<order::Model>, OrderGraph)> {
    riding::read_as(db, caller, |scope, lookup| async move {
        let (select, span) = window.cut(visible_in(scope, filter), order::Column::Id);
        let ((mut orders, graph), lookup) =
            OrderGraph::load_page(db, select, span, wants, lookup).await?;
        Window::sort(&mut orders, |o| o.id);
        Ok(((orders, graph), lookup))
    })
    .await
}
