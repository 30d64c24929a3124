//! The GraphQL face of the catalog: the `products`, `warehouses` and `stocks` lists and the
//! catalog mutations (staff only), over the catalog types of `graphql::nodes`.

use std::sync::Arc;

use async_graphql::{Context, InputObject, Object};
use entity::{product, stock, warehouse};

use crate::auth::Access;
use crate::catalog::filter::{ProductFilter, StockFilter, WarehouseFilter};
use crate::catalog::service::{self, NewProduct, StockQuery};
use crate::db::Reads;
use crate::error::AppResult;
use crate::graphql::connection::{Connection, Listing, node_selections};
use crate::graphql::context::ContextExt;
use crate::graphql::lookahead::catalog_graph;
use crate::graphql::nodes::{CategoryNode, LocationNode, ProductNode, StockNode, WarehouseNode};
use crate::graphql::pagination;
use crate::graphql::scalars::Dec;
use crate::orders::graph::OrderGraph;

/// The `products` list: `ProductConnection`.
pub struct Products;

impl Listing for Products {
    const CONNECTION: &'static str = "ProductConnection";
    const EDGE: &'static str = "ProductEdge";
    type Row = product::Model;
    type Node = ProductNode;
    /// The categories of the page's products, when selected.
    type Shared = Arc<OrderGraph>;
    type Query = Option<ProductFilter>;

    fn node(row: &product::Model, graph: &Arc<OrderGraph>) -> ProductNode {
        ProductNode::new(row.clone(), Some(graph.clone()))
    }

    async fn count(db: &Reads, access: &Access, filter: &Option<ProductFilter>) -> AppResult<u64> {
        service::count_products(db, access, filter.as_ref()).await
    }
}

/// The `warehouses` list: `WarehouseConnection`.
pub struct Warehouses;

impl Listing for Warehouses {
    const CONNECTION: &'static str = "WarehouseConnection";
    const EDGE: &'static str = "WarehouseEdge";
    type Row = warehouse::Model;
    type Node = WarehouseNode;
    type Shared = ();
    type Query = Option<WarehouseFilter>;

    fn node(row: &warehouse::Model, _: &()) -> WarehouseNode {
        row.clone().into()
    }

    async fn count(
        db: &Reads,
        access: &Access,
        filter: &Option<WarehouseFilter>,
    ) -> AppResult<u64> {
        service::count_warehouses(db, access, filter.as_ref()).await
    }
}

/// The `stocks` list: `StockConnection`.
pub struct Stocks;

impl Listing for Stocks {
    const CONNECTION: &'static str = "StockConnection";
    const EDGE: &'static str = "StockEdge";
    type Row = stock::Model;
    type Node = StockNode;
    /// The products, categories, locations and warehouses of the page's rows, when selected.
    type Shared = Arc<OrderGraph>;
    type Query = StockQuery;

    fn node(row: &stock::Model, graph: &Arc<OrderGraph>) -> StockNode {
        StockNode::new(row.clone(), Some(graph.clone()))
    }

    async fn count(db: &Reads, access: &Access, query: &StockQuery) -> AppResult<u64> {
        service::count_stocks(db, access, query).await
    }
}

#[derive(Default)]
pub struct CatalogQuery;

// the list resolvers take the connection arguments (filter, first/after/last/before)
#[allow(clippy::too_many_arguments)]
#[Object]
impl CatalogQuery {
    /// Products in id order, those that match `filter`.
    #[graphql(complexity = "pagination::page_weight(first, last) * child_complexity + 1")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProductFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> AppResult<Connection<Products>> {
        let request = pagination::request(first, after, last, before);
        let page =
            service::list_products(ctx.db(), ctx.access(), filter.as_ref(), &request).await?;
        let rows: Vec<&product::Model> = page.rows.iter().collect();
        let graph = catalog_graph(ctx, &rows, &[], &node_selections(ctx)).await?;
        Ok(Connection::new(page, graph, filter))
    }

    /// Warehouses in id order, those that match `filter`.
    #[graphql(complexity = "pagination::page_weight(first, last) * child_complexity + 1")]
    async fn warehouses(
        &self,
        ctx: &Context<'_>,
        filter: Option<WarehouseFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> AppResult<Connection<Warehouses>> {
        let request = pagination::request(first, after, last, before);
        let page =
            service::list_warehouses(ctx.db(), ctx.access(), filter.as_ref(), &request).await?;
        Ok(Connection::new(page, (), filter))
    }

    /// Stock rows in id order: of a product, at a location, those that match `filter`.
    #[graphql(complexity = "pagination::page_weight(first, last) * child_complexity + 1")]
    async fn stocks(
        &self,
        ctx: &Context<'_>,
        product_id: Option<i64>,
        location_id: Option<i64>,
        filter: Option<StockFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> AppResult<Connection<Stocks>> {
        let request = pagination::request(first, after, last, before);
        let query = StockQuery {
            product_id,
            location_id,
            filter,
        };
        let page = service::list_stocks(ctx.db(), ctx.access(), &query, &request).await?;
        let rows: Vec<&stock::Model> = page.rows.iter().collect();
        let graph = catalog_graph(ctx, &[], &rows, &node_selections(ctx)).await?;
        Ok(Connection::new(page, graph, query))
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
