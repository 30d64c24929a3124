//! The catalog's types: `Product`, `Category`, `Warehouse`, `Location` and `Stock`, each with
//! the graph of the page or order it was reached from, if any (see `OrderNode`).

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use entity::{category, location, product, stock, warehouse};

use crate::catalog::service::stock_label;
use crate::error::AppResult;
use crate::graphql::context::ContextExt;
use crate::graphql::global_id::{self, NodeType};
use crate::graphql::loaders::missing;
use crate::graphql::scalars::Dec;
use crate::orders::graph::OrderGraph;

/// A product, with the graph it was reached from, if any. The row is shared with the graph
/// (every line of a page that names the product points at one row, none copies it).
pub struct ProductNode {
    product: Arc<product::Model>,
    graph: Option<Arc<OrderGraph>>,
}

impl ProductNode {
    pub fn new(product: impl Into<Arc<product::Model>>, graph: Option<Arc<OrderGraph>>) -> Self {
        ProductNode {
            product: product.into(),
            graph,
        }
    }

    /// The product `id` that a node of `graph` refers to: from the graph, else through the
    /// request's loader.
    pub async fn of(
        ctx: &Context<'_>,
        graph: Option<&Arc<OrderGraph>>,
        id: i64,
    ) -> AppResult<ProductNode> {
        let product = graph_or_loaded(
            graph.and_then(|g| g.products.get(&id)),
            ctx.loaders().products().load_one(id),
            "product",
            id,
        )
        .await?;
        Ok(ProductNode::new(product, graph.cloned()))
    }
}

#[Object(name = "Product", serial)]
impl ProductNode {
    async fn id(&self) -> i64 {
        self.product.id
    }

    /// The global id (Relay): opaque, unique across types; `node(id:)` refetches the object.
    pub async fn node_id(&self) -> ID {
        global_id::encode(NodeType::Product, self.product.id)
    }

    async fn name(&self) -> &str {
        &self.product.name
    }

    async fn sku(&self) -> &str {
        &self.product.sku
    }

    async fn price(&self) -> Dec {
        self.product.price.into()
    }

    async fn description(&self) -> Option<&str> {
        self.product.description.as_deref()
    }

    async fn category(&self, ctx: &Context<'_>) -> AppResult<CategoryNode> {
        let id = self.product.category_id;
        if let Some(c) = self.graph.as_ref().and_then(|g| g.categories.get(&id)) {
            return Ok(c.clone().into());
        }
        ctx.loaders()
            .categories()
            .load_one(id)
            .await?
            .map(CategoryNode::from)
            .ok_or_else(|| missing("category", id))
    }
}

#[derive(SimpleObject)]
#[graphql(name = "Category", serial)]
pub struct CategoryNode {
    pub id: i64,
    pub name: String,
    pub slug: String,
}

impl From<category::Model> for CategoryNode {
    fn from(c: category::Model) -> Self {
        CategoryNode {
            id: c.id,
            name: c.name,
            slug: c.slug,
        }
    }
}

/// A warehouse: its row, shared with the graph it was reached from, if any.
pub struct WarehouseNode(Arc<warehouse::Model>);

impl<W: Into<Arc<warehouse::Model>>> From<W> for WarehouseNode {
    fn from(w: W) -> Self {
        WarehouseNode(w.into())
    }
}

#[Object(name = "Warehouse", serial)]
impl WarehouseNode {
    async fn id(&self) -> i64 {
        self.0.id
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
}

/// A stock location, with the graph it was reached from, if any (the row shared with it).
pub struct LocationNode {
    location: Arc<location::Model>,
    graph: Option<Arc<OrderGraph>>,
}

impl LocationNode {
    pub fn new(location: impl Into<Arc<location::Model>>, graph: Option<Arc<OrderGraph>>) -> Self {
        LocationNode {
            location: location.into(),
            graph,
        }
    }
}

#[Object(name = "Location", serial)]
impl LocationNode {
    async fn id(&self) -> i64 {
        self.location.id
    }

    async fn code(&self) -> &str {
        &self.location.code
    }

    async fn description(&self) -> Option<&str> {
        self.location.description.as_deref()
    }

    async fn warehouse(&self, ctx: &Context<'_>) -> AppResult<WarehouseNode> {
        warehouse_of(ctx, self.graph.as_deref(), &self.location)
            .await
            .map(WarehouseNode::from)
    }
}

/// A stock row, with the graph it was reached from, if any.
pub struct StockNode {
    stock: stock::Model,
    graph: Option<Arc<OrderGraph>>,
}

impl StockNode {
    pub fn new(stock: stock::Model, graph: Option<Arc<OrderGraph>>) -> Self {
        StockNode { stock, graph }
    }

    async fn location_row(&self, ctx: &Context<'_>) -> AppResult<Arc<location::Model>> {
        let id = self.stock.location_id;
        graph_or_loaded(
            self.graph.as_ref().and_then(|g| g.locations.get(&id)),
            ctx.loaders().locations().load_one(id),
            "location",
            id,
        )
        .await
    }
}

#[Object(name = "Stock", serial)]
impl StockNode {
    async fn id(&self) -> i64 {
        self.stock.id
    }

    /// The global id (Relay): opaque, unique across types; `node(id:)` refetches the object.
    pub async fn node_id(&self) -> ID {
        global_id::encode(NodeType::Stock, self.stock.id)
    }

    async fn product(&self, ctx: &Context<'_>) -> AppResult<ProductNode> {
        ProductNode::of(ctx, self.graph.as_ref(), self.stock.product_id).await
    }

    async fn location(&self, ctx: &Context<'_>) -> AppResult<LocationNode> {
        Ok(LocationNode::new(
            self.location_row(ctx).await?,
            self.graph.clone(),
        ))
    }

    async fn quantity(&self) -> i32 {
        self.stock.quantity
    }

    /// `"<warehouse name> - <location code>"`, e.g. `"Main WH - A1"`.
    async fn label(&self, ctx: &Context<'_>) -> AppResult<String> {
        let location = self.location_row(ctx).await?;
        let warehouse = warehouse_of(ctx, self.graph.as_deref(), &location).await?;
        Ok(stock_label(&warehouse, &location))
    }
}

/// The warehouse of a location: from the graph, else through the loader.
async fn warehouse_of(
    ctx: &Context<'_>,
    graph: Option<&OrderGraph>,
    location: &location::Model,
) -> AppResult<Arc<warehouse::Model>> {
    let id = location.warehouse_id;
    graph_or_loaded(
        graph.and_then(|g| g.warehouses.get(&id)),
        ctx.loaders().warehouses().load_one(id),
        "warehouse",
        id,
    )
    .await
}

/// A row a node refers to: the graph's shared one when the graph holds it, else the one the
/// request's loader reads (`load` runs only then); a row missing from both is an error.
async fn graph_or_loaded<M>(
    in_graph: Option<&Arc<M>>,
    load: impl Future<Output = AppResult<Option<M>>>,
    what: &str,
    id: i64,
) -> AppResult<Arc<M>> {
    match in_graph {
        Some(row) => Ok(row.clone()),
        None => load.await?.map(Arc::new).ok_or_else(|| missing(what, id)),
    }
}
