//! Which catalog rows match: the `ProductFilter`, `WarehouseFilter` and `StockFilter` inputs of
//! the catalog lists, each with the `and`/`or`/`not` every filter has. Text is matched as every
//! `StringFilter` matches it: case-sensitively, on both databases (an SKU is a code; the
//! legacy tables' unique names are case-sensitive too), so `eq` and `startsWith` are index
//! range scans on PostgreSQL (Django's `varchar_pattern_ops` indexes on `name` and `sku`).

use async_graphql::InputObject;
use entity::{product, stock, warehouse};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};

use crate::filters::{IntFilter, StringFilter, combine};

fn product_col(c: product::Column) -> Expr {
    Expr::col((product::Entity, c))
}

/// Which products match: every given field must.
#[derive(Debug, Clone, Default, InputObject)]
pub struct ProductFilter {
    pub id: Option<IntFilter>,
    pub name: Option<StringFilter>,
    pub sku: Option<StringFilter>,
    /// Every one of these matches too.
    pub and: Option<Vec<ProductFilter>>,
    /// At least one of these matches too (none, for an empty list).
    pub or: Option<Vec<ProductFilter>>,
    /// This does not match.
    pub not: Option<Box<ProductFilter>>,
}

impl ProductFilter {
    /// The products this filter keeps, as a condition over `products_product`.
    pub fn condition(&self) -> Condition {
        let fields = Condition::all()
            .add_option(
                self.id
                    .as_ref()
                    .map(|f| f.condition(&product_col(product::Column::Id))),
            )
            .add_option(
                self.name
                    .as_ref()
                    .map(|f| f.condition(&product_col(product::Column::Name))),
            )
            .add_option(
                self.sku
                    .as_ref()
                    .map(|f| f.condition(&product_col(product::Column::Sku))),
            );
        combine(
            fields,
            self.and.as_deref(),
            self.or.as_deref(),
            self.not.as_deref(),
            Self::condition,
        )
    }
}

/// Which warehouses match: every given field must.
#[derive(Debug, Clone, Default, InputObject)]
pub struct WarehouseFilter {
    pub id: Option<IntFilter>,
    pub name: Option<StringFilter>,
    /// Every one of these matches too.
    pub and: Option<Vec<WarehouseFilter>>,
    /// At least one of these matches too (none, for an empty list).
    pub or: Option<Vec<WarehouseFilter>>,
    /// This does not match.
    pub not: Option<Box<WarehouseFilter>>,
}

impl WarehouseFilter {
    /// The warehouses this filter keeps, as a condition over `wms_warehouse`.
    pub fn condition(&self) -> Condition {
        let col = |c: warehouse::Column| Expr::col((warehouse::Entity, c));
        let fields = Condition::all()
            .add_option(
                self.id
                    .as_ref()
                    .map(|f| f.condition(&col(warehouse::Column::Id))),
            )
            .add_option(
                self.name
                    .as_ref()
                    .map(|f| f.condition(&col(warehouse::Column::Name))),
            );
        combine(
            fields,
            self.and.as_deref(),
            self.or.as_deref(),
            self.not.as_deref(),
            Self::condition,
        )
    }
}

/// Which stock rows match: every given field must.
#[derive(Debug, Clone, Default, InputObject)]
pub struct StockFilter {
    pub id: Option<IntFilter>,
    /// Units held (`{gt: 0}`: in stock).
    pub quantity: Option<IntFilter>,
    /// The row's product matches (its name or SKU, ...).
    pub product: Option<ProductFilter>,
    /// Every one of these matches too.
    pub and: Option<Vec<StockFilter>>,
    /// At least one of these matches too (none, for an empty list).
    pub or: Option<Vec<StockFilter>>,
    /// This does not match.
    pub not: Option<Box<StockFilter>>,
}

impl StockFilter {
    /// The stock rows this filter keeps, as a condition over `wms_stock`.
    pub fn condition(&self) -> Condition {
        let col = |c: stock::Column| Expr::col((stock::Entity, c));
        let fields = Condition::all()
            .add_option(
                self.id
                    .as_ref()
                    .map(|f| f.condition(&col(stock::Column::Id))),
            )
            .add_option(
                self.quantity
                    .as_ref()
                    .map(|f| f.condition(&col(stock::Column::Quantity))),
            )
            .add_option(self.product.as_ref().map(|f| {
                let products = Query::select()
                    .column((product::Entity, product::Column::Id))
                    .from(product::Entity)
                    .cond_where(f.condition())
                    .to_owned();
                Condition::all().add(col(stock::Column::ProductId).in_subquery(products))
            }));
        combine(
            fields,
            self.and.as_deref(),
            self.or.as_deref(),
            self.not.as_deref(),
            Self::condition,
        )
    }
}
