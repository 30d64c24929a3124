//! The GraphQL face of orders: the `Order` and `OrderItem` types, the `orders`/`order` queries
//! and the order mutations. Resolvers translate; every rule is in `service`.

use async_graphql::{Context, InputObject, Object};
use entity::{order, order_item};

use crate::auth::graphql::UserObject;
use crate::catalog::graphql::{ProductNode, StockNode};
use crate::error::{AppError, AppResult, Problem};
use crate::graphql::context::ContextExt;
use crate::graphql::loaders::missing;
use crate::graphql::pagination::{self, PageInfo};
use crate::graphql::scalars::Dec;
use crate::graphql::scalars::Timestamp;
use crate::idempotency::{IdempotencyKey, Outcome, no_answer};
use crate::listing::Page;
use crate::orders::filter::{OrderFilter, OrderSort};
use crate::orders::service::{self, NewItem, NewOrder, OrderChange};
use crate::orders::status::OrderStatus;
use crate::payments::graphql::PaymentNode;
use crate::payments::service::{amount_paid, balance_due};

pub struct OrderNode(pub order::Model);

#[Object(name = "Order")]
impl OrderNode {
    async fn id(&self) -> i64 {
        self.0.id
    }

    async fn customer(&self, ctx: &Context<'_>) -> AppResult<UserObject> {
        ctx.loaders()
            .users
            .load_one(self.0.customer_id)
            .await?
            .ok_or_else(|| missing("user", self.0.customer_id))
    }

    async fn status(&self) -> AppResult<OrderStatus> {
        self.0.status.parse().map_err(|_| {
            AppError::internal(anyhow::anyhow!("order {} has an unknown status", self.0.id))
        })
    }

    async fn total_amount(&self) -> Dec {
        self.0.total_amount.into()
    }

    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }

    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at.into()
    }

    #[graphql(complexity = "10 * child_complexity")]
    async fn items(&self, ctx: &Context<'_>) -> AppResult<Vec<OrderItemNode>> {
        let items = ctx
            .loaders()
            .items
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(items.into_iter().map(OrderItemNode).collect())
    }

    #[graphql(complexity = "10 * child_complexity")]
    async fn payments(&self, ctx: &Context<'_>) -> AppResult<Vec<PaymentNode>> {
        let payments = ctx
            .loaders()
            .payments
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(payments.into_iter().map(PaymentNode).collect())
    }

    /// Sum of the completed payments.
    async fn amount_paid(&self, ctx: &Context<'_>) -> AppResult<Dec> {
        let payments = ctx
            .loaders()
            .payments
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(Dec(amount_paid(&payments)))
    }

    /// Total minus the completed payments.
    async fn balance_due(&self, ctx: &Context<'_>) -> AppResult<Dec> {
        let payments = ctx
            .loaders()
            .payments
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(Dec(balance_due(self.0.total_amount.0, &payments)))
    }
}

pub struct OrderItemNode(pub order_item::Model);

#[Object(name = "OrderItem")]
impl OrderItemNode {
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

    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    async fn price(&self) -> Dec {
        self.0.price.into()
    }

    async fn stock(&self, ctx: &Context<'_>) -> AppResult<Option<StockNode>> {
        match self.0.stock_id {
            None => Ok(None),
            Some(id) => Ok(ctx.loaders().stocks.load_one(id).await?.map(StockNode)),
        }
    }

    /// price x quantity.
    async fn subtotal(&self) -> Dec {
        Dec(service::subtotal(&self.0))
    }
}

pub struct OrderEdge {
    cursor: String,
    node: order::Model,
}

#[Object]
impl OrderEdge {
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    async fn node(&self) -> OrderNode {
        OrderNode(self.node.clone())
    }
}

pub struct OrderConnection {
    page: Page<order::Model>,
    filter: Option<OrderFilter>,
}

#[Object]
impl OrderConnection {
    async fn edges(&self) -> Vec<OrderEdge> {
        self.page
            .rows
            .iter()
            .map(|(m, c)| OrderEdge {
                cursor: c.clone(),
                node: m.clone(),
            })
            .collect()
    }

    async fn nodes(&self) -> Vec<OrderNode> {
        self.page
            .rows
            .iter()
            .map(|(m, _)| OrderNode(m.clone()))
            .collect()
    }

    async fn page_info(&self) -> PageInfo {
        PageInfo::of(&self.page)
    }

    /// How many orders match the filter (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        let n = service::count_orders(&ctx.state().db, ctx.access(), self.filter.as_ref()).await?;
        Ok(n as i64)
    }
}

/// Prefetches what the client selected under these orders (see `Loaders::prefetch_orders`).
pub async fn prefetch(
    ctx: &Context<'_>,
    orders: &[order::Model],
    selections: &[async_graphql::Lookahead<'_>],
) -> AppResult<()> {
    ctx.loaders()
        .prefetch_orders(ctx.state(), orders, selections)
        .await
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
            &ctx.state().db,
            ctx.access(),
            filter.as_ref(),
            order_by.as_deref().unwrap_or_default(),
            &request,
        )
        .await?;
        let look = ctx.look_ahead();
        let models: Vec<order::Model> = page.rows.iter().map(|(m, _)| m.clone()).collect();
        prefetch(
            ctx,
            &models,
            &[look.field("nodes"), look.field("edges").field("node")],
        )
        .await?;
        Ok(OrderConnection { page, filter })
    }

    /// One order, or null when it does not exist or the caller may not see it.
    async fn order(&self, ctx: &Context<'_>, id: i64) -> AppResult<Option<OrderNode>> {
        let found = service::get_order(&ctx.state().db, ctx.access(), id).await?;
        if let Some(o) = &found {
            prefetch(ctx, std::slice::from_ref(o), &[ctx.look_ahead()]).await?;
        }
        Ok(found.map(OrderNode))
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
                service::get_order(&ctx.state().db, ctx.access(), replay.resource_id)
                    .await?
                    .ok_or(AppError::NotFound("Order"))?
            }
        };
        ctx.loaders().forget_all();
        prefetch(ctx, std::slice::from_ref(&created), &[ctx.look_ahead()]).await?;
        Ok(OrderNode(created))
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
        prefetch(ctx, std::slice::from_ref(&updated), &[ctx.look_ahead()]).await?;
        Ok(OrderNode(updated))
    }

    /// Deletes an order with its items and payments (staff only).
    async fn delete_order(&self, ctx: &Context<'_>, id: i64) -> AppResult<bool> {
        service::delete_order(ctx.state(), ctx.access(), id).await?;
        ctx.loaders().forget_all();
        Ok(true)
    }
}

/// An `idempotencyKey` argument, or `BAD_USER_INPUT` on it.
pub fn parse_key(raw: &str) -> AppResult<IdempotencyKey> {
    IdempotencyKey::parse(raw)
        .map_err(|e| AppError::invalid("idempotency_key", Problem::Rule(e.to_string())))
}
