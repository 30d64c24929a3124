//! Placing an order: the input parsed, its references read with the caller's lookup riding
//! along (`orders::read`) and checked (`orders::check`), then the order written and the stock
//! taken, all in one short transaction on one connection; `CREATED` is announced with the
//! commit (on PostgreSQL within the write statement: `EventBus::notice`).
//!
//! Stock is taken with one guarded `UPDATE ... WHERE quantity >= n` of the order's stock rows
//! (locked in id order first when there are several, so concurrent orders never deadlock),
//! which refuses to go below zero however many orders race; on PostgreSQL it is part of the
//! order's one write statement.

use entity::positional::Cell;
use entity::{Money, order, order_item, stock};
use sea_orm::sea_query::{
    CaseStatement, CommonTableExpression, Expr, ExprTrait, JoinType, LockType, Order, Query,
    UpdateStatement, WithClause,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QuerySelect,
    QueryTrait, Set,
};

use crate::auth::Access;
use crate::auth::policy::{self, Caller};
use crate::auth::principal::UserLookup;
use crate::catalog::service::stocks_by_id;
use crate::db::begin_write;
use crate::error::{AppError, AppResult, FieldPath};
use crate::events::{ChangeKind, Event, EventBus};
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
/// looked up (when `caller` is deferred: with the references, in their one statement, unless
/// there is a key) and its role checked; a live earlier order of the same caller, key and input
/// is replayed (nothing written, no event) and the same key with another input refused; the
/// references are read and checked with every field problem at once; then the key is claimed, the
/// order and its items inserted, the stock taken, and the answer `answer` renders there (the
/// REST body; GraphQL stores none) recorded with the key. `answer` always runs inside the
/// transaction, key or not.
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
    // the token's user: who the lookup below must confirm (one connection for the whole
    // order, each pool checkout costs a round trip more; what was checked is what is written)
    let token_user = caller.authenticated()?;
    let (customer_id, status) = (input.customer_id, input.status);
    // an input the face could not parse is refused below whatever the key says
    let keyed = key.filter(|_| input.errors.is_empty()).map(|key| {
        let customer = customer_id.unwrap_or(token_user);
        let status = status.unwrap_or(OrderStatus::Pending);
        let canonical = canonical_order(customer, status, &input.items);
        Keyed::new(token_user, Operation::CreateOrder, key, &canonical)
    });
    let stock_items: Vec<Option<i64>> = input.items.iter().map(|i| i.stock_id).collect();
    let parsed = check::parse(input, token_user);

    let txn = begin_write(&state.db).await?;
    let admit = |access: &Access| -> AppResult<()> {
        access.user()?;
        policy::may_place_order(access, customer_id, status)
    };
    let refs = match &keyed {
        // with a key the caller is looked up and the key checked before anything else is
        // read: a replay reads nothing more
        Some(keyed) => {
            admit(&caller.resolve(&txn).await)?;
            if let Some(replay) = keyed.earlier(&txn, state).await? {
                return Ok(Outcome::Replayed(replay));
            }
            references(&txn, &parsed, token_user, None).await?.0
        }
        // without one the caller's lookup rides on the references' statement
        None => {
            let due = caller.lookup_due();
            let (refs, looked_up) = references(&txn, &parsed, token_user, due).await?;
            admit(&caller.resolve_with(&txn, looked_up).await)?;
            refs
        }
    };
    let placement = check::check(parsed, &refs).map_err(AppError::Validation)?;

    if let Some(keyed) = &keyed
        && let Some(replay) = keyed.reserve(&txn, state).await?
    {
        return Ok(Outcome::Replayed(replay));
    }
    let (created, noticed) = write(&state.events, &txn, &placement, &refs, &stock_items).await?;
    let event = created_event(created.customer_id)(created.id);
    let created = (created.id, created);
    idempotency::finish_create(state, txn, keyed.as_ref(), created, answer, event, noticed).await
}

/// The products, their named stock rows, the customer and (when `lookup` names it) the
/// caller's user in one statement; a second one only for named stock rows of other products
/// (a mistake, worded by `check`). The caller's lookup comes back when a product row carried
/// it.
async fn references(
    txn: &DatabaseTransaction,
    parsed: &check::ParsedOrder,
    caller_id: i64,
    lookup: Option<i64>,
) -> AppResult<(References, Option<UserLookup>)> {
    let stock_ids = parsed.stock_ids();
    let other_customer = (parsed.customer_id != caller_id).then_some(parsed.customer_id);
    let loaded = read::order_refs(
        txn,
        &parsed.product_ids(),
        &stock_ids,
        other_customer,
        lookup,
    )
    .await?;
    let strays: Vec<i64> = stock_ids
        .into_iter()
        .filter(|id| !loaded.stocks.contains_key(id))
        .collect();
    let refs = References {
        products: loaded.products,
        stocks: loaded.stocks,
        strays: stocks_by_id(txn, &strays).await?,
        customer_exists: loaded.customer_exists,
    };
    Ok((refs, loaded.caller))
}

/// The event of an order of this customer created, for its id.
fn created_event(customer_id: i64) -> impl Fn(i64) -> Event {
    move |order_id| Event::Order {
        kind: ChangeKind::Created,
        order_id,
        customer_id,
    }
}

/// Writes the order: inserts it with its items and takes the stock (unless the order starts
/// cancelled), and refuses (rolling everything back) when a stock row holds too few. The model
/// is rebuilt from the values written (the money columns are not read back).
///
/// On PostgreSQL the whole write, the event's `pg_notify` included, is one statement of three
/// data-modifying CTEs (`insert_order`): the stock rows it takes stay locked until the COMMIT,
/// and no round trip lies between the two. On SQLite, which has no such CTE, it is three
/// statements. Answers the order and whether its event was sent with it.
async fn write(
    events: &EventBus,
    txn: &DatabaseTransaction,
    placement: &Placement,
    refs: &References,
    stock_items: &[Option<i64>],
) -> AppResult<(order::Model, bool)> {
    let now = time::now();
    let created = order::Model {
        id: 0,
        status: placement.status.as_str().to_owned(),
        total_amount: Money::new(placement.total),
        created_at: now,
        updated_at: now,
        customer_id: placement.customer_id,
    };
    let takes = if placement.status.holds_stock() {
        Takes::of(placement)
    } else {
        Takes::default()
    };
    let written = insert_order(events, txn, &created, placement, &takes).await?;
    if let Some(short) = takes
        .0
        .iter()
        .find(|t| !written.taken.contains(&t.stock_id))
    {
        return Err(shortage(txn, short, refs, stock_items).await?);
    }
    let id = written.id;
    Ok((order::Model { id, ..created }, written.noticed))
}

/// One line's units to take out of its stock row.
struct Take {
    stock_id: i64,
    quantity: i32,
    product_id: i64,
}

/// What an order takes out of stock, in stock-row id order (a stock row holds one product and
/// an order names a product once, so no row comes twice).
#[derive(Default)]
struct Takes(Vec<Take>);

impl Takes {
    fn of(placement: &Placement) -> Takes {
        let mut takes: Vec<Take> = placement
            .lines
            .iter()
            .filter_map(|l| {
                l.stock_id.map(|stock_id| Take {
                    stock_id,
                    quantity: l.quantity,
                    product_id: l.product_id,
                })
            })
            .collect();
        takes.sort_unstable_by_key(|t| t.stock_id);
        Takes(takes)
    }

    fn ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.0.iter().map(|t| t.stock_id)
    }

    /// `CASE WHEN id = <stock> THEN <quantity> ... END`: each row's units.
    fn units(&self) -> Expr {
        let mut case = CaseStatement::new();
        for t in &self.0 {
            case = case.case(Expr::col(stock::Column::Id).eq(t.stock_id), t.quantity);
        }
        case.into()
    }

    /// The one `UPDATE` that takes every row's units where it holds that many, returning the
    /// ids of the rows it took from (a row missing there holds too few).
    fn update(&self, now: chrono::DateTime<chrono::Utc>) -> UpdateStatement {
        Query::update()
            .table(stock::Entity)
            .value(
                stock::Column::Quantity,
                Expr::col(stock::Column::Quantity).sub(self.units()),
            )
            .value(stock::Column::UpdatedAt, now)
            .and_where(stock::Column::Id.is_in(self.ids()))
            .and_where(Expr::col(stock::Column::Quantity).gte(self.units()))
            .returning_col(stock::Column::Id)
            .to_owned()
    }

    /// Locks the rows in id order, so that concurrent orders of the same rows never deadlock
    /// (one `UPDATE` of several rows locks them in whatever order its plan meets them). `FOR
    /// NO KEY UPDATE`, the lock the `UPDATE` itself takes: it leaves the foreign-key checks of
    /// other writers' items (`FOR KEY SHARE`) alone.
    async fn lock_in_order(&self, txn: &DatabaseTransaction) -> AppResult<()> {
        if self.0.len() > 1 {
            let lock = Query::select()
                .column(stock::Column::Id)
                .from(stock::Entity)
                .and_where(stock::Column::Id.is_in(self.ids()))
                .order_by(stock::Column::Id, Order::Asc)
                .lock(LockType::NoKeyUpdate)
                .to_owned();
            txn.query_all(&lock).await?;
        }
        Ok(())
    }
}

/// Inserts the order and its items and takes the stock; answers the order's new id and the
/// stock rows taken from. On PostgreSQL in one statement:
///
/// ```sql
/// WITH new_order AS (INSERT INTO oms_order ... RETURNING id),
///      new_items AS (INSERT INTO oms_orderitem ... VALUES (..., (SELECT id FROM new_order), ...)),
///      taken AS (UPDATE wms_stock ... RETURNING id)
/// SELECT new_order.id, taken.id, (SELECT pg_notify(...) FROM new_order)
/// FROM new_order LEFT JOIN taken ON TRUE
/// ```
///
/// On SQLite in three. The items get their ids in the order of their lines either way.
async fn insert_order(
    events: &EventBus,
    txn: &DatabaseTransaction,
    order: &order::Model,
    placement: &Placement,
    takes: &Takes,
) -> AppResult<Written> {
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
        let mut taken = Vec::with_capacity(takes.0.len());
        if !takes.0.is_empty() {
            for row in txn.query_all(&takes.update(order.updated_at)).await? {
                taken.push(i64::cell(&row, 0)?);
            }
        }
        return Ok(Written {
            id,
            taken,
            noticed: false,
        });
    }
    takes.lock_in_order(txn).await?;
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
        let order_id = Expr::SubQuery(None, Box::new(new_id.into()));
        with.cte(
            CommonTableExpression::new()
                .query(items(order_id))
                .table_name(NEW_ITEMS)
                .to_owned(),
        );
    }
    let mut answer = Query::select()
        .column((NEW_ORDER, order::Column::Id))
        .from(NEW_ORDER)
        .to_owned();
    if takes.0.is_empty() {
        answer.expr(Expr::val(None::<i64>));
    } else {
        with.cte(
            CommonTableExpression::new()
                .query(takes.update(order.updated_at))
                .table_name(TAKEN)
                .to_owned(),
        );
        answer
            .column((TAKEN, stock::Column::Id))
            .join(JoinType::LeftJoin, TAKEN, Expr::val(true));
    }
    // the event's pg_notify, evaluated once (an uncorrelated subquery) whatever the rows
    let notice = events.notice(
        created_event(order.customer_id),
        Expr::col((NEW_ORDER, order::Column::Id)),
    );
    if let Some(notice) = &notice {
        let once = Query::select()
            .expr(notice.clone())
            .from(NEW_ORDER)
            .to_owned();
        answer.expr(Expr::SubQuery(None, Box::new(once.into())));
    }
    let statement = txn.get_database_backend().build(&with.query(answer));
    let mut id = None;
    let mut taken = Vec::with_capacity(takes.0.len());
    for row in txn.query_all_raw(statement).await? {
        id = Some(i64::cell(&row, 0)?);
        taken.extend(Option::<i64>::cell(&row, 1)?);
    }
    let id =
        id.ok_or_else(|| AppError::internal(anyhow::anyhow!("the order's insert returned no id")))?;
    Ok(Written {
        id,
        taken,
        noticed: notice.is_some(),
    })
}

/// What `insert_order` wrote: the order's id, the stock rows it took units from, and whether
/// its statement carried the order's event (`EventBus::notice`).
struct Written {
    id: i64,
    taken: Vec<i64>,
    noticed: bool,
}

/// The CTEs of `insert_order` on PostgreSQL.
const NEW_ORDER: &str = "new_order";
const NEW_ITEMS: &str = "new_items";
const TAKEN: &str = "taken";

/// The refusal of a line whose stock row holds too few units: it names the first item of that
/// stock row and what the row holds.
async fn shortage(
    txn: &DatabaseTransaction,
    short: &Take,
    refs: &References,
    stock_items: &[Option<i64>],
) -> AppResult<AppError> {
    let held: Option<i32> = stock::Entity::find_by_id(short.stock_id)
        .select_only()
        .column(stock::Column::Quantity)
        .into_tuple()
        .one(txn)
        .await?;
    let index = stock_items
        .iter()
        .position(|s| *s == Some(short.stock_id))
        .unwrap_or(0);
    let name = refs
        .products
        .get(&short.product_id)
        .map(|p| p.name.as_str())
        .unwrap_or("the product");
    Ok(AppError::conflict_on(
        FieldPath::item("items", index, "quantity"),
        format!(
            "Insufficient stock for {name} in stock {}: {} requested, {} available.",
            short.stock_id,
            short.quantity,
            held.unwrap_or(0)
        ),
    ))
}
