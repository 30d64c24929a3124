//! The GraphQL face of the catalog: products, categories, warehouses, locations, stock.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use entity::{category, location, product, stock, warehouse};

use crate::catalog::service::{self, NewProduct};
use crate::error::AppResult;
use crate::graphql::context::ContextExt;
use crate::graphql::loaders::missing;
use crate::graphql::scalars::Dec;

pub struct ProductNode(pub product::Model);

#[Object(name = "Product")]
impl ProductNode {
    async fn id(&self) -> i64 {
        self.0.id
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn sku(&self) -> &str {
        &self.0.sku
    }

    async fn price(&self) -> Dec {
        self.0.price.into()
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    async fn category(&self, ctx: &Context<'_>) -> AppResult<CategoryNode> {
        ctx.loaders()
            .categories
            .load_one(self.0.category_id)
            .await?
            .map(CategoryNode::from)
            .ok_or_else(|| missing("category", self.0.category_id))
    }
}

#[derive(SimpleObject)]
#[graphql(name = "Category")]
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
#[graphql(name = "Warehouse")]
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

pub struct LocationNode(pub location::Model);

#[Object(name = "Location")]
impl LocationNode {
    async fn id(&self) -> i64 {
        self.0.id
    }

    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    async fn warehouse(&self, ctx: &Context<'_>) -> AppResult<WarehouseNode> {
        ctx.loaders()
            .warehouses
            .load_one(self.0.warehouse_id)
            .await?
            .map(WarehouseNode::from)
            .ok_or_else(|| missing("warehouse", self.0.warehouse_id))
    }
}

pub struct StockNode(pub stock::Model);

#[Object(name = "Stock")]
impl StockNode {
    async fn id(&self) -> i64 {
        self.0.id
    }

    async fn product(&self, ctx: &Context<'_>) -> AppResult<ProductNode> {
        ctx.loaders()
            .products
            .load_one(self.0.product_id)
            .await?
            .map(ProductNode)
            .ok_or_else(|| missing("product", self.0.product_id))
    }

    async fn location(&self, ctx: &Context<'_>) -> AppResult<LocationNode> {
        ctx.loaders()
            .locations
            .load_one(self.0.location_id)
            .await?
            .map(LocationNode)
            .ok_or_else(|| missing("location", self.0.location_id))
    }

    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// `"<warehouse name> - <location code>"`, e.g. `"Main WH - A1"`.
    async fn label(&self, ctx: &Context<'_>) -> AppResult<String> {
        let loaders = ctx.loaders();
        let location = loaders
            .locations
            .load_one(self.0.location_id)
            .await?
            .ok_or_else(|| missing("location", self.0.location_id))?;
        let warehouse = loaders
            .warehouses
            .load_one(location.warehouse_id)
            .await?
            .ok_or_else(|| missing("warehouse", location.warehouse_id))?;
        Ok(stock_label(&warehouse, &location))
    }
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
        Ok(service::products(ctx.state(), ctx.access())
            .await?
            .into_iter()
            .map(ProductNode)
            .collect())
    }

    #[graphql(complexity = "100 * child_complexity")]
    async fn warehouses(&self, ctx: &Context<'_>) -> AppResult<Vec<WarehouseNode>> {
        Ok(service::warehouses(ctx.state(), ctx.access())
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
            service::stocks(ctx.state(), ctx.access(), product_id, location_id)
                .await?
                .into_iter()
                .map(StockNode)
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
        Ok(ProductNode(
            service::create_product(ctx.state(), ctx.access(), new).await?,
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
        Ok(LocationNode(
            service::create_location(ctx.state(), ctx.access(), warehouse_id, &code, description)
                .await?,
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
        Ok(StockNode(
            service::create_stock(
                ctx.state(),
                ctx.access(),
                product_id,
                location_id,
                i64::from(quantity),
            )
            .await?,
        ))
    }

    /// Adds `delta` units (negative takes out); never below zero (`CONFLICT`). Staff only.
    async fn adjust_stock(&self, ctx: &Context<'_>, id: i64, delta: i32) -> AppResult<StockNode> {
        let stock = service::adjust_stock(ctx.state(), ctx.access(), id, i64::from(delta)).await?;
        ctx.loaders().forget_all();
        Ok(StockNode(stock))
    }
}
