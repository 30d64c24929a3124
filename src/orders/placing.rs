//! Placing an order: the caller looked up, the input parsed, its references read and checked
//! (`orders::check`), then the order written and the stock taken, all in one short transaction
//! on one connection; `CREATED` is announced with the commit (`EventBus::commit`).
//!
//! Stock is taken with one guarded `UPDATE ... WHERE quantity >= n` per stock row (in id order,
//! so concurrent orders never deadlock), which refuses to go below zero however many orders
//! race.

use entity::positional::Cell;
use entity::{Money, order, order_item, stock};
use sea_orm::sea_query::{CommonTableExpression, Expr, ExprTrait, Query, WithClause};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, QueryTrait, Set,
};

use crate::auth::Access;
use crate::auth::policy::{self, Caller};
use crate::catalog::service::stocks_by_id;
use crate::db::begin_write;
use crate::error::{AppError, AppResult, FieldPath};
use crate::events::{ChangeKind, Event};
use crate::idempotency::{self, IdempotencyKey, Keyed, Operation, Outcome, no_answer};
use crate::orders::check::{self, NewItem, NewOrder, Placement, References};
use crate::orders::read;
use crate::orders::status::OrderStatus;
use crate::state::AppState;
use crate::time;

/// Places an order without an idempotency key (see `create_order_keyed`).
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

/// Places an order, optionally under an idempotency key. In one transaction: the caller is
/// looked up (when `caller` is deferred) and its role checked, a live earlier order of the same
/// caller, key and input is replayed (nothing written, no event) and the same key with another
/// input refused; the references are read in one statement and checked with every field
/// problem at once; then the key is claimed, the order and its items inserted, the stock taken,
/// and the answer `answer` renders there (the REST body; GraphQL stores none) recorded with the
/// key. `answer` always runs inside the transaction, key or not.
pub async fn create_order_keyed<'a>(
    state: &AppState,
    caller: impl Into<Caller<'a>>,
    input: NewOrder,
    key: Option<&IdempotencyKey>,
    answer: impl AsyncFnOnce(
        &DatabaseTransaction,
        &order::Model,
    ) -> AppResult<Option<serde_json::Value>>,
) -> AppResult<Outcome<order::Model>> {
    let caller = caller.into();
    caller.authenticated()?;
    // one connection for the whole order, the caller's lookup included (each pool checkout
    // costs a round trip more), and what was checked is what is written
    let txn = begin_write(&state.db).await?;
    let access = caller.resolve(&txn).await;
    let caller_id = access.user()?.id;
    policy::may_place_order(&access, input.customer_id, input.status)?;
    // an input the face could not parse is refused below whatever the key says
    let keyed = key.filter(|_| input.errors.is_empty()).map(|key| {
        let customer = input.customer_id.unwrap_or(caller_id);
        let status = input.status.unwrap_or(OrderStatus::Pending);
        let canonical = canonical_order(customer, status, &input.items);
        Keyed::new(caller_id, Operation::CreateOrder, key, &canonical)
    });
    if let Some(keyed) = &keyed
        && let Some(replay) = keyed.earlier(&txn, state).await?
    {
        return Ok(Outcome::Replayed(replay));
    }
    let stock_items: Vec<Option<i64>> = input.items.iter().map(|i| i.stock_id).collect();
    let parsed = check::parse(input, caller_id);
    let refs = references(&txn, &parsed, caller_id).await?;
    let placement = check::check(parsed, &refs).map_err(AppError::Validation)?;

    if let Some(keyed) = &keyed
        && let Some(replay) = keyed.reserve(&txn, state).await?
    {
        return Ok(Outcome::Replayed(replay));
    }
    let created = write(&txn, &placement, &refs, &stock_items).await?;
    let event = Event::Order {
        kind: ChangeKind::Created,
        order_id: created.id,
        customer_id: created.customer_id,
    };
    let created = (created.id, created);
    idempotency::finish_create(state, txn, keyed.as_ref(), created, answer, event).await
}

/// The products, their named stock rows and the customer in one statement; a second one only
/// for named stock rows of other products (a mistake, worded by `check`).
async fn references(
    txn: &DatabaseTransaction,
    parsed: &check::ParsedOrder,
    caller_id: i64,
) -> AppResult<References> {
    let stock_ids = parsed.stock_ids();
    let other_customer = (parsed.customer_id != caller_id).then_some(parsed.customer_id);
    let loaded = read::order_refs(txn, &parsed.product_ids(), &stock_ids, other_customer).await?;
    let strays: Vec<i64> = stock_ids
        .into_iter()
        .filter(|id| !loaded.stocks.contains_key(id))
        .collect();
    Ok(References {
        products: loaded.products,
        stocks: loaded.stocks,
        strays: stocks_by_id(txn, &strays).await?,
        customer_exists: loaded.customer_exists,
    })
}

/// Inserts the order with its items, then takes the stock (unless the order starts
/// cancelled). Inserted without RETURNING of the money columns (SeaORM casts them without an
/// alias there): the model is rebuilt from the values written.
///
/// The stock comes last because its `UPDATE` locks the stock rows until the COMMIT: every
/// other order of those rows waits that long, so the fewer round trips between the two, the
/// more orders a busy product takes per second (a refusal still rolls the inserts back).
async fn write(
    txn: &DatabaseTransaction,
    placement: &Placement,
    refs: &References,
    stock_items: &[Option<i64>],
) -> AppResult<order::Model> {
    let now = time::now();
    let created = order::Model {
        id: 0,
        status: placement.status.as_str().to_owned(),
        total_amount: Money::new(placement.total),
        created_at: now,
        updated_at: now,
        customer_id: placement.customer_id,
    };
    let id = insert_order(txn, &created, placement).await?;
    if placement.status.holds_stock() {
        take_stock(txn, placement, refs, stock_items, now).await?;
    }
    Ok(order::Model { id, ..created })
}

/// Inserts the order and its items. On PostgreSQL in one statement, the order's insert a
/// data-modifying CTE whose new id the items' insert reads (a round trip fewer while the
/// transaction is open); on SQLite, which has no such CTE, in two. The items get their ids in
/// the order of their lines either way.
async fn insert_order(
    txn: &DatabaseTransaction,
    order: &order::Model,
    placement: &Placement,
) -> AppResult<i64> {
    let mut insert = order::Entity::insert(order::ActiveModel {
        status: Set(order.status.clone()),
        total_amount: Set(order.total_amount),
        created_at: Set(order.created_at),
        updated_at: Set(order.updated_at),
        customer_id: Set(order.customer_id),
        ..Default::default()
    })
    .into_query();
    let items = |order_id: Expr| {
        let mut items = Query::insert();
        items.into_table(order_item::Entity).columns([
            order_item::Column::Quantity,
            order_item::Column::Price,
            order_item::Column::OrderId,
            order_item::Column::ProductId,
            order_item::Column::StockId,
        ]);
        for l in &placement.lines {
            items.values_panic([
                l.quantity.into(),
                l.price.into(),
                order_id.clone(),
                l.product_id.into(),
                l.stock_id.into(),
            ]);
        }
        items
    };
    if txn.get_database_backend() != DbBackend::Postgres {
        let id = txn.execute(&insert).await?.last_insert_id();
        let id = i64::try_from(id).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
        if !placement.lines.is_empty() {
            txn.execute(&items(Expr::val(id))).await?;
        }
        return Ok(id);
    }
    // WITH o AS (INSERT INTO oms_order ... RETURNING id),
    //      i AS (INSERT INTO oms_orderitem ... VALUES (..., (SELECT id FROM o), ...), ...)
    // SELECT id FROM o
    insert.returning_col(order::Column::Id);
    let new_id = Query::select()
        .column(order::Column::Id)
        .from(NEW_ORDER)
        .to_owned();
    let mut with = WithClause::new();
    with.cte(
        CommonTableExpression::new()
            .query(insert)
            .table_name(NEW_ORDER)
            .to_owned(),
    );
    if !placement.lines.is_empty() {
        let order_id = Expr::SubQuery(None, Box::new(new_id.clone().into()));
        with.cte(
            CommonTableExpression::new()
                .query(items(order_id))
                .table_name(NEW_ITEMS)
                .to_owned(),
        );
    }
    let statement = txn.get_database_backend().build(&with.query(new_id));
    let row = txn
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the order's insert returned no id")))?;
    Ok(i64::cell(&row, 0)?)
}

/// The CTEs of `insert_order` on PostgreSQL.
const NEW_ORDER: &str = "new_order";
const NEW_ITEMS: &str = "new_items";

/// Takes each line's units out of its stock row, refusing (and so rolling back everything)
/// when a row holds too few; the refusal names the first item of that stock row.
async fn take_stock(
    txn: &DatabaseTransaction,
    placement: &Placement,
    refs: &References,
    stock_items: &[Option<i64>],
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let mut takes: Vec<(i64, i32, i64)> = placement
        .lines
        .iter()
        .filter_map(|l| l.stock_id.map(|s| (s, l.quantity, l.product_id)))
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
            let index = stock_items
                .iter()
                .position(|s| *s == Some(stock_id))
                .unwrap_or(0);
            let name = refs
                .products
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
