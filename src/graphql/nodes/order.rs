//! `Order` and `OrderItem`: an order with the graph of its relations when the request loaded
//! one (see `graphql::lookahead`). Each field has one resolver: it reads the graph when the
//! graph holds its relation, the request's loaders otherwise.

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::{order, order_item, payment};

use crate::error::{AppError, AppResult};
use crate::graphql::context::ContextExt;
use crate::graphql::global_id::{self, NodeType};
use crate::graphql::loaders::missing;
use crate::graphql::lookahead::{self, order_graph};
use crate::graphql::nodes::catalog::{ProductNode, StockNode};
use crate::graphql::nodes::payment::PaymentNode;
use crate::graphql::nodes::user::UserObject;
use crate::graphql::scalars::{Dec, Timestamp};
use crate::orders::graph::OrderGraph;
use crate::orders::service;
use crate::orders::status::OrderStatus;
use crate::payments::service::{amount_paid, balance_due};

/// An order, with the graph of its relations when the request loaded one: its nested fields
/// read the graph, and only what it does not hold goes through the request's loaders.
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

    /// The global id (Relay): opaque, unique across types; `node(id:)` refetches the object.
    pub async fn node_id(&self) -> ID {
        global_id::encode(NodeType::Order, self.order.id)
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
        ProductNode::of(ctx, self.graph.as_ref(), self.item.product_id).await
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

/// The order of `id` if the caller may see it, with the graph of what the field's selection
/// asks for, read together: its customer, payments and items in one statement (categories and
/// a stock row's own product, when asked for, one more each).
pub async fn visible_by_id(ctx: &Context<'_>, id: i64) -> AppResult<Option<OrderNode>> {
    let wants = lookahead::wants(&[ctx.look_ahead()]);
    let found = service::get_order_with(ctx.db(), ctx.caller(), id, wants).await?;
    Ok(found.map(|(o, graph)| OrderNode::new(o, Some(Arc::new(graph)))))
}

/// One order as the field being resolved returns it, with the graph of what its selection
/// asks for.
pub async fn with_graph(ctx: &Context<'_>, order: order::Model) -> AppResult<OrderNode> {
    let graph = order_graph(ctx, std::slice::from_ref(&order), &[ctx.look_ahead()]).await?;
    Ok(OrderNode::new(order, Some(graph)))
}
