//! The catalog and stock rules: categories, products, warehouses, locations and stock rows.
//! Reads (here) are open to anyone who may read; every write (`catalog::editing`, re-exported
//! here) is staff only. Also the batch readers the loaders and the REST layer use to resolve
//! references in one statement per table.

use std::collections::HashMap;

use entity::{category, location, product, stock, warehouse};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::auth::Access;
use crate::error::AppResult;

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
        ) -> AppResult<HashMap<i64, $module::Model>> {
            if ids.is_empty() {
                return Ok(HashMap::new());
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
    format!("{} - {}", warehouse.name, location.code)
}

/// On any connection (the pool, or a request's `Reads`), as every read here.
pub async fn products<C: ConnectionTrait>(
    db: &C,
    access: &Access,
) -> AppResult<Vec<product::Model>> {
    access.read_scope()?;
    Ok(product::Entity::find()
        .order_by_asc(product::Column::Id)
        .all(db)
        .await?)
}

pub async fn warehouses<C: ConnectionTrait>(
    db: &C,
    access: &Access,
) -> AppResult<Vec<warehouse::Model>> {
    access.read_scope()?;
    Ok(warehouse::Entity::find()
        .order_by_asc(warehouse::Column::Id)
        .all(db)
        .await?)
}

pub async fn stocks<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    product_id: Option<i64>,
    location_id: Option<i64>,
) -> AppResult<Vec<stock::Model>> {
    access.read_scope()?;
    let mut q = stock::Entity::find().order_by_asc(stock::Column::Id);
    if let Some(p) = product_id {
        q = q.filter(stock::Column::ProductId.eq(p));
    }
    if let Some(l) = location_id {
        q = q.filter(stock::Column::LocationId.eq(l));
    }
    Ok(q.all(db).await?)
}
