//! Changing and deleting orders (CONTRACT §6 and §7): each in one transaction on the order's
//! locked row, its event announced with the commit. Cancelling or deleting an order that
//! holds stock puts its units back.

use entity::{order, order_item, payment, stock, user};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect,
};

use crate::auth::{Access, policy};
use crate::db::begin_write;
use crate::error::{AppError, AppResult, FieldErrors, FieldPath, Problem};
use crate::events::{ChangeKind, Event};
use crate::orders::service::{items_by_order, scope_condition};
use crate::orders::status::OrderStatus;
use crate::state::AppState;
use crate::time;

/// An item as a client may send it back in an update (ignored when equal to the stored one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EchoedItem {
    pub product_id: Option<i64>,
    pub quantity: Option<i64>,
    pub price: Option<Decimal>,
    /// `Some(None)`: sent as null.
    pub stock_id: Option<Option<i64>>,
}

/// A change to an order: only status and customer may change once it exists.
#[derive(Debug, Clone, Default)]
pub struct OrderChange {
    pub status: Option<OrderStatus>,
    pub customer_id: Option<i64>,
    /// The items as sent back by the client (REST), if at all.
    pub items: Option<Vec<EchoedItem>>,
    pub errors: FieldErrors,
}

/// Puts the units of these items back into their stock rows.
async fn return_stock(txn: &DatabaseTransaction, items: &[order_item::Model]) -> AppResult<()> {
    let now = time::now();
    let mut backs: Vec<(i64, i32)> = items
        .iter()
        .filter_map(|i| i.stock_id.map(|s| (s, i.quantity)))
        .collect();
    backs.sort_unstable();
    for (stock_id, quantity) in backs {
        stock::Entity::update_many()
            .col_expr(
                stock::Column::Quantity,
                Expr::col(stock::Column::Quantity).add(quantity),
            )
            .col_expr(stock::Column::UpdatedAt, Expr::val(now))
            .filter(stock::Column::Id.eq(stock_id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// The order, locked for the rest of the transaction (PostgreSQL; SQLite's write transaction
/// already excludes other writers), with its status, if the caller may see it.
async fn lock_visible(
    txn: &DatabaseTransaction,
    access: &Access,
    id: i64,
) -> AppResult<(order::Model, OrderStatus)> {
    let scope = access.read_scope()?;
    let mut select = scope_condition(order::Entity::find_by_id(id), scope);
    if txn.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    let found = select.one(txn).await?.ok_or(AppError::NotFound("Order"))?;
    let status = found.status.parse().map_err(|_| {
        AppError::internal(anyhow::anyhow!("order {} has an unknown status", found.id))
    })?;
    Ok((found, status))
}

async fn items_of(txn: &DatabaseTransaction, id: i64) -> AppResult<Vec<order_item::Model>> {
    Ok(items_by_order(txn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default())
}

/// Changes status and/or customer. The caller's role is checked before the legality of the
/// change; cancelling puts the units back in stock; the items of an order never change.
pub async fn update_order(
    state: &AppState,
    access: &Access,
    id: i64,
    change: OrderChange,
) -> AppResult<order::Model> {
    let caller_id = access.user()?.id;
    let txn = begin_write(&state.db).await?;
    let (current, from) = lock_visible(&txn, access, id).await?;
    let mut errors = change.errors;
    policy::may_change_order(
        access,
        current.customer_id,
        from,
        change.customer_id,
        change.status,
    )?;
    if let Some(to) = change.status
        && !from.can_become(to)
    {
        return Err(AppError::conflict_on(
            FieldPath::field("status"),
            format!("An order cannot go from {from} to {to}."),
        ));
    }
    let items = items_of(&txn, id).await?;
    if let Some(echoed) = &change.items
        && !same_items(echoed, &items)
    {
        errors.add_field(
            "items",
            Problem::Rule("The items of an existing order cannot be changed.".into()),
        );
    }
    if let Some(c) = change.customer_id
        && c != current.customer_id
        && c != caller_id
        && user::Entity::find_by_id(c).one(&txn).await?.is_none()
    {
        errors.add_field("customer_id", Problem::DoesNotExist(c.to_string()));
    }
    errors.into_result()?;

    let to = change.status.unwrap_or(from);
    let customer_id = change.customer_id.unwrap_or(current.customer_id);
    if to == from && customer_id == current.customer_id {
        return Ok(current);
    }
    if from.holds_stock() && !to.holds_stock() {
        return_stock(&txn, &items).await?;
    }
    let updated_at = time::now();
    order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::val(to.as_str()))
        .col_expr(order::Column::CustomerId, Expr::val(customer_id))
        .col_expr(order::Column::UpdatedAt, Expr::val(updated_at))
        .filter(order::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let updated = order::Model {
        status: to.as_str().to_owned(),
        customer_id,
        updated_at,
        ..current.clone()
    };
    let mut events = Vec::with_capacity(2);
    if customer_id != current.customer_id {
        // subscribers of the former customer learn that the order left them
        events.push(Event::Order {
            kind: ChangeKind::Updated,
            order_id: id,
            customer_id: current.customer_id,
        });
    }
    events.push(Event::Order {
        kind: ChangeKind::Updated,
        order_id: id,
        customer_id,
    });
    state.events.commit(txn, &events).await?;
    Ok(updated)
}

/// Whether the items a client sent back are the order's own (order of lines aside; a price or
/// stock left out matches anything).
fn same_items(echoed: &[EchoedItem], stored: &[order_item::Model]) -> bool {
    if echoed.len() != stored.len() {
        return false;
    }
    echoed.iter().all(|e| {
        stored.iter().any(|s| {
            e.product_id == Some(s.product_id)
                && e.quantity == Some(s.quantity as i64)
                && e.price.is_none_or(|p| p == s.price.0)
                && e.stock_id.is_none_or(|sid| sid == s.stock_id)
        })
    })
}

/// Deletes an order with its items and payments in one transaction; an order that has not
/// shipped (and is not cancelled) gives its units back first. Staff only.
pub async fn delete_order(state: &AppState, access: &Access, id: i64) -> AppResult<()> {
    access.user()?;
    let txn = begin_write(&state.db).await?;
    let (current, status) = lock_visible(&txn, access, id).await?;
    policy::may_delete_order(access)?;
    let items = items_of(&txn, id).await?;
    if status.holds_stock() && !status.has_shipped() {
        return_stock(&txn, &items).await?;
    }
    let payment_ids: Vec<i64> = payment::Entity::find()
        .select_only()
        .column(payment::Column::Id)
        .filter(payment::Column::OrderId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?;
    payment::Entity::delete_many()
        .filter(payment::Column::OrderId.eq(id))
        .exec(&txn)
        .await?;
    order_item::Entity::delete_many()
        .filter(order_item::Column::OrderId.eq(id))
        .exec(&txn)
        .await?;
    order::Entity::delete_by_id(id).exec(&txn).await?;
    let mut events: Vec<Event> = payment_ids
        .into_iter()
        .map(|payment_id| Event::Payment {
            kind: ChangeKind::Deleted,
            payment_id,
            order_id: id,
            customer_id: current.customer_id,
        })
        .collect();
    events.push(Event::Order {
        kind: ChangeKind::Deleted,
        order_id: id,
        customer_id: current.customer_id,
    });
    state.events.commit(txn, &events).await?;
    Ok(())
}
