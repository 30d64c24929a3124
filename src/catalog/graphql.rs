//! The GraphQL face of the catalog: the `products`, `warehouses` and `stocks` lists and the
//! catalog mutations (staff only), over the catalog types of `graphql::nodes`.

use async_graphql::{Context, InputObject, Object};

use crate::catalog::service::{self, NewProduct};
use crate::error::AppResult;
use crate::graphql::context::ContextExt;
use crate::graphql::nodes::{CategoryNode, LocationNode, ProductNode, StockNode, WarehouseNode};
use crate::graphql::scalars::Dec;

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
