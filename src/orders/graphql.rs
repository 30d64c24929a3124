//! The GraphQL face of orders: the `orders`/`order` queries and the order mutations, over the
//! `Order` type of `graphql::nodes`. Resolvers translate; every rule is in `service`.

use std::sync::Arc;

use async_graphql::{Context, InputObject, Object};
use entity::order;

use crate::auth::Access;
use crate::db::Reads;
use crate::error::{AppError, AppResult};
use crate::graphql::arguments;
use crate::graphql::connection::{Connection, Listing, node_selections};
use crate::graphql::context::ContextExt;
use crate::graphql::lookahead;
use crate::graphql::nodes::OrderNode;
use crate::graphql::nodes::order::{visible_by_id, with_graph};
use crate::graphql::pagination;
use crate::graphql::scalars::Dec;
use crate::idempotency::{Outcome, no_answer};
use crate::orders::filter::{OrderFilter, OrderSort};
use crate::orders::graph::OrderGraph;
use crate::orders::service::{self, NewItem, NewOrder, OrderChange};
use crate::orders::status::OrderStatus;

/// The `orders` list: `OrderConnection`.
pub struct Orders;

impl Listing for Orders {
    const CONNECTION: &'static str = "OrderConnection";
    const EDGE: &'static str = "OrderEdge";
    type Row = order::Model;
    type Node = OrderNode;
    /// The relations of the page's orders that the selection asks for.
    type Shared = Arc<OrderGraph>;
    type Query = Option<OrderFilter>;

    fn node(row: &order::Model, graph: &Arc<OrderGraph>) -> OrderNode {
        OrderNode::new(row.clone(), Some(graph.clone()))
    }

    async fn count(db: &Reads, access: &Access, filter: &Option<OrderFilter>) -> AppResult<u64> {
        service::count_orders(db, access, filter.as_ref()).await
    }
}

#[derive(Default)]
pub struct OrdersQuery;

// the list resolvers take the connection arguments (filter, order, first/after/last/before)
#[allow(clippy::too_many_arguments)]
#[Object]
impl OrdersQuery {
    /// Orders the caller may see, newest first unless `orderBy` says otherwise.
    #[graphql(complexity = "pagination::page_weight(first, last) * child_complexity + 1")]
    #[allow(clippy::too_many_arguments)] // the arguments of a Relay connection
    async fn orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrderFilter>,
        order_by: Option<Vec<OrderSort>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> AppResult<Connection<Orders>> {
        let request = pagination::request(first, after, last, before);
        let (page, graph) = service::list_orders_with(
            ctx.db(),
            ctx.caller(),
            filter.as_ref(),
            order_by.as_deref().unwrap_or_default(),
            &request,
            lookahead::wants(&node_selections(ctx)),
        )
        .await?;
        Ok(Connection::new(page, Arc::new(graph), filter))
    }

    /// One order, or null when it does not exist or the caller may not see it.
    async fn order(&self, ctx: &Context<'_>, id: i64) -> AppResult<Option<OrderNode>> {
        visible_by_id(ctx, id).await
    }
}

#[derive(Debug, Clone, InputObject)]
pub struct OrderItemInput {
    pub product_id: i64,
    pub quantity: i32,
    /// Defaults to the product's price.
    pub price: Option<Dec>,
    pub stock_id: Option<i64>,
}

#[derive(Debug, Clone, InputObject)]
pub struct CreateOrderInput {
    /// Defaults to the caller.
    pub customer_id: Option<i64>,
    pub status: Option<OrderStatus>,
    pub items: Vec<OrderItemInput>,
}

#[derive(Debug, Clone, InputObject)]
pub struct UpdateOrderInput {
    pub status: Option<OrderStatus>,
    pub customer_id: Option<i64>,
}

#[derive(Default)]
pub struct OrdersMutation;

#[Object]
impl OrdersMutation {
    /// Places an order, taking its units out of the named stock rows. With an `idempotencyKey`
    /// (per user, remembered for a day) a retry with the same input returns the order the first
    /// request created and creates nothing; the same key with another input is a CONFLICT.
    async fn create_order(
        &self,
        ctx: &Context<'_>,
        input: CreateOrderInput,
        idempotency_key: Option<String>,
    ) -> AppResult<OrderNode> {
        let key = arguments::idempotency_key(idempotency_key.as_deref())?;
        let new = NewOrder {
            customer_id: input.customer_id,
            status: input.status,
            items: input
                .items
                .into_iter()
                .map(|i| NewItem {
                    product_id: Some(i.product_id),
                    quantity: Some(i64::from(i.quantity)),
                    price: i.price.map(|p| p.0),
                    stock_id: i.stock_id,
                })
                .collect(),
            errors: Default::default(),
        };
        let outcome =
            service::create_order_keyed(ctx.state(), ctx.caller(), new, key.as_ref(), no_answer)
                .await?;
        let created = match outcome {
            Outcome::Done { value, .. } => value,
            Outcome::Replayed(replay) => {
                service::get_order(ctx.db(), ctx.access(), replay.resource_id)
                    .await?
                    .ok_or(AppError::NotFound("Order"))?
            }
        };
        ctx.loaders().forget_all();
        with_graph(ctx, created).await
    }

    /// Changes status and/or customer; cancelling puts the units back in stock.
    async fn update_order(
        &self,
        ctx: &Context<'_>,
        id: i64,
        input: UpdateOrderInput,
    ) -> AppResult<OrderNode> {
        let change = OrderChange {
            status: input.status,
            customer_id: input.customer_id,
            items: None,
            errors: Default::default(),
        };
        let updated = service::update_order(ctx.state(), ctx.access(), id, change).await?;
        ctx.loaders().forget_all();
        with_graph(ctx, updated).await
    }

    /// Deletes an order with its items and payments (staff only).
    async fn delete_order(&self, ctx: &Context<'_>, id: i64) -> AppResult<bool> {
        service::delete_order(ctx.state(), ctx.access(), id).await?;
        ctx.loaders().forget_all();
        Ok(true)
    }
}
