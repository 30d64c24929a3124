//! The GraphQL face of payments: the `payments`/`payment` queries and the payment mutations,
//! over the `Payment` type of `graphql::nodes`.

use std::sync::Arc;

use async_graphql::{Context, InputObject, Object};
use entity::payment;

use crate::auth::Access;
use crate::db::Reads;
use crate::error::{AppError, AppResult};
use crate::graphql::arguments;
use crate::graphql::connection::{Connection, Listing, node_selections};
use crate::graphql::context::ContextExt;
use crate::graphql::lookahead::payment_orders_graph;
use crate::graphql::nodes::PaymentNode;
use crate::graphql::nodes::payment::with_graph;
use crate::graphql::pagination;
use crate::graphql::scalars::{Dec, Timestamp};
use crate::idempotency::{Outcome, no_answer};
use crate::orders::graph::OrderGraph;
use crate::payments::filter::{PaymentFilter, PaymentSort};
use crate::payments::service::{self, NewPayment, PaymentChange};
use crate::payments::status::PaymentStatus;

/// The `payments` list: `PaymentConnection`.
pub struct Payments;

impl Listing for Payments {
    const CONNECTION: &'static str = "PaymentConnection";
    const EDGE: &'static str = "PaymentEdge";
    type Row = payment::Model;
    type Node = PaymentNode;
    /// The page's orders with what is selected under them, when `order` is selected.
    type Shared = Option<Arc<OrderGraph>>;
    type Query = Option<PaymentFilter>;

    fn node(row: &payment::Model, graph: &Option<Arc<OrderGraph>>) -> PaymentNode {
        PaymentNode::new(row.clone(), graph.clone())
    }

    async fn count(db: &Reads, access: &Access, filter: &Option<PaymentFilter>) -> AppResult<u64> {
        service::count_payments(db, access, filter.as_ref()).await
    }
}

#[derive(Default)]
pub struct PaymentsQuery;

// the list resolvers take the connection arguments (filter, order, first/after/last/before)
#[allow(clippy::too_many_arguments)]
#[Object]
impl PaymentsQuery {
    /// Payments of the orders the caller may see, newest first unless `orderBy` says otherwise.
    #[graphql(complexity = "pagination::page_weight(first, last) * child_complexity + 1")]
    #[allow(clippy::too_many_arguments)] // the arguments of a Relay connection
    async fn payments(
        &self,
        ctx: &Context<'_>,
        filter: Option<PaymentFilter>,
        order_by: Option<Vec<PaymentSort>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> AppResult<Connection<Payments>> {
        let request = pagination::request(first, after, last, before);
        let page = service::list_payments(
            ctx.db(),
            ctx.access(),
            filter.as_ref(),
            order_by.as_deref().unwrap_or_default(),
            &request,
        )
        .await?;
        let models: Vec<&payment::Model> = page.rows.iter().collect();
        let graph = payment_orders_graph(ctx, &models, &node_selections(ctx)).await?;
        Ok(Connection::new(page, graph, filter))
    }

    /// One payment, or null when it does not exist or the caller may not see it.
    async fn payment(&self, ctx: &Context<'_>, id: i64) -> AppResult<Option<PaymentNode>> {
        match service::get_payment(ctx.db(), ctx.access(), id).await? {
            Some(p) => Ok(Some(with_graph(ctx, p).await?)),
            None => Ok(None),
        }
    }
}

#[derive(Debug, Clone, InputObject)]
pub struct CreatePaymentInput {
    pub order_id: i64,
    pub amount: Dec,
    pub payment_method: String,
    pub status: Option<PaymentStatus>,
}

#[derive(Debug, Clone, InputObject)]
pub struct UpdatePaymentInput {
    pub status: Option<PaymentStatus>,
    pub amount: Option<Dec>,
    pub payment_method: Option<String>,
    pub paid_at: Option<Timestamp>,
}

#[derive(Default)]
pub struct PaymentsMutation;

#[Object]
impl PaymentsMutation {
    /// Records a payment on an order. With an `idempotencyKey` (per user, remembered for a day)
    /// a retry with the same input returns the payment the first request created and creates
    /// nothing; the same key with another input is a CONFLICT.
    async fn create_payment(
        &self,
        ctx: &Context<'_>,
        input: CreatePaymentInput,
        idempotency_key: Option<String>,
    ) -> AppResult<PaymentNode> {
        let key = arguments::idempotency_key(idempotency_key.as_deref())?;
        let new = NewPayment {
            order_id: Some(input.order_id),
            amount: Some(input.amount.0),
            payment_method: Some(input.payment_method),
            status: input.status,
            errors: Default::default(),
        };
        let outcome =
            service::create_payment_keyed(ctx.state(), ctx.caller(), new, key.as_ref(), no_answer)
                .await?;
        let created = match outcome {
            Outcome::Done { value, .. } => value,
            Outcome::Replayed(replay) => {
                service::get_payment(ctx.db(), ctx.access(), replay.resource_id)
                    .await?
                    .ok_or(AppError::NotFound("Payment"))?
            }
        };
        ctx.loaders().forget_all();
        with_graph(ctx, created).await
    }

    /// Changes a payment (staff only).
    async fn update_payment(
        &self,
        ctx: &Context<'_>,
        id: i64,
        input: UpdatePaymentInput,
    ) -> AppResult<PaymentNode> {
        let change = PaymentChange {
            status: input.status,
            amount: input.amount.map(|a| a.0),
            payment_method: input.payment_method,
            paid_at: input.paid_at.map(|t| t.0),
            order_id: None,
            errors: Default::default(),
        };
        let updated = service::update_payment(ctx.state(), ctx.access(), id, change).await?;
        ctx.loaders().forget_all();
        with_graph(ctx, updated).await
    }

    /// Deletes a payment (staff only).
    async fn delete_payment(&self, ctx: &Context<'_>, id: i64) -> AppResult<bool> {
        service::delete_payment(ctx.state(), ctx.access(), id).await?;
        ctx.loaders().forget_all();
        Ok(true)
    }
}
