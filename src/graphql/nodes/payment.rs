//! `Payment`: a payment with the graph of its order's relations when the request loaded one
//! (its own order's, or the orders of a page of payments: see `graphql::lookahead`).

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::payment;

use crate::error::{AppError, AppResult};
use crate::graphql::context::ContextExt;
use crate::graphql::global_id::{self, NodeType};
use crate::graphql::loaders::missing;
use crate::graphql::lookahead::payment_orders_graph;
use crate::graphql::nodes::order::OrderNode;
use crate::graphql::scalars::{Dec, Timestamp};
use crate::orders::graph::OrderGraph;
use crate::payments::status::PaymentStatus;

/// A payment, with the graph of its order's relations when the request loaded one.
pub struct PaymentNode {
    payment: payment::Model,
    graph: Option<Arc<OrderGraph>>,
}

impl PaymentNode {
    pub fn new(payment: payment::Model, graph: Option<Arc<OrderGraph>>) -> Self {
        PaymentNode { payment, graph }
    }
}

#[Object(name = "Payment", serial)]
impl PaymentNode {
    async fn id(&self) -> i64 {
        self.payment.id
    }

    /// The global id (Relay): opaque, unique across types; `node(id:)` refetches the object.
    pub async fn node_id(&self) -> ID {
        global_id::encode(NodeType::Payment, self.payment.id)
    }

    async fn order(&self, ctx: &Context<'_>) -> AppResult<OrderNode> {
        let id = self.payment.order_id;
        let order = match self.graph.as_ref().and_then(|g| g.orders.get(&id)) {
            Some(found) => found.clone(),
            None => ctx
                .loaders()
                .orders()
                .load_one(id)
                .await?
                .ok_or_else(|| missing("order", id))?,
        };
        Ok(OrderNode::new(order, self.graph.clone()))
    }

    async fn amount(&self) -> Dec {
        self.payment.amount.into()
    }

    async fn payment_method(&self) -> &str {
        &self.payment.payment_method
    }

    async fn status(&self) -> AppResult<PaymentStatus> {
        self.payment.status.parse().map_err(|_| {
            AppError::internal(anyhow::anyhow!(
                "payment {} has an unknown status",
                self.payment.id
            ))
        })
    }

    async fn paid_at(&self) -> Option<Timestamp> {
        self.payment.paid_at.map(Timestamp)
    }

    async fn created_at(&self) -> Timestamp {
        self.payment.created_at.into()
    }
}

/// One payment as the field being resolved returns it, with its order and the graph of what is
/// selected under it when `order` is selected.
pub async fn with_graph(ctx: &Context<'_>, payment: payment::Model) -> AppResult<PaymentNode> {
    let graph = payment_orders_graph(ctx, &[&payment], &[ctx.look_ahead()]).await?;
    Ok(PaymentNode::new(payment, graph))
}
