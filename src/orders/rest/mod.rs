//! The REST face of orders: `/api/erp/oms/orders/` and `/api/erp/oms/orders/{id}/` answering
//! as the InventoryHub API does (OMS.md), wired by `rest::resource`. This module parses the
//! bodies and filters and calls `service`; every rule and permission is the domain's.

mod body;
mod repr;

use entity::order;
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde_json::Value;

use crate::auth::Access;
use crate::auth::policy::Caller;
use crate::db::Reads;
use crate::error::{AppResult, FieldErrors};
use crate::filters::IntFilter;
use crate::idempotency::{IdempotencyKey, Outcome};
use crate::listing::Window;
use crate::orders::filter::{OrderFilter, OrderStatusFilter};
use crate::orders::service::{self, NewOrder};
use crate::orders::status::OrderStatus;
use crate::rest::methods::{COLLECTION_METHODS, ITEM_METHODS, View};
use crate::rest::query::{QueryParams, unavailable_choice};
use crate::rest::resource::{Resource, body_of};
use crate::rest::resource_doc::Docs;
use crate::state::AppState;

pub use body::{OrderItemWrite, OrderWrite};
pub use repr::{Order, OrderItem, OrderPayment, represent};

/// The orders view set.
pub struct Orders;

/// django-filter's `?id=&status=&customer=`, and the customer asked for, whose existence is
/// checked only when nothing matches (a match proves it exists: one statement saved).
pub struct ListFilter {
    filter: OrderFilter,
    customer: Option<i64>,
}

fn filter(query: &QueryParams) -> AppResult<ListFilter> {
    let mut errors = FieldErrors::new();
    let id = query.number("id", &mut errors);
    let status = query.choice::<OrderStatus>("status", &mut errors);
    let customer = query.model_choice("customer", &mut errors);
    errors.into_result()?;
    let filter = OrderFilter {
        id,
        customer: customer.map(IntFilter::eq),
        status: status.map(|s| OrderStatusFilter {
            eq: Some(s),
            ..Default::default()
        }),
        ..Default::default()
    };
    Ok(ListFilter { filter, customer })
}

#[async_trait::async_trait]
impl Resource for Orders {
    const MODEL: &'static str = "Order";
    const PATH: &'static str = "/api/erp/oms/orders";
    const LIST_VIEW: &'static View = &View {
        name: "Order List",
        description: "Orders with their items and payments, newest first. Filters: id, status, customer.",
        allow: COLLECTION_METHODS,
    };
    const ITEM_VIEW: &'static View = &View {
        name: "Order Instance",
        description: "One order: retrieve, update its status or customer, delete.",
        allow: ITEM_METHODS,
    };
    const DOCS: &'static Docs = &Docs {
        tag: "orders",
        noun: "order",
        plural: "orders",
        filters: &[
            ("id", true, "Only the order of this id."),
            (
                "status",
                false,
                "Only orders in this status (pending, confirmed, shipped, delivered, cancelled).",
            ),
            (
                "customer",
                true,
                "Only the orders of this customer (user id).",
            ),
        ],
        create: "Places an order (201), taking its units out of the named stock rows.",
        destroy: "Deletes an order with its items and payments (204).",
    };
    type Row = order::Model;
    type Shown = Order;
    type Write = OrderWrite;
    type New = NewOrder;
    type Filter = ListFilter;

    fn id_of(row: &order::Model) -> i64 {
        row.id
    }

    async fn filter(_: &Reads, _: Caller<'_>, query: &QueryParams) -> AppResult<ListFilter> {
        filter(query)
    }

    /// A `?customer=` that matched nothing: 400 if no such customer is visible.
    async fn nothing_matched(db: &Reads, access: &Access, f: &ListFilter) -> AppResult<()> {
        if let Some(c) = f.customer
            && !service::visible_customer(db, access, c).await?
        {
            let mut errors = FieldErrors::new();
            unavailable_choice("customer", &mut errors);
            return errors.into_result();
        }
        Ok(())
    }

    async fn count(db: &Reads, access: &Access, f: &ListFilter) -> AppResult<u64> {
        service::count_orders(db, access, Some(&f.filter)).await
    }

    async fn find<C: ConnectionTrait>(
        db: &C,
        access: &Access,
        id: i64,
    ) -> AppResult<Option<order::Model>> {
        service::get_order(db, access, id).await
    }

    async fn shown_rows(
        db: &Reads,
        caller: Caller<'_>,
        f: &ListFilter,
        window: Window,
    ) -> AppResult<(Vec<Order>, Option<i64>)> {
        // the orders and what they show (and a pending caller's lookup): one statement
        let (rows, mut graph) =
            service::all_orders_with(db, caller, Some(&f.filter), window, repr::WANTS).await?;
        let last = rows.last().map(|o| o.id);
        let shown = rows
            .into_iter()
            .map(|o| repr::shown(o, &mut graph))
            .collect::<AppResult<Vec<Order>>>()?;
        Ok((shown, last))
    }

    async fn find_shown<C: ConnectionTrait>(
        db: &C,
        caller: Caller<'_>,
        id: i64,
    ) -> AppResult<Option<Order>> {
        // the order and what it shows (and a pending caller's lookup): one statement
        match service::get_order_with(db, caller, id, repr::WANTS).await? {
            Some((row, mut graph)) => Ok(Some(repr::shown(row, &mut graph)?)),
            None => Ok(None),
        }
    }

    async fn represent<C: ConnectionTrait>(
        db: &C,
        rows: Vec<order::Model>,
    ) -> AppResult<Vec<Order>> {
        represent(db, rows).await
    }

    fn parse_new(body: &Value) -> AppResult<NewOrder> {
        OrderWrite::new_order(body)
    }

    async fn create(
        state: &AppState,
        caller: Caller<'_>,
        new: NewOrder,
        key: Option<&IdempotencyKey>,
    ) -> AppResult<Outcome<order::Model>> {
        let answer = async |txn: &DatabaseTransaction, created: &order::Model| {
            body_of::<Orders, _>(txn, created.clone()).await.map(Some)
        };
        service::create_order_keyed(state, caller, new, key, answer).await
    }

    async fn change(
        state: &AppState,
        access: &Access,
        id: i64,
        body: &Value,
        partial: bool,
    ) -> AppResult<order::Model> {
        service::update_order(state, access, id, OrderWrite::change(body, partial)?).await
    }

    async fn delete(state: &AppState, access: &Access, id: i64) -> AppResult<()> {
        service::delete_order(state, access, id).await
    }
}
