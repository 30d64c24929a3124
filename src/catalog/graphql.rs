//! The GraphQL face of the catalog: products, categories, warehouses, locations, stock.

use std::sync::Arc;

use async_graphql::{Context, InputObject, Object, SimpleObject};
use entity::{category, location, product, stock, warehouse};

use crate::catalog::service::{self, NewProduct};
use crate::error::AppResult;
use crate::graphql::context::ContextExt;
use crate::graphql::loaders::missing;
use crate::graphql::scalars::Dec;
use crate::orders::graph::OrderGraph;

/// A product, with the graph of the order it was reached from, if any (see `OrderNode`).
pub struct ProductNode {
    product: product::Model,
    graph: Option<Arc<OrderGraph>>,
}

impl ProductNode {
    pub fn new(product: product::Model, graph: Option<Arc<OrderGraph>>) -> Self {
        ProductNode { product, graph }
    }
}

#[Object(name = "Product", serial)]
impl ProductNode {
    async fn id(&self) -> i64 {
        self.product.id
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

#[derive(SimpleObject)]
#[graphql(name = "Warehouse", serial)]
pub struct WarehouseNode {
    pub id: i64,
    pub name: String,
    pub address: Option<String>,
}

impl From<warehouse::Model> for WarehouseNode {
    fn from(w: warehouse::Model) -> Self {
        WarehouseNode {
            id: w.id,
            name: w.name,
            address: w.address,
        }
    }
}

/// A stock location, with the graph of the order it was reached from, if any.
pub struct LocationNode {
    location: location::Model,
    graph: Option<Arc<OrderGraph>>,
}

impl LocationNode {
    pub fn new(location: location::Model, graph: Option<Arc<OrderGraph>>) -> Self {
        LocationNode { location, graph }
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

/// A stock row, with the graph of the order it was reached from, if any.
pub struct StockNode {
    stock: stock::Model,
    graph: Option<Arc<OrderGraph>>,
}

impl StockNode {
    pub fn new(stock: stock::Model, graph: Option<Arc<OrderGraph>>) -> Self {
        StockNode { stock, graph }
    }

    async fn location_row(&self, ctx: &Context<'_>) -> AppResult<location::Model> {
        let id = self.stock.location_id;
        if let Some(l) = self.graph.as_ref().and_then(|g| g.locations.get(&id)) {
            return Ok(l.clone());
        }
        ctx.loaders()
            .locations()
            .load_one(id)
            .await?
            .ok_or_else(|| missing("location", id))
    }
}

#[Object(name = "Stock", serial)]
impl StockNode {
    async fn id(&self) -> i64 {
        self.stock.id
    }

    async fn product(&self, ctx: &Context<'_>) -> AppResult<ProductNode> {
        let id = self.stock.product_id;
        let product = match self.graph.as_ref().and_then(|g| g.products.get(&id)) {
            Some(found) => found.clone(),
            None => ctx
                .loaders()
                .products()
                .load_one(id)
                .await?
                .ok_or_else(|| missing("product", id))?,
        };
        Ok(ProductNode::new(product, self.graph.clone()))
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
) -> AppResult<warehouse::Model> {
    let id = location.warehouse_id;
    if let Some(w) = graph.and_then(|g| g.warehouses.get(&id)) {
        return Ok(w.clone());
    }
    ctx.loaders()
        .warehouses()
        .load_one(id)
        .await?
        .ok_or_else(|| missing("warehouse", id))
}

/// How the legacy application names a stock row.
pub fn stock_label(warehouse: &warehouse::Model, location: &location::Model) -> String {
    format!("{} - {}", warehouse.name, location.code)
}

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    #[graphql(complexity = "100 * child_complexity")]
    async fn products(&self, ctx: &Context<'_>) -> AppResult<Vec<ProductNode>> {
        Ok(service::products(ctx.db(), ctx.access())
            .await?
            .into_iter()
            .map(|p| ProductNode::new(p, None))
            .collect())
    }

    #[graphql(complexity = "100 * child_complexity")]
    async fn warehouses(&self, ctx: &Context<'_>) -> AppResult<Vec<WarehouseNode>> {
        Ok(service::warehouses(ctx.db(), ctx.access())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    #[graphql(complexity = "100 * child_complexity")]
    async fn stocks(
        &self,
        ctx: &Context<'_>,
        product_id: Option<i64>,
        location_id: Option<i64>,
    ) -> AppResult<Vec<StockNode>> {
        Ok(
            service::stocks(ctx.db(), ctx.access(), product_id, location_id)
                .await?
                .into_iter()
                .map(|s| StockNode::new(s, None))
                .collect(),
        )
    }
}

#[derive(Debug, Clone, InputObject)]
pub struct CreateProductInput {
    pub name: String,
    pub sku: String,
    pub price: Dec,
    pub category_id: i64,
    pub description: Option<String>,
}

#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    /// Staff only.
    async fn create_category(&self, ctx: &Context<'_>, name: String) -> AppResult<CategoryNode> {
        Ok(service::create_category(ctx.state(), ctx.access(), &name)
            .await?
            .into())
    }

    /// Staff only.
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> AppResult<ProductNode> {
        let new = NewProduct {
            name: input.name,
            sku: input.sku,
            price: input.price.0,
            category_id: input.category_id,
            description: input.description,
        };
        Ok(ProductNode::new(
            service::create_product(ctx.state(), ctx.access(), new).await?,
            None,
        ))
    }

    /// Staff only.
    async fn create_warehouse(
        &self,
        ctx: &Context<'_>,
        name: String,
        address: Option<String>,
    ) -> AppResult<WarehouseNode> {
        Ok(
            service::create_warehouse(ctx.state(), ctx.access(), &name, address)
                .await?
                .into(),
        )
    }

    /// Staff only.
    async fn create_location(
        &self,
        ctx: &Context<'_>,
        warehouse_id: i64,
        code: String,
        description: Option<String>,
    ) -> AppResult<LocationNode> {
        Ok(LocationNode::new(
            service::create_location(ctx.state(), ctx.access(), warehouse_id, &code, description)
                .await?,
            None,
        ))
    }

    /// Staff only.
    async fn create_stock(
        &self,
        ctx: &Context<'_>,
        product_id: i64,
        location_id: i64,
        quantity: i32,
    ) -> AppResult<StockNode> {
        Ok(StockNode::new(
            service::create_stock(
                ctx.state(),
                ctx.access(),
                product_id,
                location_id,
                i64::from(quantity),
            )
            .await?,
            None,
        ))
    }

    /// Adds `delta` units (negative takes out); never below zero (`CONFLICT`). Staff only.
    async fn adjust_stock(&self, ctx: &Context<'_>, id: i64, delta: i32) -> AppResult<StockNode> {
        let stock = service::adjust_stock(ctx.state(), ctx.access(), id, i64::from(delta)).await?;
        ctx.loaders().forget_all();
        Ok(StockNode::new(stock, None))
    }
}
