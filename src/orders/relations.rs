//! The relations of a set of orders in ONE statement: their customers, their payments, their
//! items, and the products, stock rows, locations and warehouses those items refer to, as the
//! branches of a `UNION ALL`.
//!
//! Each statement costs a round trip to the database and its own parse, plan and wake-ups on
//! both sides; three statements per page (or per single order) were most of a small request's
//! time. Every branch fills its blocks of columns (a table's each) and leaves typed NULLs in
//! the other columns, so all rows share one shape and decode by position
//! (`entity::Positional::from_slots`); the first column says which branch a row came from.
//! Blocks that no row fills together share the columns of one type (`Layout`).
//!
//! The rows the items refer to repeat from order to order (a page of 150 lines names a few
//! dozen products): for several orders each comes once, as a row of its own branch selected
//! by the ids the items name (common tables), not joined onto every item. PostgreSQL sends
//! every non-NULL column of every row through its type's output function, and the joined
//! columns were most of what a page's statement sent. Within one order a product or stock
//! row comes once anyway, and there the extra branches cost more than they save
//! (BENCHMARKS.md): one order's items carry their rows joined.
//!
//! Orders that are not known yet are read by the same statement as their relations: one order
//! by id (a GraphQL `order`, a REST order: `load_order`) and a page or chunk of a list (a
//! GraphQL `orders` page, a REST list's: `load_page`; a GraphQL page's order, by any of its
//! `orderBy` keys, is restored by `listing::fetch_page_with`). A common table holds the order
//! (if the caller's scope holds it) or the page, and every other branch selects by the ids it
//! names, so that such a read is one statement. The caller's lookup may ride on it as one more
//! branch (`auth::riding`). A page's SQL carries its filters' values, so it is not memoized;
//! the SQL around it binds nothing but the caller's id and is built once per shape, the
//! page's limit written into it (`listing::Span`).

use std::sync::{Arc, LazyLock};

use entity::positional::Cell;
use entity::{Positional, location, order, order_item, payment, product, stock, user, warehouse};
use sea_orm::sea_query::{
    Alias, ColumnType, CommonTableExpression, Expr, ExprTrait, IntoIden, Query,
    QueryStatementBuilder, SelectStatement, SimpleExpr, UnionType, WithClause,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, Iterable, QueryResult, QueryTrait,
    Select, Statement, Value, Values,
};

use crate::auth::ReadScope;
use crate::auth::principal::UserLookup;
use crate::auth::riding::Along;
use crate::auth::service::{SUMMARY_COLUMNS, UserSummary};
use crate::db::IdMap;
use crate::db::shapes::Shapes;
use crate::error::AppResult;
use crate::listing::Span;
use crate::memo::Memo;
use crate::orders::graph::OrderGraph;
use crate::orders::service::scope_filter;

/// Which rows the items refer to are read (joined onto one order's items, branches of their
/// own for several orders).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ItemJoins {
    pub product: bool,
    /// The stock row with its location and warehouse.
    pub stock: bool,
}

/// What to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wanted<'a> {
    /// Users by these ids (none when empty).
    pub customers: &'a [i64],
    pub payments: bool,
    /// The items, with these references.
    pub items: Option<ItemJoins>,
}

/// The common tables: the orders' items, the stock rows they took from, those rows' locations;
/// the one order read by id; a page of orders.
const ITEMS: &str = "gw_items";
const STOCKS: &str = "gw_stocks";
const LOCATIONS: &str = "gw_locations";
const ORDER: &str = "gw_order";
const PAGE: &str = "gw_page";

/// Orders (and customers) per statement: each order id is bound twice and each customer id
/// once, which keeps a statement under SQLite's 32,766 and PostgreSQL's 65,535 parameters
/// (a GraphQL answer may hold the orders of many payments).
const CHUNK: usize = 10_000;

/// Reads the relations of the orders `order_ids` into a graph: one statement, or one per
/// `CHUNK` orders. Payments and items are in id order, and every asked order has an entry when
/// they were wanted.
pub async fn load<C: ConnectionTrait>(
    db: &C,
    order_ids: &[i64],
    wanted: Wanted<'_>,
) -> AppResult<OrderGraph> {
    let mut out = OrderGraph::default();
    for (orders, customers) in chunks(order_ids, wanted.customers, CHUNK) {
        let part = Wanted {
            customers,
            ..wanted
        };
        load_into(db, orders, part, &mut out).await?;
    }
    settle(&mut out, order_ids, wanted.payments, wanted.items.is_some());
    Ok(out)
}

/// The relations to read with orders that the statement reads itself (one by id, or a page).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct WithOrders {
    pub customer: bool,
    pub payments: bool,
    pub items: Option<ItemJoins>,
}

/// The order of `id`, if `scope` holds it, with the relations `wanted` asks for, and the user
/// `caller` names looked up (`auth::riding`): one statement. Its payments and items are in id
/// order, and present (maybe empty) when they were wanted.
pub async fn load_order<C: ConnectionTrait>(
    db: &C,
    id: i64,
    scope: ReadScope,
    wanted: WithOrders,
    caller: Option<i64>,
) -> AppResult<Along<Option<(order::Model, OrderGraph)>>> {
    let statement = built_order(db.get_database_backend(), id, scope, wanted, caller)
        .ok_or_else(|| DbErr::Custom("relations: one order makes a statement".into()))?;
    let mut out = OrderGraph::default();
    let found = decode(db.query_all_raw(statement).await?, &JOINED, &mut out)?;
    let lookup = looked_up(caller, found);
    let Some(order) = out.orders.remove(&id) else {
        return Ok((None, lookup));
    };
    settle(&mut out, &[id], wanted.payments, wanted.items.is_some());
    Ok((Some((order, out)), lookup))
}

/// The lookup of the user `caller` names, from the row the statement found of it, if any.
fn looked_up(caller: Option<i64>, found: Option<UserLookup>) -> Option<UserLookup> {
    caller.map(|_| found.unwrap_or(UserLookup::Missing))
}

/// The orders `page` selects (scoped, filtered and ordered by the caller; no limit, which is
/// `span`'s), with the relations `wanted` asks for: one statement, the page a common table
/// that every other branch selects by. The orders come in no particular order; each one's payments and items in id order, and
/// present (maybe empty) when they were wanted.
pub async fn load_page<C: ConnectionTrait>(
    db: &C,
    page: Select<order::Entity>,
    span: Span,
    wanted: WithOrders,
    caller: Option<i64>,
) -> AppResult<Along<(Vec<order::Model>, OrderGraph)>> {
    let statement = around_page(page.build(db.get_database_backend()), span, wanted, caller)?;
    let mut out = OrderGraph::default();
    let found = decode(db.query_all_raw(statement).await?, &SHARED, &mut out)?;
    let orders: Vec<order::Model> = std::mem::take(&mut out.orders).into_values().collect();
    let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
    settle(&mut out, &ids, wanted.payments, wanted.items.is_some());
    Ok(((orders, out), looked_up(caller, found)))
}

/// Gives each of `orders` an entry for its payments and one for its items when they were
/// wanted (empty when it has none), and puts each order's in id order, as the APIs list them
/// (a `UNION ALL` promises no order).
fn settle(out: &mut OrderGraph, orders: &[i64], payments: bool, items: bool) {
    for &id in orders {
        if payments {
            out.payments.entry(id).or_default();
        }
        if items {
            out.items.entry(id).or_default();
        }
    }
    for payments in out.payments.values_mut() {
        payments.sort_by_key(|p| p.id);
    }
    for items in out.items.values_mut() {
        items.sort_by_key(|i| i.id);
    }
}

/// The `(orders, customers)` of each statement: the k-th slice of each list, `size` at most.
fn chunks<'a>(orders: &'a [i64], customers: &'a [i64], size: usize) -> Vec<(&'a [i64], &'a [i64])> {
    let n = orders
        .len()
        .div_ceil(size)
        .max(customers.len().div_ceil(size));
    let part = |ids: &'a [i64], k: usize| ids.chunks(size).nth(k).unwrap_or(&[]);
    (0..n)
        .map(|k| (part(orders, k), part(customers, k)))
        .collect()
}

/// What decides the statement's SQL besides the ids and the backend: the branches, how many
/// customers and orders (one order's items are joined with their rows, several orders' not).
type Shape = (usize, bool, usize, Option<(bool, bool)>);

/// Each shape's SQL, built once (`db::shapes`).
static SHAPES: LazyLock<Shapes<Shape>> = LazyLock::new(Shapes::default);

async fn load_into<C: ConnectionTrait>(
    db: &C,
    order_ids: &[i64],
    wanted: Wanted<'_>,
    out: &mut OrderGraph,
) -> AppResult<()> {
    let Some(statement) = built(db.get_database_backend(), order_ids, wanted) else {
        return Ok(());
    };
    let rows = db.query_all_raw(statement).await?;
    decode(rows, Layout::of_orders(order_ids.len()), out)?;
    Ok(())
}

/// Decodes the rows of a statement of `layout` into `out`; the caller's lookup, if a row of
/// it came.
fn decode(
    rows: Vec<QueryResult>,
    layout: &Layout,
    out: &mut OrderGraph,
) -> AppResult<Option<UserLookup>> {
    let mut caller = None;
    let summary = |block| -> Result<&[usize; SUMMARY_COLUMNS.len()], DbErr> {
        layout
            .of(block)
            .try_into()
            .map_err(|_| DbErr::Type("relations: the user's columns".into()))
    };
    let (user, caller_slots) = (summary(Block::User)?, summary(Block::Caller)?);
    for row in rows {
        // the branch: the index of the first block it fills
        let kind = i32::cell(&row, 0)?;
        if kind == INACTIVE_CALLER {
            caller = Some(UserLookup::Inactive);
            continue;
        }
        let block = usize::try_from(kind)
            .ok()
            .and_then(|k| Block::ALL.get(k))
            .ok_or_else(|| DbErr::Type(format!("relations: no branch {kind}")))?;
        match block {
            Block::Order => {
                let o = order::Model::from_slots(&row, layout.of(Block::Order))?;
                out.orders.insert(o.id, o);
            }
            Block::User => {
                let u = UserSummary::from_slots(&row, user)?;
                out.customers.insert(u.id, u);
            }
            Block::Payment => {
                let p = payment::Model::from_slots(&row, layout.of(Block::Payment))?;
                out.payments.entry(p.order_id).or_default().push(p);
            }
            Block::Item => {
                let item = order_item::Model::from_slots(&row, layout.of(Block::Item))?;
                out.items.entry(item.order_id).or_default().push(item);
                // one order's items carry the rows they refer to
                if layout.joined {
                    for block in REFERENCED {
                        referenced(&row, layout, block, out)?;
                    }
                }
            }
            Block::Caller => {
                let user = UserSummary::from_slots(&row, caller_slots)?;
                caller = Some(UserLookup::of(user, true));
            }
            referred => referenced(&row, layout, *referred, out)?,
        }
    }
    Ok(caller)
}

/// The blocks of the rows an item refers to.
const REFERENCED: [Block; 4] = [
    Block::Product,
    Block::Stock,
    Block::Location,
    Block::Warehouse,
];

/// Decodes the row of `block` (one of `REFERENCED`) into its map, once.
fn referenced(
    row: &QueryResult,
    layout: &Layout,
    block: Block,
    out: &mut OrderGraph,
) -> AppResult<()> {
    let slots = layout.of(block);
    match block {
        Block::Product => once::<product::Model, _>(row, slots, &mut out.products),
        Block::Stock => once::<stock::Model, _>(row, slots, &mut out.stocks),
        Block::Location => once::<location::Model, _>(row, slots, &mut out.locations),
        Block::Warehouse => once::<warehouse::Model, _>(row, slots, &mut out.warehouses),
        other => {
            Err(DbErr::Type(format!("relations: {other:?} is not an item's reference")).into())
        }
    }
}

/// The statement for `backend`, its SQL from the memo of shapes.
fn built(backend: DbBackend, order_ids: &[i64], wanted: Wanted<'_>) -> Option<Statement> {
    let shape = (
        wanted.customers.len(),
        wanted.payments,
        order_ids.len(),
        wanted.items.map(|j| (j.product, j.stock)),
    );
    let lists = [wanted.customers, order_ids];
    SHAPES.statement(backend, shape, &lists, |lists| {
        let wanted = Wanted {
            customers: lists[0],
            ..wanted
        };
        statement(backend, lists[1], wanted)
    })
}

/// What stands for a page's own SQL in the statement built around it.
const PAGE_STAND_IN: &str = "SELECT gw_page_stand_in";

/// What stands for the caller's user id in the SQL around a page: bound last, after the page's
/// values and its OFFSET.
const CALLER_STAND_IN: &str = "gw_caller_stand_in";

/// The SQL around a page's: before it, after it up to the caller's id (all of it when the
/// caller is not looked up), and after the caller's id.
struct AroundSql {
    before: String,
    after: String,
    after_caller: String,
}

type Around = Arc<AroundSql>;

/// The SQL around a page's by backend, what is wanted and whether the caller is looked up,
/// built once: it binds nothing of its own but the caller's id, so the page's values are the
/// statement's first.
static AROUND_PAGE: LazyLock<Memo<(bool, WithOrders, bool), Around>> =
    LazyLock::new(|| Memo::new(64));

/// The statement that reads the page `page` with the relations `wanted` asks for, and looks up
/// the user `caller` names.
fn around_page(
    page: Statement,
    span: Span,
    wanted: WithOrders,
    caller: Option<i64>,
) -> AppResult<Statement> {
    let backend = page.db_backend;
    let key = (backend == DbBackend::Postgres, wanted, caller.is_some());
    let around = match AROUND_PAGE.get(&key) {
        Some(around) => around,
        None => {
            let built = page_statement(backend, wanted, caller.is_some());
            let unbound = built.values.as_ref().is_none_or(|v| v.0.is_empty());
            let unexpected = || DbErr::Custom("relations: the SQL around a page".into());
            let (before, after) = built
                .sql
                .split_once(PAGE_STAND_IN)
                .filter(|_| unbound)
                .ok_or_else(unexpected)?;
            let (after, after_caller) = match caller {
                Some(_) => after.split_once(CALLER_STAND_IN).ok_or_else(unexpected)?,
                None => (after, ""),
            };
            let around = Arc::new(AroundSql {
                before: before.to_owned(),
                after: after.to_owned(),
                after_caller: after_caller.to_owned(),
            });
            AROUND_PAGE.put(key, around.clone());
            around
        }
    };
    let AroundSql {
        before,
        after,
        after_caller,
    } = &*around;
    // the SQL around binds only the caller's id (its stand-in, in the last branch), so the
    // offset, right after the page's SQL, is the next value, and the caller's id the last
    let mut values = page.values.unwrap_or_else(|| Values(Vec::new()));
    let mut bind = |value: i64| {
        values.0.push(Value::BigInt(Some(value)));
        match backend {
            DbBackend::Postgres => format!("${}", values.0.len()),
            _ => "?".to_owned(),
        }
    };
    let offset = match span.offset {
        0 => String::new(),
        n => bind(n as i64),
    };
    let caller = caller.map(&mut bind).unwrap_or_default();
    let sql = format!(
        "{before}{}{}{after}{caller}{after_caller}",
        page.sql,
        span.sql(&offset)
    );
    Ok(Statement {
        sql,
        values: Some(values),
        db_backend: backend,
    })
}

/// The statement around a page (the common table `gw_page`, its body a stand-in): the orders
/// and the relations `wanted` asks for, each branch selecting by the page's ids, and with
/// `caller` the caller's lookup (its id a stand-in).
fn page_statement(backend: DbBackend, wanted: WithOrders, caller: bool) -> Statement {
    let layout = &*SHARED;
    let mut body = Query::select();
    body.expr(Expr::cust(PAGE_STAND_IN.trim_start_matches("SELECT ")));
    // no column list: the page's own names (an entity's select names every column, money
    // cast to text under its own name), so the branches read them by name, not by position
    // a page's items come with the rows they refer to as branches of their own
    let (mut with, mut branches) = orders_in(layout, PAGE, body, Among::Listed, wanted, false);
    if let Some(joins) = wanted.items {
        branches.extend(item_branches(layout, joins));
        with = item_tables(with, Among::Listed(PAGE, order::Column::Id), joins);
    }
    if caller {
        branches.push(caller_branch(layout, Expr::cust(CALLER_STAND_IN)));
    }
    let statement = union(branches).expect("the orders' branch");
    backend.build(&statement.with(with))
}

/// The SQL of one order's statement by shape (the scope's kind, what is wanted, whether the
/// caller is looked up), built once.
static BY_ID: LazyLock<Shapes<(bool, WithOrders, bool)>> = LazyLock::new(Shapes::default);

/// One order's statement for `backend`, its SQL from the memo of shapes.
fn built_order(
    backend: DbBackend,
    id: i64,
    scope: ReadScope,
    wanted: WithOrders,
    caller: Option<i64>,
) -> Option<Statement> {
    let customer = scope.customer();
    let key = (customer.is_some(), wanted, caller.is_some());
    let lists = [&[id][..], customer.as_slice(), caller.as_slice()];
    BY_ID.statement(backend, key, &lists, |ids| {
        let scope = ReadScope::of_customer(ids[1].first().copied());
        let caller = ids[2].first().copied();
        Some(order_statement(backend, ids[0][0], scope, wanted, caller))
    })
}

/// The kind of the caller's row when the user is inactive (`Block::Caller`'s when active).
/// Said by the branch's kind, so that its row needs no third boolean column: no other block
/// has three, and every row of every statement would carry one more NULL.
const INACTIVE_CALLER: i32 = Block::ALL.len() as i32;

/// The branch that looks up the user whose id is `id` (the caller: see `auth::riding`).
fn caller_branch(layout: &Layout, id: SimpleExpr) -> SelectStatement {
    let is_active = Expr::col((user::Entity, user::Column::IsActive));
    // written, not bound: the SQL around a page binds nothing but ids
    let written = |kind: i32| Expr::cust(kind.to_string());
    let kind =
        Expr::case(is_active, written(Block::Caller as i32)).finally(written(INACTIVE_CALLER));
    let mut q = layout.branch_of_kind(&[Block::Caller], kind.into());
    q.from(user::Entity)
        .and_where(Expr::col((user::Entity, user::Column::Id)).eq(id));
    q
}

/// The rows a branch selects by a column: those whose value is one of bound ids, the one a
/// common table's row names (one order read by id), or any a common table's rows name (a
/// page of orders).
#[derive(Debug, Clone, Copy)]
enum Among<'a> {
    Ids(&'a [i64]),
    Named(&'static str, order::Column),
    Listed(&'static str, order::Column),
}

impl Among<'_> {
    /// `<table>.<column>` is among these.
    fn holds<T: IntoIden, C: IntoIden>(self, table: T, column: C) -> SimpleExpr {
        let col = Expr::col((table, column));
        match self {
            Among::Ids(ids) => col.is_in(ids.iter().copied()),
            // a scalar subquery: an index lookup by its value, NULL (no row) when the common
            // table is empty
            Among::Named(cte, of) => col.eq(SimpleExpr::SubQuery(
                None,
                Box::new(ids_of(cte, of).into_sub_query_statement()),
            )),
            Among::Listed(cte, of) => col.in_subquery(ids_of(cte, of)),
        }
    }
}

/// The `UNION ALL` of `branches`; `None` when there are none.
fn union(branches: Vec<SelectStatement>) -> Option<SelectStatement> {
    let mut branches = branches.into_iter();
    let mut statement = branches.next()?;
    for b in branches {
        statement.union(UnionType::All, b);
    }
    Some(statement)
}

/// The common table `table` of orders read by `body`, the orders' branch (reading it), and
/// the branches of what `wanted` asks for of their customers and payments, selecting by the
/// table's columns (`among`: `Among::Named` or `Among::Listed`), and of their items joined
/// with the rows they refer to when `joined_items`.
fn orders_in(
    layout: &Layout,
    table: &'static str,
    body: SelectStatement,
    among: fn(&'static str, order::Column) -> Among<'static>,
    wanted: WithOrders,
    joined_items: bool,
) -> (WithClause, Vec<SelectStatement>) {
    let mut with = WithClause::new();
    with.cte(common_table(table, body));
    let mut the_orders = layout.branch(&[Block::Order]);
    the_orders.from_as(Alias::new(table), order::Entity);
    let ids = among(table, order::Column::Id);
    let mut branches = vec![the_orders];
    branches.extend(relation_branches(
        layout,
        wanted
            .customer
            .then(|| among(table, order::Column::CustomerId)),
        wanted.payments.then_some(ids),
        wanted
            .items
            .filter(|_| joined_items)
            .map(|joins| (ids, joins)),
    ));
    (with, branches)
}

/// The branches of the customers, payments and (joined) items of orders.
fn relation_branches(
    layout: &Layout,
    customers: Option<Among<'_>>,
    payments: Option<Among<'_>>,
    joined: Option<(Among<'_>, ItemJoins)>,
) -> Vec<SelectStatement> {
    let mut branches = Vec::new();
    if let Some(among) = customers {
        let mut q = layout.branch(&[Block::User]);
        q.from(user::Entity)
            .and_where(among.holds(user::Entity, user::Column::Id));
        branches.push(q);
    }
    if let Some(among) = payments {
        let mut q = layout.branch(&[Block::Payment]);
        q.from(payment::Entity)
            .and_where(among.holds(payment::Entity, payment::Column::OrderId));
        branches.push(q);
    }
    if let Some((among, joins)) = joined {
        branches.push(joined_items(layout, among, joins));
    }
    branches
}

/// The `UNION ALL` of the branches `wanted` asks for; `None` when there is nothing to read.
fn statement(backend: DbBackend, order_ids: &[i64], wanted: Wanted<'_>) -> Option<Statement> {
    let layout = Layout::of_orders(order_ids.len());
    let orders = (!order_ids.is_empty()).then_some(Among::Ids(order_ids));
    let customers = (!wanted.customers.is_empty()).then_some(Among::Ids(wanted.customers));
    // several orders: the items' rows once each, from common tables; one order: joined
    let items = wanted.items.filter(|_| orders.is_some());
    let shared = items.filter(|_| order_ids.len() > 1);
    let joined = items
        .filter(|_| shared.is_none())
        .map(|joins| (Among::Ids(order_ids), joins));
    let mut branches = relation_branches(
        layout,
        customers,
        orders.filter(|_| wanted.payments),
        joined,
    );
    if let Some(joins) = shared {
        branches.extend(item_branches(layout, joins));
    }
    let statement = union(branches)?;
    Some(match shared {
        Some(joins) => {
            let with = item_tables(WithClause::new(), Among::Ids(order_ids), joins);
            backend.build(&statement.with(with))
        }
        None => backend.build(&statement),
    })
}

/// One order by id, if `scope` holds it (the common table), with its relations, and the user
/// `caller` names.
fn order_statement(
    backend: DbBackend,
    id: i64,
    scope: ReadScope,
    wanted: WithOrders,
    caller: Option<i64>,
) -> Statement {
    let layout = &*JOINED;
    let mut found = Query::select();
    found
        .columns(order::Column::iter())
        .from(order::Entity)
        .and_where(Expr::col((order::Entity, order::Column::Id)).eq(id));
    if let Some(condition) = scope_filter(scope) {
        found.and_where(condition);
    }
    // one order's items come with the rows they refer to joined
    let (with, mut branches) = orders_in(layout, ORDER, found, Among::Named, wanted, true);
    if let Some(id) = caller {
        branches.push(caller_branch(layout, Expr::val(id)));
    }
    let statement = union(branches).expect("the order's branch");
    backend.build(&statement.with(with))
}

/// The common tables the item branches read: the items of the orders and, with the stock
/// wanted, the stock rows they name and those rows' locations.
fn item_tables(mut with: WithClause, orders: Among<'_>, joins: ItemJoins) -> WithClause {
    let mut items = Query::select();
    items
        .columns(order_item::Column::iter())
        .from(order_item::Entity)
        .and_where(orders.holds(order_item::Entity, order_item::Column::OrderId));
    with.cte(common_table(ITEMS, items));
    if joins.stock {
        let mut stocks = Query::select();
        stocks
            .columns(stock::Column::iter())
            .from(stock::Entity)
            .and_where(stock::Column::Id.in_subquery(ids_of(ITEMS, order_item::Column::StockId)));
        let mut locations = Query::select();
        locations
            .columns(location::Column::iter())
            .from(location::Entity)
            .and_where(location::Column::Id.in_subquery(ids_of(STOCKS, stock::Column::LocationId)));
        with.cte(common_table(STOCKS, stocks))
            .cte(common_table(LOCATIONS, locations));
    }
    with
}

fn common_table(name: &str, query: SelectStatement) -> CommonTableExpression {
    let mut cte = CommonTableExpression::from_select(query);
    cte.table_name(Alias::new(name));
    cte
}

/// `SELECT <column> FROM <table>`: the ids a common table names.
fn ids_of(table: &str, column: impl IntoIden) -> SelectStatement {
    Query::select()
        .column(column)
        .from(Alias::new(table))
        .to_owned()
}

/// The items from their common table, and the rows they refer to, each once.
fn item_branches(layout: &Layout, joins: ItemJoins) -> Vec<SelectStatement> {
    let branch = |filled: Block| layout.branch(&[filled]);
    // a common table read under its entity's name, so that the blocks' columns find it
    let mut items = branch(Block::Item);
    items.from_as(Alias::new(ITEMS), order_item::Entity);
    let mut out = vec![items];
    if joins.product {
        let mut q = branch(Block::Product);
        q.from(product::Entity).and_where(
            Expr::col((product::Entity, product::Column::Id))
                .in_subquery(ids_of(ITEMS, order_item::Column::ProductId)),
        );
        out.push(q);
    }
    if joins.stock {
        let mut stocks = branch(Block::Stock);
        stocks.from_as(Alias::new(STOCKS), stock::Entity);
        let mut locations = branch(Block::Location);
        locations.from_as(Alias::new(LOCATIONS), location::Entity);
        let mut warehouses = branch(Block::Warehouse);
        warehouses.from(warehouse::Entity).and_where(
            Expr::col((warehouse::Entity, warehouse::Column::Id))
                .in_subquery(ids_of(LOCATIONS, location::Column::WarehouseId)),
        );
        out.extend([stocks, locations, warehouses]);
    }
    out
}

/// The items of the orders with the rows they refer to joined onto each.
fn joined_items(layout: &Layout, orders: Among<'_>, joins: ItemJoins) -> SelectStatement {
    let mut filled = vec![Block::Item];
    if joins.product {
        filled.push(Block::Product);
    }
    if joins.stock {
        filled.extend([Block::Stock, Block::Location, Block::Warehouse]);
    }
    let mut q = layout.branch(&filled);
    q.from(order_item::Entity)
        .and_where(orders.holds(order_item::Entity, order_item::Column::OrderId));
    if joins.product {
        q.inner_join(
            product::Entity,
            Expr::col((product::Entity, product::Column::Id))
                .equals((order_item::Entity, order_item::Column::ProductId)),
        );
    }
    if joins.stock {
        q.left_join(
            stock::Entity,
            Expr::col((stock::Entity, stock::Column::Id))
                .equals((order_item::Entity, order_item::Column::StockId)),
        )
        .left_join(
            location::Entity,
            Expr::col((location::Entity, location::Column::Id))
                .equals((stock::Entity, stock::Column::LocationId)),
        )
        .left_join(
            warehouse::Entity,
            Expr::col((warehouse::Entity, warehouse::Column::Id))
                .equals((location::Entity, location::Column::WarehouseId)),
        );
    }
    q
}

/// Decodes the model whose block is at the columns `slots` unless its id (the block's first
/// column) is NULL (not joined, or not found) or already in `map` (which holds models or
/// `Arc`s of them).
fn once<M: Positional, V: From<M>>(
    row: &QueryResult,
    slots: &[usize],
    map: &mut IdMap<V>,
) -> AppResult<()> {
    if let Some(id) = Option::<i64>::cell(row, slots[0])?
        && !map.contains_key(&id)
    {
        map.insert(id, M::from_slots(row, slots)?.into());
    }
    Ok(())
}

/// The blocks of columns: a table's own columns (the user's summary for a customer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    User,
    Payment,
    Item,
    Product,
    Stock,
    Location,
    Warehouse,
    /// The order itself (one read by id, or a page's).
    Order,
    /// The user who asks, looked up by the read (`auth::riding`).
    Caller,
}

impl Block {
    const ALL: [Block; 9] = [
        Block::User,
        Block::Payment,
        Block::Item,
        Block::Product,
        Block::Stock,
        Block::Location,
        Block::Warehouse,
        Block::Order,
        Block::Caller,
    ];

    /// The block's columns as selected, each with its SQL type.
    fn columns(self) -> Vec<(SimpleExpr, &'static str)> {
        match self {
            Block::User => columns::<user::Entity>(SUMMARY_COLUMNS.into_iter()),
            Block::Payment => columns::<payment::Entity>(payment::Column::iter()),
            Block::Item => columns::<order_item::Entity>(order_item::Column::iter()),
            Block::Product => columns::<product::Entity>(product::Column::iter()),
            Block::Stock => columns::<stock::Entity>(stock::Column::iter()),
            Block::Location => columns::<location::Entity>(location::Column::iter()),
            Block::Warehouse => columns::<warehouse::Entity>(warehouse::Column::iter()),
            Block::Order => columns::<order::Entity>(order::Column::iter()),
            // its `is_active` said by the branch's kind (see `INACTIVE_CALLER`)
            Block::Caller => columns::<user::Entity>(SUMMARY_COLUMNS.into_iter()),
        }
    }
}

fn columns<E: EntityTrait>(
    cols: impl Iterator<Item = E::Column>,
) -> Vec<(SimpleExpr, &'static str)> {
    cols.map(|col| {
        // money is selected as text, as the entity itself selects it
        let expr = col.select_as(Expr::col((E::default().into_iden(), col.into_iden())));
        (expr, sql_type(col.def().get_column_type()))
    })
    .collect()
}

/// A column's SQL type as selected: in a UNION every column has one type across all branches
/// (and an untyped NULL is taken for text).
fn sql_type(column_type: &ColumnType) -> &'static str {
    match column_type {
        ColumnType::BigInteger => "bigint",
        ColumnType::Integer => "integer",
        ColumnType::SmallInteger => "smallint",
        ColumnType::Boolean => "boolean",
        ColumnType::TimestampWithTimeZone => "timestamp with time zone",
        ColumnType::Date => "date",
        // strings of any length, and money (selected as text, see `entity::Money`)
        _ => "text",
    }
}

/// Where each block's columns are in a row. A row fills one block, or (one order's items)
/// an item and the four rows joined onto it, so blocks never filled in the same row share
/// columns of one type: sqlx walks every column of every row, and 43 columns, most of them
/// NULL, were 7.5% of a page of GraphQL orders (BENCHMARKS.md).
struct Layout {
    /// The type of each column after the first (the branch).
    types: Vec<&'static str>,
    /// Each block's columns, in the block's order (by `Block::ALL`'s order).
    slots: [Vec<usize>; Block::ALL.len()],
    /// Whether an item's row carries the rows it refers to (else their columns are others').
    joined: bool,
}

/// The layout of several orders' statement (and a page's): every branch fills one block.
static SHARED: LazyLock<Layout> =
    LazyLock::new(|| Layout::new(&Block::ALL.map(|b| vec![b]), false));

/// The layout of one order's statement: the item with its joined rows in one row.
static JOINED: LazyLock<Layout> = LazyLock::new(|| {
    Layout::new(
        &[
            vec![Block::Order],
            vec![Block::User],
            vec![Block::Payment],
            vec![
                Block::Item,
                Block::Product,
                Block::Stock,
                Block::Location,
                Block::Warehouse,
            ],
            vec![Block::Caller],
        ],
        true,
    )
});

impl Layout {
    /// The layout of the statement for `orders` orders (see `statement`).
    fn of_orders(orders: usize) -> &'static Layout {
        if orders > 1 { &SHARED } else { &JOINED }
    }

    /// Columns for `groups` of blocks: the blocks of a group are filled in the same row, so
    /// they never share a column; blocks of different groups share the columns of their types.
    fn new(groups: &[Vec<Block>], joined: bool) -> Layout {
        let mut types: Vec<&'static str> = Vec::new();
        let mut slots: [Vec<usize>; Block::ALL.len()] = Default::default();
        for group in groups {
            let mut taken = Vec::new();
            for &block in group {
                for (_, ty) in block.columns() {
                    let free = (0..types.len()).find(|&i| types[i] == ty && !taken.contains(&i));
                    let i = free.unwrap_or_else(|| {
                        types.push(ty);
                        types.len() - 1
                    });
                    taken.push(i);
                    slots[block as usize].push(1 + i);
                }
            }
        }
        Layout {
            types,
            slots,
            joined,
        }
    }

    /// The columns of `block`.
    fn of(&self, block: Block) -> &[usize] {
        &self.slots[block as usize]
    }

    /// A branch that fills `filled` and leaves typed NULLs in the other columns; its first
    /// column, the branch's kind, is the index of its first block in `Block::ALL`.
    fn branch(&self, filled: &[Block]) -> SelectStatement {
        let kind = filled.first().map_or(0, |&b| b as usize);
        self.branch_of_kind(filled, Expr::cust(kind.to_string()))
    }

    /// A branch that fills `filled`, its kind `kind`.
    fn branch_of_kind(&self, filled: &[Block], kind: SimpleExpr) -> SelectStatement {
        let mut row: Vec<Option<SimpleExpr>> = vec![None; self.types.len()];
        for &block in filled {
            for ((expr, _), &at) in block.columns().into_iter().zip(self.of(block)) {
                row[at - 1] = Some(expr);
            }
        }
        let mut q = Query::select();
        q.expr(kind);
        for (expr, ty) in row.into_iter().zip(&self.types) {
            q.expr(expr.unwrap_or_else(|| Expr::cust(format!("CAST(NULL AS {ty})"))));
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{QueryFilter, QueryOrder};

    #[test]
    fn the_memoized_statement_is_the_one_the_builder_makes() {
        let joins = [
            None,
            Some(ItemJoins::default()),
            Some(ItemJoins {
                product: true,
                stock: true,
            }),
        ];
        // several orders (their items' rows from common tables), one (joined), none
        let orders: [&[i64]; 3] = [&[5, 9, 2], &[40], &[]];
        let customers: [&[i64]; 3] = [&[], &[3, 1], &[8, 6]];
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            for items in joins {
                for payments in [false, true] {
                    // the first of each shape fills the memo, the other ids are bound into it
                    for shift in [0, 100, 7] {
                        for (order_ids, customers) in orders.iter().zip(customers) {
                            let order_ids: Vec<i64> = order_ids.iter().map(|i| i + shift).collect();
                            let customers: Vec<i64> = customers.iter().map(|i| i * shift).collect();
                            let wanted = Wanted {
                                customers: &customers,
                                payments,
                                items,
                            };
                            let direct = statement(backend, &order_ids, wanted);
                            assert_eq!(built(backend, &order_ids, wanted), direct);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_memoized_statement_of_one_order_is_the_one_the_builder_makes() {
        let joins = [
            None,
            Some(ItemJoins::default()),
            Some(ItemJoins {
                product: true,
                stock: false,
            }),
            Some(ItemJoins {
                product: true,
                stock: true,
            }),
        ];
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            for items in joins {
                for (customer, payments) in
                    [(false, false), (true, false), (false, true), (true, true)]
                {
                    let wanted = WithOrders {
                        customer,
                        payments,
                        items,
                    };
                    // the first of each shape fills the memo, the others are bound into it
                    for (id, scope, caller) in [
                        (7, ReadScope::All, None),
                        (8, ReadScope::Customer(3), Some(3)),
                        (900, ReadScope::All, Some(1)),
                        (12, ReadScope::Customer(40), None),
                        (5, ReadScope::All, Some(77)),
                        (6, ReadScope::Customer(9), Some(9)),
                    ] {
                        let direct = order_statement(backend, id, scope, wanted, caller);
                        // it binds the ids and nothing else, or it could not be memoized
                        let ids = [Some(id), scope.customer(), caller];
                        let bound = ids.iter().flatten().map(|&i| Value::BigInt(Some(i)));
                        assert_eq!(direct.values.as_ref().unwrap().0, bound.collect::<Vec<_>>());
                        let built = built_order(backend, id, scope, wanted, caller);
                        assert_eq!(built, Some(direct));
                    }
                }
            }
        }
    }

    #[test]
    fn a_page_is_read_inside_the_memoized_statement_with_its_own_values() {
        let joins = [
            None,
            Some(ItemJoins {
                product: true,
                stock: true,
            }),
        ];
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            for (items, caller) in joins.into_iter().flat_map(|j| [(j, None), (j, Some(42))]) {
                let wanted = WithOrders {
                    customer: true,
                    payments: true,
                    items,
                };
                let around = page_statement(backend, wanted, caller.is_some());
                assert_eq!(around.sql.matches(PAGE_STAND_IN).count(), 1);
                let stand_ins = around.sql.matches(CALLER_STAND_IN).count();
                assert_eq!(stand_ins, usize::from(caller.is_some()));
                // the first page fills the memo, the second is read inside it
                let spans = [
                    Span::first(20),
                    Span {
                        limit: 100,
                        offset: 300,
                    },
                ];
                for (customer, span) in [(3_i64, spans[0]), (8, spans[1])] {
                    let page = order::Entity::find()
                        .filter(order::Column::CustomerId.eq(customer))
                        .order_by_desc(order::Column::Id)
                        .build(backend);
                    let built =
                        around_page(page.clone(), span, wanted, caller).expect("a statement");
                    // the limit written after the page's ORDER BY, the offset bound after the
                    // page's values, the caller's id after it
                    let own = page.values.as_ref().map_or(0, |v| v.0.len());
                    assert!(own > 0);
                    let mut expected = page.values.clone().unwrap().0;
                    let mut bind = |value: i64| {
                        expected.push(Value::BigInt(Some(value)));
                        match backend {
                            DbBackend::Postgres => format!("${}", expected.len()),
                            _ => "?".to_owned(),
                        }
                    };
                    let offset = match span.offset {
                        0 => String::new(),
                        n => bind(n as i64),
                    };
                    let caller_at = caller.map(&mut bind);
                    let spanned = format!("{}{}", page.sql, span.sql(&offset));
                    assert!(spanned.ends_with(&match span.offset {
                        0 => format!("DESC LIMIT {}", span.limit),
                        _ => format!("DESC LIMIT {} OFFSET {offset}", span.limit),
                    }));
                    let mut sql = around.sql.replace(PAGE_STAND_IN, &spanned);
                    if let Some(at) = caller_at {
                        // the last branch looks the caller up by the id bound last
                        let (_, last) = sql.rsplit_once("UNION ALL").expect("a union");
                        assert!(last.contains(&format!("\"id\" = ({CALLER_STAND_IN})")));
                        sql = sql.replace(CALLER_STAND_IN, &at);
                    }
                    assert_eq!(built.sql, sql);
                    let values = expected.len();
                    assert_eq!(
                        built.values.map(|v| v.0),
                        Some(expected),
                        "the page's values, its offset and the caller's id, and no other"
                    );
                    // each value has its placeholder, and there are no others
                    match backend {
                        DbBackend::Postgres => {
                            for n in 1..=values {
                                assert!(built.sql.contains(&format!("${n}")), "${n}");
                            }
                            assert!(!built.sql.contains(&format!("${}", values + 1)));
                        }
                        _ => assert_eq!(built.sql.matches('?').count(), values),
                    }
                }
            }
        }
    }

    #[test]
    fn blocks_share_columns_of_their_type_unless_filled_in_one_row() {
        let joined_group = [
            Block::Item,
            Block::Product,
            Block::Stock,
            Block::Location,
            Block::Warehouse,
        ];
        // a block's index in `ALL` is `block as usize` (slots and branch kinds rely on it)
        assert!(Block::ALL.iter().enumerate().all(|(i, &b)| b as usize == i));
        for (layout, groups) in [
            (&*SHARED, Block::ALL.map(|b| vec![b]).to_vec()),
            (
                &*JOINED,
                vec![
                    vec![Block::Order],
                    vec![Block::User],
                    vec![Block::Payment],
                    joined_group.to_vec(),
                    vec![Block::Caller],
                ],
            ),
        ] {
            for block in Block::ALL {
                let types: Vec<&str> = block.columns().iter().map(|(_, t)| *t).collect();
                let at: Vec<&str> = layout
                    .of(block)
                    .iter()
                    .map(|&i| layout.types[i - 1])
                    .collect();
                assert_eq!(at, types, "{block:?}: each column where its type is");
            }
            for group in &groups {
                let mut all: Vec<usize> =
                    group.iter().flat_map(|&b| layout.of(b).to_vec()).collect();
                let n = all.len();
                all.sort_unstable();
                all.dedup();
                assert_eq!(all.len(), n, "{group:?} filled in one row share no column");
            }
        }
        // a row of several orders' statement is as wide as its widest block per type
        let mut widest: std::collections::HashMap<&str, usize> = Default::default();
        for block in Block::ALL {
            let mut of_block: std::collections::HashMap<&str, usize> = Default::default();
            for (_, t) in block.columns() {
                *of_block.entry(t).or_default() += 1;
            }
            for (t, n) in of_block {
                let w = widest.entry(t).or_default();
                *w = (*w).max(n);
            }
        }
        assert_eq!(SHARED.types.len(), widest.values().sum::<usize>());
    }

    #[test]
    fn chunks_pair_the_kth_slices_of_both_lists() {
        let orders: Vec<i64> = (1..=7).collect();
        let customers = [10, 11, 12];
        assert_eq!(
            chunks(&orders, &customers, 3),
            vec![
                (&[1, 2, 3][..], &[10, 11, 12][..]),
                (&[4, 5, 6][..], &[][..]),
                (&[7][..], &[][..]),
            ]
        );
        let many: Vec<i64> = (1..=5).collect();
        assert_eq!(
            chunks(&[1], &many, 2),
            vec![
                (&[1][..], &[1, 2][..]),
                (&[][..], &[3, 4][..]),
                (&[][..], &[5][..]),
            ]
        );
        assert!(chunks(&[], &[], 3).is_empty());
        assert_eq!(chunks(&orders, &[], 10), vec![(&orders[..], &[][..])]);
    }
}
