//! The GraphQL face of orders: the `Order` and `OrderItem` types, the `orders`/`order` queries
//! and the order mutations. Resolvers translate; every rule is in `service`. Each field has
//! one resolver: it reads the request's `OrderGraph` when there is one, its loader otherwise.

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::{Context, InputObject, Object};
use entity::{order, order_item, payment};

use crate::auth::graphql::UserObject;
use crate::catalog::graphql::{ProductNode, StockNode};
use crate::error::{AppError, AppResult, Problem};
use crate::graphql::context::ContextExt;
use crate::graphql::loaders::missing;
use crate::graphql::lookahead::order_graph;
use crate::graphql::pagination::{self, PageInfo};
use crate::graphql::scalars::Dec;
use crate::graphql::scalars::Timestamp;
use crate::idempotency::{IdempotencyKey, Outcome, no_answer};
use crate::listing::Page;
use crate::orders::filter::{OrderFilter, OrderSort};
use crate::orders::graph::OrderGraph;
use crate::orders::service::{self, NewItem, NewOrder, OrderChange};
use crate::orders::status::OrderStatus;
use crate::payments::graphql::PaymentNode;
use crate::payments::service::{amount_paid, balance_due};

/// An order, with the graph of its relations when the request loaded one (see
/// `graphql::lookahead`): its nested fields read the graph, and only what it does not hold goes
/// through the request's loaders.
pub struct OrderNode {
    order: order::Model,
    graph: Option<Arc<OrderGraph>>,
}

impl OrderNode {
    pub fn new(order: order::Model, graph: Option<Arc<OrderGraph>>) -> Self {
        OrderNode { order, graph }
    }

    /// The order's payments: from the graph, else through the loader.
    async fn payment_rows(&self, ctx: &Context<'_>) -> AppResult<Cow<'_, [payment::Model]>> {
        let id = self.order.id;
        if let Some(found) = self.graph.as_ref().and_then(|g| g.payments.get(&id)) {
            return Ok(Cow::Borrowed(found));
        }
        let loaded = ctx.loaders().payments().load_one(id).await?;
        Ok(Cow::Owned(loaded.unwrap_or_default()))
    }
}

#[Object(name = "Order", serial)]
impl OrderNode {
    async fn id(&self) -> i64 {
        self.order.id
    }

    async fn customer(&self, ctx: &Context<'_>) -> AppResult<UserObject> {
        let id = self.order.customer_id;
        if let Some(u) = self.graph.as_ref().and_then(|g| g.customers.get(&id)) {
            return Ok(UserObject::from(u));
        }
        ctx.loaders()
            .users()
            .load_one(id)
            .await?
            .ok_or_else(|| missing("user", id))
    }

    async fn status(&self) -> AppResult<OrderStatus> {
        self.order.status.parse().map_err(|_| {
            AppError::internal(anyhow::anyhow!(
                "order {} has an unknown status",
                self.order.id
            ))
        })
    }

    async fn total_amount(&self) -> Dec {
        self.order.total_amount.into()
    }

    async fn created_at(&self) -> Timestamp {
        self.order.created_at.into()
    }

    async fn updated_at(&self) -> Timestamp {
        self.order.updated_at.into()
    }

    #[graphql(complexity = "10 * child_complexity")]
    async fn items(&self, ctx: &Context<'_>) -> AppResult<Vec<OrderItemNode>> {
        let id = self.order.id;
        let node = |item: &order_item::Model| OrderItemNode::new(item.clone(), self.graph.clone());
        if let Some(found) = self.graph.as_ref().and_then(|g| g.items.get(&id)) {
            return Ok(found.iter().map(node).collect());
        }
        let loaded = ctx.loaders().items().load_one(id).await?;
        Ok(loaded.unwrap_or_default().iter().map(node).collect())
    }

    #[graphql(complexity = "10 * child_complexity")]
    async fn payments(&self, ctx: &Context<'_>) -> AppResult<Vec<PaymentNode>> {
        Ok(self
            .payment_rows(ctx)
            .await?
            .iter()
            .map(|p| PaymentNode::new(p.clone(), self.graph.clone()))
            .collect())
    }

    /// Sum of the completed payments.
    async fn amount_paid(&self, ctx: &Context<'_>) -> AppResult<Dec> {
        Ok(Dec(amount_paid(&self.payment_rows(ctx).await?)))
    }

    /// Total minus the completed payments.
    async fn balance_due(&self, ctx: &Context<'_>) -> AppResult<Dec> {
        let payments = self.payment_rows(ctx).await?;
        Ok(Dec(balance_due(self.order.total_amount.0, &payments)))
    }
}

/// An order's line, with its order's graph (see [`OrderNode`]).
pub struct OrderItemNode {
    item: order_item::Model,
    graph: Option<Arc<OrderGraph>>,
}

impl OrderItemNode {
    pub fn new(item: order_item::Model, graph: Option<Arc<OrderGraph>>) -> Self {
        OrderItemNode { item, graph }
    }
}

#[Object(name = "OrderItem", serial)]
impl OrderItemNode {
    async fn id(&self) -> i64 {
        self.item.id
    }

    async fn product(&self, ctx: &Context<'_>) -> AppResult<ProductNode> {
        let id = self.item.product_id;
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

    async fn quantity(&self) -> i32 {
        self.item.quantity
    }

    async fn price(&self) -> Dec {
        self.item.price.into()
    }

    async fn stock(&self, ctx: &Context<'_>) -> AppResult<Option<StockNode>> {
        let Some(id) = self.item.stock_id else {
            return Ok(None);
        };
        let stock = match self.graph.as_ref().and_then(|g| g.stocks.get(&id)) {
            Some(found) => Some(found.clone()),
            None => ctx.loaders().stocks().load_one(id).await?,
        };
        Ok(stock.map(|s| StockNode::new(s, self.graph.clone())))
    }

    /// price x quantity.
    async fn subtotal(&self) -> Dec {
        Dec(service::subtotal(&self.item))
    }
}

pub struct OrderEdge {
    cursor: String,
    node: order::Model,
    graph: Arc<OrderGraph>,
}

#[Object(serial)]
impl OrderEdge {
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    async fn node(&self) -> OrderNode {
        OrderNode::new(self.node.clone(), Some(self.graph.clone()))
    }
}

pub struct OrderConnection {
    page: Page<order::Model>,
    filter: Option<OrderFilter>,
    /// The relations of the page's orders that the selection asks for.
    graph: Arc<OrderGraph>,
}

#[Object(serial)]
impl OrderConnection {
    async fn edges(&self) -> Vec<OrderEdge> {
        self.page
            .rows
            .iter()
            .map(|(m, c)| OrderEdge {
                cursor: c.clone(),
                node: m.clone(),
                graph: self.graph.clone(),
            })
            .collect()
    }

    async fn nodes(&self) -> Vec<OrderNode> {
        self.page
            .rows
            .iter()
            .map(|(m, _)| OrderNode::new(m.clone(), Some(self.graph.clone())))
            .collect()
    }

    async fn page_info(&self) -> PageInfo {
        PageInfo::of(&self.page)
    }

    /// How many orders match the filter (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        let n = service::count_orders(ctx.db(), ctx.access(), self.filter.as_ref()).await?;
        Ok(n as i64)
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
    ) -> AppResult<OrderConnection> {
        let request = pagination::request(first, after, last, before);
        let page = service::list_orders(
            ctx.db(),
            ctx.access(),
            filter.as_ref(),
            order_by.as_deref().unwrap_or_default(),
            &request,
        )
        .await?;
        let look = ctx.look_ahead();
        let models: Vec<&order::Model> = page.rows.iter().map(|(m, _)| m).collect();
        let graph = order_graph(
            ctx,
            &models,
            &[look.field("nodes"), look.field("edges").field("node")],
        )
        .await?;
        Ok(OrderConnection {
            page,
            filter,
            graph,
        })
    }

    /// One order, or null when it does not exist or the caller may not see it.
    async fn order(&self, ctx: &Context<'_>, id: i64) -> AppResult<Option<OrderNode>> {
        match service::get_order(ctx.db(), ctx.access(), id).await? {
            Some(o) => Ok(Some(with_graph(ctx, o).await?)),
            None => Ok(None),
        }
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
        let key = idempotency_key.as_deref().map(parse_key).transpose()?;
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
            service::create_order_keyed(ctx.state(), ctx.access(), new, key.as_ref(), no_answer)
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

/// One order as the field being resolved returns it, with the graph of what its selection
/// asks for.
pub async fn with_graph(ctx: &Context<'_>, order: order::Model) -> AppResult<OrderNode> {
    let graph = order_graph(ctx, std::slice::from_ref(&order), &[ctx.look_ahead()]).await?;
    Ok(OrderNode::new(order, Some(graph)))
}

/// An `idempotencyKey` argument, or `BAD_USER_INPUT` on it.
pub fn parse_key(raw: &str) -> AppResult<IdempotencyKey> {
    IdempotencyKey::parse(raw)
        .map_err(|e| AppError::invalid("idempotency_key", Problem::Rule(e.to_string())))
}
