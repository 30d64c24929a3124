//! Every rule of orders (CONTRACT §6 and §7), for GraphQL and REST alike.
//!
//! Writes run in one transaction each and publish their event only after the commit. Stock is
//! taken with one guarded `UPDATE ... WHERE quantity >= n` per stock row (in id order, so
//! concurrent orders never deadlock), which refuses to go below zero however many orders race.

use std::collections::{HashMap, HashSet};

use entity::{Money, order, order_item, payment, product, stock, user};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Set,
};

use crate::auth::{Access, ReadScope};
use crate::catalog::service::stocks_by_id;
use crate::db::begin_write;
use crate::db::{all_positional, distinct_ids, one_positional};
use crate::error::{AppError, AppResult, FieldErrors, FieldPath, Problem};
use crate::events::{ChangeKind, Event};
use crate::idempotency::{self, IdempotencyKey, Keyed, Operation, Outcome, no_answer};
use crate::listing::{self, Page, PageRequest};
use crate::orders::filter::{self, OrderFilter, OrderSort};
use crate::orders::read;
use crate::orders::status::OrderStatus;
use crate::state::AppState;
use crate::{money, time};

/// One line of a new order, as parsed by a face (`None`: missing or unparseable, in which case
/// the face has already recorded the problem).
#[derive(Debug, Clone, Default)]
pub struct NewItem {
    pub product_id: Option<i64>,
    pub quantity: Option<i64>,
    /// Defaults to the product's price.
    pub price: Option<Decimal>,
    pub stock_id: Option<i64>,
}

/// A new order. `errors` holds what the face found while parsing, so that the client gets
/// every problem at once.
#[derive(Debug, Clone, Default)]
pub struct NewOrder {
    /// Defaults to the caller.
    pub customer_id: Option<i64>,
    /// Defaults to pending.
    pub status: Option<OrderStatus>,
    pub items: Vec<NewItem>,
    pub errors: FieldErrors,
}

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

fn scope_condition(select: Select<order::Entity>, scope: ReadScope) -> Select<order::Entity> {
    match scope {
        ReadScope::All => select,
        ReadScope::Customer(id) => select.filter(order::Column::CustomerId.eq(id)),
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
    Ok(one_positional(db, scope_condition(order::Entity::find_by_id(id), scope)).await?)
}

/// Orders by id that the caller may see (for loaders and event payloads).
pub async fn orders_by_id<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, order::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = order::Entity::find()
        .filter(order::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|o| (o.id, o)).collect())
}

/// Items of each order, in id order, in one statement; every asked order gets an entry.
pub async fn items_by_order<C: ConnectionTrait>(
    db: &C,
    order_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<order_item::Model>>> {
    let mut map: HashMap<i64, Vec<order_item::Model>> =
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

/// One page of the orders the caller may see.
pub async fn list_orders<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    filter: Option<&OrderFilter>,
    order_by: &[OrderSort],
    page: &PageRequest,
) -> AppResult<Page<order::Model>> {
    let scope = access.read_scope()?;
    let mut select = scope_condition(order::Entity::find(), scope);
    if let Some(f) = filter {
        select = select.filter(f.condition());
    }
    let sort = filter::sort(order_by);
    listing::fetch_page(db, select, &sort, page, |o| filter::key_values(&sort, o)).await
}

/// How many orders the caller may see match the filter.
pub async fn count_orders<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    filter: Option<&OrderFilter>,
) -> AppResult<u64> {
    let scope = access.read_scope()?;
    let mut select = scope_condition(order::Entity::find(), scope);
    if let Some(f) = filter {
        select = select.filter(f.condition());
    }
    Ok(select.count(db).await?)
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

/// Every matching order the caller may see, newest first, optionally one offset window of
/// them (the REST layer's bare arrays and DRF page numbers).
pub async fn all_orders<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    filter: Option<&OrderFilter>,
    window: Option<(u64, u64)>,
) -> AppResult<Vec<order::Model>> {
    let scope = access.read_scope()?;
    let mut select = scope_condition(order::Entity::find(), scope).order_by_desc(order::Column::Id);
    if let Some(f) = filter {
        select = select.filter(f.condition());
    }
    if let Some((offset, limit)) = window {
        select = select.offset(offset).limit(limit);
    }
    Ok(all_positional(db, select).await?)
}

/// Places an order: checks every field (all problems at once), then in one transaction takes
/// the units out of the named stock rows, inserts the order with its computed total and its
/// items, and commits; publishes `CREATED` afterwards.
pub async fn create_order(
    state: &AppState,
    access: &Access,
    input: NewOrder,
) -> AppResult<order::Model> {
    match create_order_keyed(state, access, input, None, no_answer).await? {
        Outcome::Done { value, .. } => Ok(value),
        Outcome::Replayed(_) => Err(AppError::internal(anyhow::anyhow!(
            "an order without a key was replayed"
        ))),
    }
}

/// The input as the fingerprint of an idempotency key sees it: defaults resolved, prices
/// normalised (`999.9` and `999.90` are the same request).
fn canonical_order(customer_id: i64, status: OrderStatus, items: &[NewItem]) -> serde_json::Value {
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|i| {
            serde_json::json!([
                i.product_id,
                i.quantity,
                i.price.map(|p| p.normalize().to_string()),
                i.stock_id
            ])
        })
        .collect();
    serde_json::json!([customer_id, status.as_str(), items])
}

/// `create_order` with an optional idempotency key. With a key, a live earlier order of the
/// same caller, key and input is replayed (nothing written, no event), the same key with another
/// input is refused, and otherwise the key is recorded with the new order in its transaction,
/// along with the answer `answer` renders there (the REST body; GraphQL stores none).
/// `answer` always runs inside the transaction, key or not; without a key no statement is added.
pub async fn create_order_keyed(
    state: &AppState,
    access: &Access,
    input: NewOrder,
    key: Option<&IdempotencyKey>,
    answer: impl AsyncFnOnce(
        &DatabaseTransaction,
        &order::Model,
    ) -> AppResult<Option<serde_json::Value>>,
) -> AppResult<Outcome<order::Model>> {
    let caller = access.user()?;
    if !access.is_privileged() {
        if input.customer_id.is_some_and(|c| c != caller.id) {
            return Err(AppError::Forbidden(
                "Customers may only place orders for themselves.".into(),
            ));
        }
        if input.status.is_some_and(|s| s != OrderStatus::Pending) {
            return Err(AppError::Forbidden(
                "Customers may only place pending orders.".into(),
            ));
        }
    }
    let customer_id = input.customer_id.unwrap_or(caller.id);
    let status = input.status.unwrap_or(OrderStatus::Pending);
    // an input the face could not parse is refused below whatever the key says
    let keyed = key.filter(|_| input.errors.is_empty()).map(|key| {
        let canonical = canonical_order(customer_id, status, &input.items);
        Keyed::new(caller.id, Operation::CreateOrder, key, &canonical)
    });
    if let Some(keyed) = &keyed
        && let Some(replay) = keyed.earlier(state).await?
    {
        return Ok(Outcome::Replayed(replay));
    }
    // the references are read in the write transaction: one connection for the whole order
    // (each pool checkout costs a round trip more), and what was checked is what is written
    let txn = begin_write(&state.db).await?;
    let db = &txn;
    let mut errors = input.errors;

    let items_path = FieldPath::field("items");
    if input.items.is_empty() && !errors.has(&items_path) {
        errors.add(items_path, Problem::EmptyList);
    }
    errors.set_list_len("items", input.items.len());

    let product_ids: Vec<i64> = distinct_ids(input.items.iter().filter_map(|i| i.product_id));
    let stock_ids: Vec<i64> = distinct_ids(input.items.iter().filter_map(|i| i.stock_id));
    // products, their named stock rows and the customer in one statement
    let other_customer = (customer_id != caller.id).then_some(customer_id);
    let refs = read::order_refs(db, &product_ids, &stock_ids, other_customer).await?;
    let products = refs.products;
    // a named stock that is not among the product's own rows: missing, or of another product
    let strays: Vec<i64> = stock_ids
        .iter()
        .copied()
        .filter(|id| !refs.stocks.contains_key(id))
        .collect();
    let stray_stocks = stocks_by_id(db, &strays).await?;
    if refs.customer_exists == Some(false) {
        errors.add_field(
            "customer_id",
            Problem::DoesNotExist(customer_id.to_string()),
        );
    }
    let stocks = refs.stocks;

    let mut lines: Vec<(i64, i32, Money, Option<i64>)> = Vec::with_capacity(input.items.len());
    let mut seen = HashSet::new();
    let mut total = Decimal::ZERO;
    let mut total_ok = true;
    for (i, item) in input.items.iter().enumerate() {
        let at = |field: &str| FieldPath::item("items", i, field);
        let product = item.product_id.and_then(|pid| {
            let found = products.get(&pid);
            if found.is_none() {
                errors.add(at("product_id"), Problem::DoesNotExist(pid.to_string()));
            } else if !seen.insert(pid) {
                errors.add(
                    at("product_id"),
                    Problem::Rule("This product is already in the order.".into()),
                );
            }
            found
        });
        let quantity = item.quantity.and_then(|q| {
            if q < 1 {
                errors.add(at("quantity"), Problem::MinValue(1));
                None
            } else if q > i32::MAX as i64 {
                errors.add(at("quantity"), Problem::MaxValue(i32::MAX as i64));
                None
            } else {
                Some(q as i32)
            }
        });
        let price = match item.price {
            Some(p) => match money::price(p) {
                Ok(m) => Some(m),
                Err(problems) => {
                    for p in problems {
                        errors.add(at("price"), p);
                    }
                    None
                }
            },
            None => product.map(|p| p.price),
        };
        if let Some(sid) = item.stock_id {
            match stocks.get(&sid).or_else(|| stray_stocks.get(&sid)) {
                None => errors.add(at("stock_id"), Problem::DoesNotExist(sid.to_string())),
                Some(s) if item.product_id.is_some_and(|pid| pid != s.product_id) => errors.add(
                    at("stock_id"),
                    Problem::Rule(format!(
                        "Stock {sid} does not hold product {}.",
                        item.product_id.unwrap_or(0)
                    )),
                ),
                Some(_) => {}
            }
        }
        if let (Some(product), Some(quantity), Some(price)) = (product, quantity, price) {
            match money::line_total(price, quantity as i64).and_then(|t| total.checked_add(t)) {
                Some(t) if t <= money::max_amount() => total = t,
                _ => total_ok = false,
            }
            lines.push((product.id, quantity, price, item.stock_id));
        }
    }
    if !total_ok {
        errors.add_field(
            "items",
            Problem::Rule("The order total exceeds 9999999999.99.".into()),
        );
    }
    errors.into_result()?;

    if let Some(keyed) = &keyed
        && let Some(replay) = keyed.reserve(&txn, state).await?
    {
        return Ok(Outcome::Replayed(replay));
    }
    let now = time::now();
    if status.holds_stock() {
        take_stock(&txn, &input.items, &lines, &products, now).await?;
    }
    // Inserted without RETURNING of the money columns (SeaORM casts them without an alias
    // there); the model is rebuilt from the values written.
    let id = order::Entity::insert(order::ActiveModel {
        status: Set(status.as_str().to_owned()),
        total_amount: Set(Money::new(total)),
        created_at: Set(now),
        updated_at: Set(now),
        customer_id: Set(customer_id),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    let created = order::Model {
        id,
        status: status.as_str().to_owned(),
        total_amount: Money::new(total),
        created_at: now,
        updated_at: now,
        customer_id,
    };
    let rows: Vec<order_item::ActiveModel> = lines
        .iter()
        .map(
            |(product_id, quantity, price, stock_id)| order_item::ActiveModel {
                quantity: Set(*quantity),
                price: Set(*price),
                order_id: Set(created.id),
                product_id: Set(*product_id),
                stock_id: Set(*stock_id),
                ..Default::default()
            },
        )
        .collect();
    order_item::Entity::insert_many(rows)
        .exec_without_returning(&txn)
        .await?;
    // the answer (REST's body) is rendered inside the transaction: if that fails, nothing was
    // written, so a client told to retry (503) never creates twice
    let answered = answer(&txn, &created).await?;
    if let Some(keyed) = &keyed {
        keyed.complete(&txn, created.id, answered.as_ref()).await?;
    }
    txn.commit().await?;
    state.events.publish(Event::Order {
        kind: ChangeKind::Created,
        order_id: created.id,
        customer_id,
    });
    if keyed.is_some() {
        idempotency::purge(state).await;
    }
    Ok(Outcome::Done {
        value: created,
        answer: answered,
    })
}

/// Takes each line's units out of its stock row, refusing (and so rolling back everything)
/// when a row holds too few.
async fn take_stock(
    txn: &DatabaseTransaction,
    items: &[NewItem],
    lines: &[(i64, i32, Money, Option<i64>)],
    products: &HashMap<i64, product::Model>,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let mut takes: Vec<(i64, i32, i64)> = lines
        .iter()
        .filter_map(|(pid, q, _, sid)| sid.map(|s| (s, *q, *pid)))
        .collect();
    takes.sort_unstable();
    for (stock_id, quantity, product_id) in takes {
        let res = stock::Entity::update_many()
            .col_expr(
                stock::Column::Quantity,
                Expr::col(stock::Column::Quantity).sub(quantity),
            )
            .col_expr(stock::Column::UpdatedAt, Expr::val(now))
            .filter(stock::Column::Id.eq(stock_id))
            .filter(stock::Column::Quantity.gte(quantity))
            .exec(txn)
            .await?;
        if res.rows_affected == 0 {
            let held: Option<i32> = stock::Entity::find_by_id(stock_id)
                .select_only()
                .column(stock::Column::Quantity)
                .into_tuple()
                .one(txn)
                .await?;
            let index = items
                .iter()
                .position(|i| i.stock_id == Some(stock_id))
                .unwrap_or(0);
            let name = products
                .get(&product_id)
                .map(|p| p.name.as_str())
                .unwrap_or("the product");
            return Err(AppError::conflict_on(
                FieldPath::item("items", index, "quantity"),
                format!(
                    "Insufficient stock for {name} in stock {stock_id}: {quantity} requested, {} available.",
                    held.unwrap_or(0)
                ),
            ));
        }
    }
    Ok(())
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
/// already excludes other writers), if the caller may see it.
async fn lock_visible(
    txn: &DatabaseTransaction,
    access: &Access,
    id: i64,
) -> AppResult<order::Model> {
    let scope = access.read_scope()?;
    let mut select = scope_condition(order::Entity::find_by_id(id), scope);
    if txn.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    select.one(txn).await?.ok_or(AppError::NotFound("Order"))
}

fn stored_status(o: &order::Model) -> AppResult<OrderStatus> {
    o.status
        .parse()
        .map_err(|_| AppError::internal(anyhow::anyhow!("order {} has an unknown status", o.id)))
}

/// Changes status and/or customer. The caller's role is checked before the legality of the
/// change; cancelling puts the units back in stock; the items of an order never change.
pub async fn update_order(
    state: &AppState,
    access: &Access,
    id: i64,
    change: OrderChange,
) -> AppResult<order::Model> {
    let caller = access.user()?.clone();
    let privileged = access.is_privileged();
    let db = &state.db;
    let txn = begin_write(db).await?;
    let current = lock_visible(&txn, access, id).await?;
    let from = stored_status(&current)?;
    let mut errors = change.errors;

    if !privileged {
        if change.customer_id.is_some_and(|c| c != current.customer_id) {
            return Err(AppError::Forbidden(
                "Customers may not reassign orders.".into(),
            ));
        }
        if let Some(to) = change.status
            && to != from
            && to != OrderStatus::Cancelled
        {
            return Err(AppError::Forbidden(
                "Customers may only cancel their orders.".into(),
            ));
        }
    }
    if let Some(to) = change.status
        && !from.can_become(to)
    {
        return Err(AppError::conflict_on(
            FieldPath::field("status"),
            format!("An order cannot go from {from} to {to}."),
        ));
    }
    let items = items_by_order(&txn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
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
        && c != caller.id
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
    txn.commit().await?;
    if customer_id != current.customer_id {
        // subscribers of the former customer learn that the order left them
        state.events.publish(Event::Order {
            kind: ChangeKind::Updated,
            order_id: id,
            customer_id: current.customer_id,
        });
    }
    state.events.publish(Event::Order {
        kind: ChangeKind::Updated,
        order_id: id,
        customer_id,
    });
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
    let current = lock_visible(&txn, access, id).await?;
    if !access.is_privileged() {
        return Err(AppError::Forbidden(
            "Customers may not delete orders; cancel it instead.".into(),
        ));
    }
    let status = stored_status(&current)?;
    let items = items_by_order(&txn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
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
    txn.commit().await?;
    for payment_id in payment_ids {
        state.events.publish(Event::Payment {
            kind: ChangeKind::Deleted,
            payment_id,
            order_id: id,
            customer_id: current.customer_id,
        });
    }
    state.events.publish(Event::Order {
        kind: ChangeKind::Deleted,
        order_id: id,
        customer_id: current.customer_id,
    });
    Ok(())
}
