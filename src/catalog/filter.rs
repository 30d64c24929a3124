//! Which catalog rows match: the `ProductFilter`, `WarehouseFilter` and `StockFilter` inputs of
//! the catalog lists, each with the `and`/`or`/`not` every filter has. Text is matched as every
//! `StringFilter` matches it: case-sensitively, on both databases (an SKU is a code; the
//! legacy tables' unique names are case-sensitive too), so `eq` and `startsWith` are index
//! range scans on PostgreSQL (Django's `varchar_pattern_ops` indexes on `name` and `sku`).

use entity::{product, stock, warehouse};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};

use crate::filters::{IntFilter, StringFilter, model_filter};

fn product_col(c: product::Column) -> Expr {
    Expr::col((product::Entity, c))
}

fn warehouse_col(c: warehouse::Column) -> Expr {
    Expr::col((warehouse::Entity, c))
}

fn stock_col(c: stock::Column) -> Expr {
    Expr::col((stock::Entity, c))
}

model_filter! {
    /// Which products match: every given field must.
    pub struct ProductFilter {
        id: IntFilter => product_col(product::Column::Id),
        name: StringFilter => product_col(product::Column::Name),
        sku: StringFilter => product_col(product::Column::Sku),
    }
}

model_filter! {
    /// Which warehouses match: every given field must.
    pub struct WarehouseFilter {
        id: IntFilter => warehouse_col(warehouse::Column::Id),
        name: StringFilter => warehouse_col(warehouse::Column::Name),
    }
}

model_filter! {
    /// Which stock rows match: every given field must.
    pub struct StockFilter {
        id: IntFilter => stock_col(stock::Column::Id),
        /// Units held (`{gt: 0}`: in stock).
        quantity: IntFilter => stock_col(stock::Column::Quantity),
    }
    relations {
        /// The row's product matches (its name or SKU, ...).
        product: ProductFilter => stock_product,
    }
}

/// Stock rows whose product matches `f`.
fn stock_product(f: &ProductFilter) -> Condition {
    let products = Query::select()
        .column((product::Entity, product::Column::Id))
        .from(product::Entity)
        .cond_where(f.condition())
        .to_owned();
    Condition::all().add(stock_col(stock::Column::ProductId).in_subquery(products))
}
