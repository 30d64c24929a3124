//! An `OrderGraph`: a set of orders with every relation a client asked for: customers,
//! payments and items with their products and stock locations in one statement
//! (`relations`), and the rarer categories and stock products in one statement each. REST
//! renders its orders from one; GraphQL's nodes of a query read their relations from the
//! request's graph (`graphql::nodes`). The catalog rows that a page of products or stock rows
//! refers to fill one the same way (`load_catalog`).

use std::borrow::Borrow;
use std::sync::Arc;

use entity::{category, location, order, order_item, payment, product, stock, warehouse};
use sea_orm::{ConnectionTrait, Select};

use crate::auth::ReadScope;
use crate::auth::riding::Along;
use crate::auth::service::UserSummary;
use crate::catalog::service as catalog;
use crate::db::{IdMap, distinct_ids};
use crate::error::AppResult;
use crate::listing::Span;
use crate::orders::relations::{self, ItemJoins};

/// Which relations of the orders are wanted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wants {
    pub customer: bool,
    pub payments: bool,
    pub items: bool,
    pub item_product: bool,
    pub item_stock: bool,
    /// The stock row's own product.
    pub stock_product: bool,
    /// Categories of the products loaded.
    pub categories: bool,
}

/// Which catalog rows that products and stock rows refer to are wanted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatalogWants {
    /// The stock rows' products.
    pub stock_product: bool,
    /// The categories of the products (those given and the stock rows').
    pub categories: bool,
    /// The stock rows' locations.
    pub locations: bool,
    /// The warehouses of those locations.
    pub warehouses: bool,
}

/// The orders' relations, by id.
#[derive(Debug, Default)]
pub struct OrderGraph {
    /// The orders themselves, when whoever loaded the graph had to look them up (the orders of
    /// a page of payments); empty otherwise.
    pub orders: IdMap<order::Model>,
    pub customers: IdMap<UserSummary>,
    /// Items of each order (every order asked for has an entry when items were wanted).
    pub items: IdMap<Vec<order_item::Model>>,
    pub payments: IdMap<Vec<payment::Model>>,
    /// Products, locations and warehouses repeat from line to line: each row is read once and
    /// shared (`Arc`) with every GraphQL node that shows it, not copied into each.
    pub products: IdMap<Arc<product::Model>>,
    pub categories: IdMap<category::Model>,
    pub stocks: IdMap<stock::Model>,
    pub locations: IdMap<Arc<location::Model>>,
    pub warehouses: IdMap<Arc<warehouse::Model>>,
}

/// What the relations' statement reads with orders read by it (one by id, or a page).
fn wanted(wants: Wants) -> relations::WithOrders {
    relations::WithOrders {
        customer: wants.customer,
        payments: wants.payments,
        items: wants.items.then_some(ItemJoins {
            product: wants.item_product,
            stock: wants.item_stock,
        }),
    }
}

/// Rows by id, each behind an `Arc` of its own.
fn shared<M>(rows: IdMap<M>) -> IdMap<Arc<M>> {
    rows.into_iter().map(|(id, m)| (id, Arc::new(m))).collect()
}

impl OrderGraph {
    /// `"<warehouse> - <location code>"` of a loaded stock row (REST's `stock`).
    pub fn stock_label(&self, stock_id: i64) -> Option<String> {
        let location = self
            .locations
            .get(&self.stocks.get(&stock_id)?.location_id)?;
        let warehouse = self.warehouses.get(&location.warehouse_id)?;
        Some(catalog::stock_label(warehouse, location))
    }

    /// Loads what `wants` asks for, for all `orders` at once.
    pub async fn load<C: ConnectionTrait, O: Borrow<order::Model>>(
        db: &C,
        orders: &[O],
        wants: Wants,
    ) -> AppResult<OrderGraph> {
        if orders.is_empty() {
            return Ok(OrderGraph::default());
        }
        let order_ids: Vec<i64> = orders.iter().map(|o| o.borrow().id).collect();
        let customer_ids = if wants.customer {
            distinct_ids(orders.iter().map(|o| o.borrow().customer_id))
        } else {
            Vec::new()
        };
        // customers, payments, and items with their product, stock, location and warehouse:
        // one statement
        let with = wanted(wants);
        let wanted = relations::Wanted {
            customers: &customer_ids,
            payments: with.payments,
            items: with.items,
        };
        let mut g = relations::load(db, &order_ids, wanted).await?;
        g.complete(db, wants).await?;
        Ok(g)
    }

    /// The order of `id` if `scope` holds it, with what `wants` asks for, and the user
    /// `caller` names looked up (`auth::riding`): one statement for all (and one more each for
    /// the rarer stock products and categories).
    pub async fn load_order<C: ConnectionTrait>(
        db: &C,
        id: i64,
        scope: ReadScope,
        wants: Wants,
        caller: Option<i64>,
    ) -> AppResult<Along<Option<(order::Model, OrderGraph)>>> {
        let (found, lookup) = relations::load_order(db, id, scope, wanted(wants), caller).await?;
        let Some((order, mut g)) = found else {
            return Ok((None, lookup));
        };
        g.complete(db, wants).await?;
        Ok((Some((order, g)), lookup))
    }

    /// The orders `page` selects (scoped, filtered and ordered; `span` cuts it) with what
    /// `wants` asks for, and the user `caller` names looked up: one statement for all (and one
    /// more each for the rarer stock products and categories). The orders in no particular
    /// order.
    pub async fn load_page<C: ConnectionTrait>(
        db: &C,
        page: Select<order::Entity>,
        span: Span,
        wants: Wants,
        caller: Option<i64>,
    ) -> AppResult<Along<(Vec<order::Model>, OrderGraph)>> {
        let ((orders, mut g), lookup) =
            relations::load_page(db, page, span, wanted(wants), caller).await?;
        g.complete(db, wants).await?;
        Ok(((orders, g), lookup))
    }

    /// Reads what `wants` asks for beyond the relations statement: the stock rows' own
    /// products and the products' categories.
    async fn complete<C: ConnectionTrait>(&mut self, db: &C, wants: Wants) -> AppResult<()> {
        if wants.stock_product {
            let missing = distinct_ids(
                self.stocks
                    .values()
                    .map(|s| s.product_id)
                    .filter(|id| !self.products.contains_key(id)),
            );
            self.products
                .extend(shared(catalog::products_by_id(db, &missing).await?));
        }
        if wants.categories {
            let ids = distinct_ids(self.products.values().map(|p| p.category_id));
            self.categories = catalog::categories_by_id(db, &ids).await?;
        }
        Ok(())
    }

    /// The catalog rows that `products` and `stocks` refer to, as `wants` asks: one statement
    /// per table wanted, none for a table with nothing to read.
    pub async fn load_catalog<C: ConnectionTrait>(
        db: &C,
        products: &[&product::Model],
        stocks: &[&stock::Model],
        wants: CatalogWants,
    ) -> AppResult<OrderGraph> {
        let mut g = OrderGraph::default();
        if wants.stock_product {
            let ids = distinct_ids(stocks.iter().map(|s| s.product_id));
            g.products = shared(catalog::products_by_id(db, &ids).await?);
        }
        if wants.categories {
            let of = products
                .iter()
                .copied()
                .chain(g.products.values().map(|p| &**p));
            let ids = distinct_ids(of.map(|p| p.category_id));
            g.categories = catalog::categories_by_id(db, &ids).await?;
        }
        if wants.locations || wants.warehouses {
            let ids = distinct_ids(stocks.iter().map(|s| s.location_id));
            g.locations = shared(catalog::locations_by_id(db, &ids).await?);
        }
        if wants.warehouses {
            let ids = distinct_ids(g.locations.values().map(|l| l.warehouse_id));
            g.warehouses = shared(catalog::warehouses_by_id(db, &ids).await?);
        }
        Ok(g)
    }
}
