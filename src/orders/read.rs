//! Batch readers: the items of many orders with the rows they reference (product, stock,
//! location, warehouse) in ONE statement, for the GraphQL prefetch and the REST lists.

use std::collections::HashMap;

use entity::{Positional, location, order_item, product, stock, user, warehouse};
use sea_orm::sea_query::{Expr, ExprTrait, Query, QueryStatementBuilder};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, Iterable, JoinType, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, RelationTrait, Select,
};

use crate::error::AppResult;

/// An item with what it references (each `None` when not asked for, or absent).
#[derive(Debug, Clone)]
pub struct ItemRow {
    pub item: order_item::Model,
    pub product: Option<product::Model>,
    pub stock: Option<stock::Model>,
    pub location: Option<location::Model>,
    pub warehouse: Option<warehouse::Model>,
}

/// Which references to join in.
#[derive(Debug, Clone, Copy, Default)]
pub struct ItemJoins {
    pub product: bool,
    /// The stock row with its location and warehouse.
    pub stock: bool,
}

/// Adds every column of `E` to the select as `<prefix><column>` (money columns cast as text,
/// as the entity itself selects them).
fn with_columns<E: EntityTrait, S: EntityTrait>(mut select: Select<S>, prefix: &str) -> Select<S> {
    for col in E::Column::iter() {
        let expr = col.select_as(Expr::col((E::default(), col)));
        select = select.expr_as(expr, format!("{prefix}{}", col.as_str()));
    }
    select
}

/// The items of `order_ids` (in order id, then item id order) with the joined references;
/// every asked order gets an entry.
pub async fn items_with_refs<C: ConnectionTrait>(
    db: &C,
    order_ids: &[i64],
    joins: ItemJoins,
) -> AppResult<HashMap<i64, Vec<ItemRow>>> {
    let mut map: HashMap<i64, Vec<ItemRow>> =
        order_ids.iter().map(|id| (*id, Vec::new())).collect();
    if order_ids.is_empty() {
        return Ok(map);
    }
    let mut select = order_item::Entity::find()
        .filter(order_item::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(order_item::Column::OrderId)
        .order_by_asc(order_item::Column::Id);
    if joins.product {
        select = select.join(JoinType::InnerJoin, order_item::Relation::Product.def());
        select = with_columns::<product::Entity, _>(select, "p_");
    }
    if joins.stock {
        select = select
            .join(JoinType::LeftJoin, order_item::Relation::Stock.def())
            .join(JoinType::LeftJoin, stock::Relation::Location.def())
            .join(JoinType::LeftJoin, location::Relation::Warehouse.def());
        select = with_columns::<stock::Entity, _>(select, "s_");
        select = with_columns::<location::Entity, _>(select, "l_");
        select = with_columns::<warehouse::Entity, _>(select, "w_");
    }
    // decoded by position: the item's columns, then each joined block in the order added
    let statement = select.build(db.get_database_backend());
    for row in db.query_all_raw(statement).await? {
        let item = order_item::Model::from_columns(&row, 0)?;
        let mut at = order_item::Model::WIDTH;
        let product = if joins.product {
            let p = product::Model::from_columns_optional(&row, at)?;
            at += product::Model::WIDTH;
            p
        } else {
            None
        };
        let (stock, location, warehouse) = if joins.stock {
            let s = stock::Model::from_columns_optional(&row, at)?;
            at += stock::Model::WIDTH;
            let l = location::Model::from_columns_optional(&row, at)?;
            at += location::Model::WIDTH;
            (s, l, warehouse::Model::from_columns_optional(&row, at)?)
        } else {
            (None, None, None)
        };
        map.entry(item.order_id).or_default().push(ItemRow {
            item,
            product,
            stock,
            location,
            warehouse,
        });
    }
    Ok(map)
}

/// What a new order refers to, read in one statement: the products, the named stock rows that
/// hold those products (joined on both id and product), and whether the customer exists.
#[derive(Debug, Default)]
pub struct OrderRefs {
    pub products: HashMap<i64, product::Model>,
    /// Only stock rows that hold the product of their line.
    pub stocks: HashMap<i64, stock::Model>,
    /// `None` when no customer was asked about.
    pub customer_exists: Option<bool>,
}

pub async fn order_refs<C: ConnectionTrait>(
    db: &C,
    product_ids: &[i64],
    stock_ids: &[i64],
    customer: Option<i64>,
) -> AppResult<OrderRefs> {
    let mut refs = OrderRefs::default();
    if product_ids.is_empty() {
        if let Some(c) = customer {
            refs.customer_exists = Some(user::Entity::find_by_id(c).one(db).await?.is_some());
        }
        return Ok(refs);
    }
    let mut select =
        product::Entity::find().filter(product::Column::Id.is_in(product_ids.iter().copied()));
    if !stock_ids.is_empty() {
        let wanted: Vec<i64> = stock_ids.to_vec();
        let on = product::Relation::Stock
            .def()
            .on_condition(move |_, right| {
                Expr::col((right, stock::Column::Id))
                    .is_in(wanted.clone())
                    .into()
            });
        select = with_columns::<stock::Entity, _>(select.join(JoinType::LeftJoin, on), "s_");
    }
    if let Some(c) = customer {
        let count = Query::select()
            .expr(Expr::col((user::Entity, user::Column::Id)).count())
            .from(user::Entity)
            .and_where(Expr::col((user::Entity, user::Column::Id)).eq(c))
            .to_owned();
        select = select.expr_as(
            Expr::SubQuery(None, Box::new(count.into_sub_query_statement())),
            "customer_count",
        );
    }
    let statement = select.build(db.get_database_backend());
    // by position: the product, the stock block if any, then the customer count
    for row in db.query_all_raw(statement).await? {
        let p = product::Model::from_columns(&row, 0)?;
        let mut at = product::Model::WIDTH;
        if !stock_ids.is_empty() {
            if let Some(s) = stock::Model::from_columns_optional(&row, at)? {
                refs.stocks.insert(s.id, s);
            }
            at += stock::Model::WIDTH;
        }
        if customer.is_some() {
            let n: i64 = row.try_get_by_index(at)?;
            refs.customer_exists = Some(n > 0);
        }
        refs.products.insert(p.id, p);
    }
    if let (Some(c), None) = (customer, refs.customer_exists) {
        // no product matched: ask separately
        refs.customer_exists = Some(user::Entity::find_by_id(c).one(db).await?.is_some());
    }
    Ok(refs)
}
