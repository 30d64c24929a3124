//! What a new order refers to, read in one statement (see `relations` for the reads of
//! existing orders).

use entity::positional::Cell;
use entity::{Positional, product, stock, user};
use sea_orm::sea_query::{Expr, ExprTrait, Query, QueryStatementBuilder};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, Iterable, JoinType, QueryFilter,
    QuerySelect, QueryTrait, RelationTrait, Select,
};

use crate::auth::principal::UserLookup;
use crate::db::IdMap;
use crate::error::AppResult;

/// Adds every column of `E` to the select as `<prefix><column>` (money columns cast as text,
/// as the entity itself selects them).
fn with_columns<E: EntityTrait, S: EntityTrait>(mut select: Select<S>, prefix: &str) -> Select<S> {
    for col in E::Column::iter() {
        let expr = col.select_as(Expr::col((E::default(), col)));
        select = select.expr_as(expr, format!("{prefix}{}", col.as_str()));
    }
    select
}

/// What a new order refers to, read in one statement: the products, the named stock rows that
/// hold those products (joined on both id and product), and whether the customer exists.
#[derive(Debug, Default)]
pub struct OrderRefs {
    pub products: IdMap<product::Model>,
    /// Only stock rows that hold the product of their line.
    pub stocks: IdMap<stock::Model>,
    /// `None` when no customer was asked about.
    pub customer_exists: Option<bool>,
    /// The caller's lookup when it was asked for and a product row carried it (`None` when
    /// no product matched: the caller is then looked up on its own).
    pub caller: Option<UserLookup>,
}

/// The alias of the caller's user row joined to the products.
const CALLER: &str = "caller";

pub async fn order_refs<C: ConnectionTrait>(
    db: &C,
    product_ids: &[i64],
    stock_ids: &[i64],
    customer: Option<i64>,
    caller: Option<i64>,
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
    if let Some(c) = caller {
        // the caller's lookup rides along: one row of it joined to every product row
        QueryTrait::query(&mut select).join_as(
            JoinType::LeftJoin,
            user::Entity,
            CALLER,
            Expr::col((CALLER, user::Column::Id)).eq(c),
        );
        for col in UserLookup::COLUMNS {
            select = select.expr(Expr::col((CALLER, col)));
        }
    }
    let statement = select.build(db.get_database_backend());
    // by position: the product, the stock block if any, the customer count, the caller
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
            let n = i64::cell(&row, at)?;
            refs.customer_exists = Some(n > 0);
            at += 1;
        }
        if caller.is_some() {
            refs.caller = Some(UserLookup::from_columns(&row, at)?);
        }
        refs.products.insert(p.id, p);
    }
    if let (Some(c), None) = (customer, refs.customer_exists) {
        // no product matched: ask separately
        refs.customer_exists = Some(user::Entity::find_by_id(c).one(db).await?.is_some());
    }
    Ok(refs)
}
