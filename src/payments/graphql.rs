//! The GraphQL face of payments: the `Payment` type, the `payments`/`payment` queries and the
//! payment mutations.

use async_graphql::{Context, InputObject, Object};
use entity::payment;

use crate::error::{AppError, AppResult};
use crate::graphql::context::ContextExt;
use crate::graphql::loaders::missing;
use crate::graphql::pagination::{self, PageInfo};
use crate::graphql::scalars::{Dec, Timestamp};
use crate::idempotency::{Outcome, no_answer};
use crate::listing::Page;
use crate::orders::graphql::{OrderNode, parse_key, prefetch};
use crate::payments::filter::{PaymentFilter, PaymentSort};
use crate::payments::service::{self, NewPayment, PaymentChange};
use crate::payments::status::PaymentStatus;

pub struct PaymentNode(pub payment::Model);

#[Object(name = "Payment")]
impl PaymentNode {
    async fn id(&self) -> i64 {
        self.0.id
    }

    async fn order(&self, ctx: &Context<'_>) -> AppResult<OrderNode> {
        ctx.loaders()
            .orders
            .load_one(self.0.order_id)
            .await?
            .map(OrderNode)
            .ok_or_else(|| missing("order", self.0.order_id))
    }

    async fn amount(&self) -> Dec {
        self.0.amount.into()
    }

    async fn payment_method(&self) -> &str {
        &self.0.payment_method
    }

    async fn status(&self) -> AppResult<PaymentStatus> {
        self.0.status.parse().map_err(|_| {
            AppError::internal(anyhow::anyhow!(
                "payment {} has an unknown status",
                self.0.id
            ))
        })
    }

    async fn paid_at(&self) -> Option<Timestamp> {
        self.0.paid_at.map(Timestamp)
    }

    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }
}

pub struct PaymentEdge {
    cursor: String,
    node: payment::Model,
}

#[Object]
impl PaymentEdge {
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    async fn node(&self) -> PaymentNode {
        PaymentNode(self.node.clone())
    }
}

pub struct PaymentConnection {
    page: Page<payment::Model>,
    filter: Option<PaymentFilter>,
}

#[Object]
impl PaymentConnection {
    async fn edges(&self) -> Vec<PaymentEdge> {
        self.page
            .rows
            .iter()
            .map(|(m, c)| PaymentEdge {
                cursor: c.clone(),
                node: m.clone(),
            })
            .collect()
    }

    async fn nodes(&self) -> Vec<PaymentNode> {
        self.page
            .rows
            .iter()
            .map(|(m, _)| PaymentNode(m.clone()))
            .collect()
    }

    async fn page_info(&self) -> PageInfo {
        PageInfo::of(&self.page)
    }

    /// How many payments match the filter (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        let n = service::count_payments(ctx.state(), ctx.access(), self.filter.as_ref()).await?;
        Ok(n as i64)
    }
}

/// Prefetches the orders of these payments and what is selected under them.
pub(crate) async fn prefetch_payment_orders(
    ctx: &Context<'_>,
    payments: &[&payment::Model],
    selections: &[async_graphql::Lookahead<'_>],
) -> AppResult<()> {
    let order_selections: Vec<_> = selections
        .iter()
        .map(|l| l.field("order"))
        .filter(|l| l.exists())
        .collect();
    if order_selections.is_empty() || payments.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = payments.iter().map(|p| p.order_id).collect();
    let orders = crate::orders::service::orders_by_id(&ctx.state().db, &ids).await?;
    let models: Vec<_> = orders.values().cloned().collect();
    ctx.loaders().orders.feed_many(orders).await;
    prefetch(ctx, &models, &order_selections).await
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
    ) -> AppResult<PaymentConnection> {
        let request = pagination::request(first, after, last, before);
        let page = service::list_payments(
            ctx.state(),
            ctx.access(),
            filter.as_ref(),
            order_by.as_deref().unwrap_or_default(),
            &request,
        )
        .await?;
        let look = ctx.look_ahead();
        let models: Vec<&payment::Model> = page.rows.iter().map(|(m, _)| m).collect();
        prefetch_payment_orders(
            ctx,
            &models,
            &[look.field("nodes"), look.field("edges").field("node")],
        )
        .await?;
        Ok(PaymentConnection { page, filter })
    }

    /// One payment, or null when it does not exist or the caller may not see it.
    async fn payment(&self, ctx: &Context<'_>, id: i64) -> AppResult<Option<PaymentNode>> {
        let found = service::get_payment(ctx.state(), ctx.access(), id).await?;
        if let Some(p) = &found {
            prefetch_payment_orders(ctx, &[p], &[ctx.look_ahead()]).await?;
        }
        Ok(found.map(PaymentNode))
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
        let key = idempotency_key.as_deref().map(parse_key).transpose()?;
        let new = NewPayment {
            order_id: Some(input.order_id),
            amount: Some(input.amount.0),
            payment_method: Some(input.payment_method),
            status: input.status,
            errors: Default::default(),
        };
        let outcome =
            service::create_payment_keyed(ctx.state(), ctx.access(), new, key.as_ref(), no_answer)
                .await?;
        let created = match outcome {
            Outcome::Done { value, .. } => value,
            Outcome::Replayed(replay) => {
                service::get_payment(ctx.state(), ctx.access(), replay.resource_id)
                    .await?
                    .ok_or(AppError::NotFound("Payment"))?
            }
        };
        ctx.loaders().forget_all();
        prefetch_payment_orders(ctx, &[&created], &[ctx.look_ahead()]).await?;
        Ok(PaymentNode(created))
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
        prefetch_payment_orders(ctx, &[&updated], &[ctx.look_ahead()]).await?;
        Ok(PaymentNode(updated))
    }

    /// Deletes a payment (staff only).
    async fn delete_payment(&self, ctx: &Context<'_>, id: i64) -> AppResult<bool> {
        service::delete_payment(ctx.state(), ctx.access(), id).await?;
        ctx.loaders().forget_all();
        Ok(true)
    }
}
