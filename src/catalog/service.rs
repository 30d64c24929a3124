//! The catalog and stock rules: categories, products, warehouses, locations and stock rows.
//! Reads (here: the keyset-paged lists of products, warehouses and stock, and their counts) are
//! open to anyone who may read; every write (`catalog::editing`, re-exported here) is staff
//! only. Also the batch readers the loaders and the REST layer use to resolve references in
//! one statement per table.

use entity::{category, location, product, stock, warehouse};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Select};

use crate::auth::Access;
use crate::catalog::filter::{ProductFilter, StockFilter, WarehouseFilter};
use crate::db::IdMap;
use crate::error::AppResult;
use crate::listing::{self, KeyKind, KeyValue, Page, PageRequest, Sort, SortKey};

pub use crate::catalog::editing::{
    NewProduct, adjust_stock, create_category, create_location, create_product, create_stock,
    create_warehouse, slugify,
};

/// Rows of `E` by id, in one statement (none for an empty list).
macro_rules! by_ids {
    ($name:ident, $module:ident) => {
        pub async fn $name<C: ConnectionTrait>(
            db: &C,
            ids: &[i64],
        ) -> AppResult<IdMap<$module::Model>> {
            if ids.is_empty() {
                return Ok(IdMap::default());
            }
            let rows = $module::Entity::find()
                .filter($module::Column::Id.is_in(ids.iter().copied()))
                .all(db)
                .await?;
            Ok(rows.into_iter().map(|r| (r.id, r)).collect())
        }
    };
}

by_ids!(products_by_id, product);
by_ids!(categories_by_id, category);
by_ids!(stocks_by_id, stock);
by_ids!(locations_by_id, location);
by_ids!(warehouses_by_id, warehouse);

/// How the legacy application names a stock row: `"<warehouse name> - <location code>"`, e.g.
/// `"Main WH - A1"` (GraphQL's `Stock.label`, REST's `stock`).
pub fn stock_label(warehouse: &warehouse::Model, location: &location::Model) -> String {
    // `concat` sizes the string once; `format!` would write it piece by piece through
    // `fmt::write`, and a REST list writes a label per line
    [warehouse.name.as_str(), " - ", location.code.as_str()].concat()
}

/// What selects the rows of the stock list: its product and location arguments and its filter.
#[derive(Debug, Clone, Default)]
pub struct StockQuery {
    pub product_id: Option<i64>,
    pub location_id: Option<i64>,
    pub filter: Option<StockFilter>,
}

/// A catalog list's order: by id, oldest first (as the lists were before they were paged).
fn by_id(column: Expr) -> Sort {
    Sort {
        keys: vec![SortKey {
            name: "id",
            column,
            kind: KeyKind::Int,
            nullable: false,
            descending: false,
        }],
    }
}

fn filtered<E: EntityTrait>(access: &Access, condition: Option<Condition>) -> AppResult<Select<E>> {
    access.read_scope()?;
    let select = E::find();
    Ok(match condition {
        Some(c) => select.filter(c),
        None => select,
    })
}

fn products_of(
    access: &Access,
    filter: Option<&ProductFilter>,
) -> AppResult<Select<product::Entity>> {
    filtered(access, filter.map(ProductFilter::condition))
}

fn warehouses_of(
    access: &Access,
    filter: Option<&WarehouseFilter>,
) -> AppResult<Select<warehouse::Entity>> {
    filtered(access, filter.map(WarehouseFilter::condition))
}

fn stocks_of(access: &Access, query: &StockQuery) -> AppResult<Select<stock::Entity>> {
    let mut select = filtered(access, query.filter.as_ref().map(StockFilter::condition))?;
    if let Some(p) = query.product_id {
        select = select.filter(stock::Column::ProductId.eq(p));
    }
    if let Some(l) = query.location_id {
        select = select.filter(stock::Column::LocationId.eq(l));
    }
    Ok(select)
}

/// One page of the products that match, in id order. Catalog data: anyone who may read reads
/// it. On any connection (the pool, or a request's `Reads`), as every read here.
pub async fn list_products<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    filter: Option<&ProductFilter>,
    page: &PageRequest,
) -> AppResult<Page<product::Model>> {
    let sort = by_id(Expr::col((product::Entity, product::Column::Id)));
    listing::fetch_page(db, products_of(access, filter)?, &sort, page, |p| {
        vec![KeyValue::Int(p.id)]
    })
    .await
}

/// How many products match.
pub async fn count_products<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    filter: Option<&ProductFilter>,
) -> AppResult<u64> {
    Ok(products_of(access, filter)?.count(db).await?)
}

/// One page of the warehouses that match, in id order.
pub async fn list_warehouses<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    filter: Option<&WarehouseFilter>,
    page: &PageRequest,
) -> AppResult<Page<warehouse::Model>> {
    let sort = by_id(Expr::col((warehouse::Entity, warehouse::Column::Id)));
    listing::fetch_page(db, warehouses_of(access, filter)?, &sort, page, |w| {
        vec![KeyValue::Int(w.id)]
    })
    .await
}

/// How many warehouses match.
pub async fn count_warehouses<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    filter: Option<&WarehouseFilter>,
) -> AppResult<u64> {
    Ok(warehouses_of(access, filter)?.count(db).await?)
}

/// One page of the stock rows that match, in id order.
pub async fn list_stocks<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    query: &StockQuery,
    page: &PageRequest,
) -> AppResult<Page<stock::Model>> {
    let sort = by_id(Expr::col((stock::Entity, stock::Column::Id)));
    listing::fetch_page(db, stocks_of(access, query)?, &sort, page, |s| {
        vec![KeyValue::Int(s.id)]
    })
    .await
}

/// How many stock rows match.
pub async fn count_stocks<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    query: &StockQuery,
) -> AppResult<u64> {
    Ok(stocks_of(access, query)?.count(db).await?)
}
