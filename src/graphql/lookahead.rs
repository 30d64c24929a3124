//! What a selection asks to load, known before its fields run: `wants` reads the look-ahead of
//! the order objects of a list, a single order or a mutation's result. A page of `orders` and
//! `order(id:)` read their orders with the `UNION ALL` of their relations
//! (`orders::service::list_orders_with`, `get_order_with`): one statement, whatever the page's
//! size, which looks the caller up too when the query is that one field (`auth::riding`;
//! otherwise the caller's lookup comes first); one more to tell whether rows lie before a
//! cursor the page starts from, and one each for the rarer stock products and categories. `order_graph`
//! loads the graph for orders read otherwise (a mutation's, `node(id:)`'s), in one statement.
//! `catalog_wants` and `catalog_graph` do the same for a page of products or stock rows (one
//! statement per table its selection reaches).
//!
//! The nodes built over the graph (`OrderNode` and what hangs under it) read their relations
//! from it synchronously; anything it does not hold falls back to the request's loaders.

use std::borrow::Borrow;
use std::sync::Arc;

use async_graphql::{Context, Lookahead};
use entity::{order, payment, product, stock};

use crate::db::distinct_ids;
use crate::error::AppResult;
use crate::graphql::context::ContextExt;
use crate::orders::graph::{CatalogWants, OrderGraph, Wants};

/// The relations to load for orders whose selections (look-aheads at `Order` objects, e.g. a
/// connection's `nodes` and `edges.node`) are `selections`. The one place that maps fields to
/// relations.
pub fn wants(selections: &[Lookahead<'_>]) -> Wants {
    let selected = |path: &[&str]| selected(selections, path);
    Wants {
        customer: selected(&["customer"]),
        payments: selected(&["payments"]) || selected(&["amountPaid"]) || selected(&["balanceDue"]),
        items: selected(&["items"]),
        item_product: selected(&["items", "product"]),
        item_stock: selected(&["items", "stock"]),
        stock_product: selected(&["items", "stock", "product"]),
        categories: selected(&["items", "product", "category"])
            || selected(&["items", "stock", "product", "category"]),
    }
}

/// Whether `path` (field names from the selected object down) is selected in any of
/// `selections`.
fn selected(selections: &[Lookahead<'_>], path: &[&str]) -> bool {
    selections.iter().any(|l| {
        let mut l = l.field(path[0]);
        for p in &path[1..] {
            l = l.field(p);
        }
        l.exists()
    })
}

/// The catalog rows to load for products and stock rows whose selections are `selections`
/// (look-aheads at `Product` or `Stock` objects).
pub fn catalog_wants(selections: &[Lookahead<'_>]) -> CatalogWants {
    let label = selected(selections, &["label"]);
    CatalogWants {
        stock_product: selected(selections, &["product"]),
        categories: selected(selections, &["category"])
            || selected(selections, &["product", "category"]),
        locations: label || selected(selections, &["location"]),
        warehouses: label || selected(selections, &["location", "warehouse"]),
    }
}

/// The catalog rows that `selections` reach from these products and stock rows, loaded on the
/// request's connection (no statement when they reach none).
pub async fn catalog_graph(
    ctx: &Context<'_>,
    products: &[&product::Model],
    stocks: &[&stock::Model],
    selections: &[Lookahead<'_>],
) -> AppResult<Arc<OrderGraph>> {
    let wants = catalog_wants(selections);
    let graph = OrderGraph::load_catalog(ctx.db(), products, stocks, wants).await?;
    Ok(Arc::new(graph))
}

/// The graph of what `selections` ask for under these orders, loaded on the request's
/// connection (no statement when they ask for no relation).
pub async fn order_graph<O: Borrow<order::Model>>(
    ctx: &Context<'_>,
    orders: &[O],
    selections: &[Lookahead<'_>],
) -> AppResult<Arc<OrderGraph>> {
    let graph = OrderGraph::load(ctx.db(), orders, wants(selections)).await?;
    Ok(Arc::new(graph))
}

/// For payments whose selections are `selections`: their orders (one statement) with the
/// graph of what is selected under `order` (one more), or `None` when no `order` is selected.
pub async fn payment_orders_graph(
    ctx: &Context<'_>,
    payments: &[&payment::Model],
    selections: &[Lookahead<'_>],
) -> AppResult<Option<Arc<OrderGraph>>> {
    let under_order: Vec<Lookahead<'_>> = selections
        .iter()
        .map(|l| l.field("order"))
        .filter(|l| l.exists())
        .collect();
    if under_order.is_empty() || payments.is_empty() {
        return Ok(None);
    }
    let ids = distinct_ids(payments.iter().map(|p| p.order_id));
    let orders = crate::orders::service::orders_by_id(ctx.db(), &ids).await?;
    let models: Vec<&order::Model> = orders.values().collect();
    let mut graph = OrderGraph::load(ctx.db(), &models, wants(&under_order)).await?;
    graph.orders = orders;
    Ok(Some(Arc::new(graph)))
}
