//! The GraphQL face of change events: `orderEvents` and `paymentEvents`, their `OrderEvent` /
//! `PaymentEvent` types, and the extension that gives every delivered event fresh DataLoaders.
//!
//! A subscription only translates: which events the caller may receive is the bus's filter
//! built from the caller's `ReadScope`, and the object of an event is loaded when the event is
//! delivered, by the same domain function as the `order`/`payment` queries, with the caller's
//! permissions (so it is `null` after a delete, or once the caller may no longer see it).

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::{Context, Data, Enum, ErrorExtensions, Object, Response, Subscription};
use futures_util::{Stream, StreamExt};

use crate::db::Reads;
use crate::error::AppResult;
use crate::events::{ChangeKind, Dropped, Event, EventFilter, Topic};
use crate::graphql::context::ContextExt;
use crate::graphql::loaders::Loaders;
use crate::graphql::nodes::{OrderNode, PaymentNode, order, payment};
use crate::payments;
use crate::state::AppState;

/// What happened to the object of an event.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "ChangeKind", remote = "crate::events::ChangeKind")]
pub enum ChangeKindGql {
    Created,
    Updated,
    Deleted,
}

/// A committed change of an order.
pub struct OrderEvent {
    kind: ChangeKind,
    order_id: i64,
}

#[Object(serial)]
impl OrderEvent {
    async fn kind(&self) -> ChangeKindGql {
        self.kind.into()
    }

    async fn order_id(&self) -> i64 {
        self.order_id
    }

    /// The order as it is now; null after DELETED (or once the caller may no longer see it).
    async fn order(&self, ctx: &Context<'_>) -> AppResult<Option<OrderNode>> {
        if self.kind == ChangeKind::Deleted {
            return Ok(None);
        }
        order::visible_by_id(ctx, self.order_id).await
    }
}

/// A committed change of a payment.
pub struct PaymentEvent {
    kind: ChangeKind,
    payment_id: i64,
    order_id: i64,
}

#[Object(serial)]
impl PaymentEvent {
    async fn kind(&self) -> ChangeKindGql {
        self.kind.into()
    }

    async fn payment_id(&self) -> i64 {
        self.payment_id
    }

    async fn order_id(&self) -> i64 {
        self.order_id
    }

    /// The payment as it is now; null after DELETED (or once the caller may no longer see it).
    async fn payment(&self, ctx: &Context<'_>) -> AppResult<Option<PaymentNode>> {
        if self.kind == ChangeKind::Deleted {
            return Ok(None);
        }
        match payments::service::get_payment(ctx.db(), ctx.access(), self.payment_id).await? {
            Some(p) => Ok(Some(payment::with_graph(ctx, p).await?)),
            None => Ok(None),
        }
    }
}

#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Changes of the orders the caller may see (a customer: their own), optionally of one
    /// order or of one customer's orders.
    async fn order_events(
        &self,
        ctx: &Context<'_>,
        order_id: Option<i64>,
        customer_id: Option<i64>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<OrderEvent>>> {
        let filter = EventFilter {
            topic: Topic::Orders,
            scope: ctx.access().read_scope()?,
            order_id,
            customer_id,
        };
        let events = ctx.state().events.subscribe(filter);
        Ok(events.filter_map(|item| async move {
            match item {
                Ok(Event::Order { kind, order_id, .. }) => Some(Ok(OrderEvent { kind, order_id })),
                Ok(Event::Payment { .. }) => None,
                Err(dropped) => Some(Err(too_slow(dropped))),
            }
        }))
    }

    /// Changes of the payments of the orders the caller may see, optionally of one order.
    async fn payment_events(
        &self,
        ctx: &Context<'_>,
        order_id: Option<i64>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<PaymentEvent>>> {
        let filter = EventFilter {
            topic: Topic::Payments,
            scope: ctx.access().read_scope()?,
            order_id,
            customer_id: None,
        };
        let events = ctx.state().events.subscribe(filter);
        Ok(events.filter_map(|item| async move {
            match item {
                Ok(Event::Payment {
                    kind,
                    payment_id,
                    order_id,
                    ..
                }) => Some(Ok(PaymentEvent {
                    kind,
                    payment_id,
                    order_id,
                })),
                Ok(Event::Order { .. }) => None,
                Err(dropped) => Some(Err(too_slow(dropped))),
            }
        }))
    }
}

/// The last message of a subscription whose client did not keep up.
fn too_slow(dropped: Dropped) -> async_graphql::Error {
    async_graphql::Error::new(dropped.to_string()).extend_with(|_, e| {
        e.set("code", "SUBSCRIBER_TOO_SLOW");
        e.set("limit", dropped.limit as u64);
    })
}

/// Gives each execution that has no DataLoaders yet fresh ones, reading from the pool: every
/// event delivered to a subscription (async-graphql runs each through `execute`), and each
/// operation sent over the WebSocket, so that nothing cached for one event is served for the
/// next. Only the WebSocket schema carries it (`ws::build_ws_schema`); HTTP requests bring
/// their own loaders.
pub struct FreshLoaders;

impl ExtensionFactory for FreshLoaders {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(FreshLoadersExtension)
    }
}

struct FreshLoadersExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for FreshLoadersExtension {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if ctx.data_opt::<Loaders>().is_some() {
            return next.run(ctx, operation_name).await;
        }
        match ctx.data_opt::<AppState>() {
            Some(state) => {
                let mut data = Data::default();
                data.insert(Loaders::new(Arc::new(Reads::pool(&state.db))));
                next.run_with_data(ctx, operation_name, data).await
            }
            None => next.run(ctx, operation_name).await,
        }
    }
}
