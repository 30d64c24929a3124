//! How the REST face shows orders (OMS.md), their items and payments nested.

use entity::{order, payment};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::{RefOr, Schema};

use crate::error::AppResult;
use crate::orders::graph::{OrderGraph, Wants};
use crate::orders::status::OrderStatus;
use crate::payments::status::PaymentStatus;
use crate::rest::repr::{missing, money, timestamp};

pub(super) fn status_schema() -> RefOr<Schema> {
    crate::rest::repr::choice_schema(OrderStatus::ALL.map(OrderStatus::as_str))
}

fn payment_status_schema() -> RefOr<Schema> {
    crate::rest::repr::choice_schema(PaymentStatus::ALL.map(PaymentStatus::as_str))
}

/// An order as the legacy API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Order {
    #[schema(example = 1)]
    pub id: i64,
    /// The customer's username.
    #[schema(example = "user")]
    pub customer: String,
    #[schema(schema_with = status_schema)]
    pub status: String,
    /// The exact sum of price times quantity of the items, two places.
    #[schema(format = "decimal", example = "999.99")]
    pub total_amount: String,
    #[schema(format = DateTime, example = "2025-11-21T12:00:00Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2025-11-21T12:05:00Z")]
    pub updated_at: String,
    pub items: Vec<OrderItem>,
    pub payments: Vec<OrderPayment>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OrderItem {
    #[schema(example = 1)]
    pub id: i64,
    /// The product's name.
    #[schema(example = "Laptop")]
    pub product: String,
    #[schema(example = 1)]
    pub quantity: i32,
    #[schema(format = "decimal", example = "999.99")]
    pub price: String,
    /// `"<warehouse> - <location code>"` of the stock row the units came from.
    #[schema(example = "Main WH - A1")]
    pub stock: Option<String>,
}

/// A payment nested in its order (no `order` field).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OrderPayment {
    #[schema(example = 1)]
    pub id: i64,
    #[schema(format = "decimal", example = "999.99")]
    pub amount: String,
    #[schema(example = "Credit Card")]
    pub payment_method: String,
    #[schema(schema_with = payment_status_schema)]
    pub status: String,
    #[schema(format = DateTime, example = json!(null))]
    pub paid_at: Option<String>,
    #[schema(format = DateTime, example = "2025-11-21T12:01:00Z")]
    pub created_at: String,
}

impl OrderPayment {
    pub fn of(p: &payment::Model) -> OrderPayment {
        OrderPayment {
            id: p.id,
            amount: money(p.amount),
            payment_method: p.payment_method.clone(),
            status: p.status.clone(),
            paid_at: p.paid_at.as_ref().map(timestamp),
            created_at: timestamp(&p.created_at),
        }
    }
}

/// Renders orders from one `OrderGraph` (one statement per table for the whole list, never
/// one per order): customers, items with their product and stock location, payments.
/// On any connection: the pool, a request's `Reads`, or a write's transaction (the stored
/// answer of an idempotency key).
pub async fn represent<C: ConnectionTrait>(
    db: &C,
    orders: Vec<order::Model>,
) -> AppResult<Vec<Order>> {
    let mut g = OrderGraph::load(db, &orders, WANTS).await?;
    orders.into_iter().map(|o| shown(o, &mut g)).collect()
}

/// What an order as shown refers to.
pub const WANTS: Wants = Wants {
    customer: true,
    payments: true,
    items: true,
    item_product: true,
    item_stock: true,
    stock_product: false,
    categories: false,
};

/// The order as shown, from a graph of (at least) `WANTS` that holds it; its items and
/// payments are taken out of the graph.
pub fn shown(o: order::Model, g: &mut OrderGraph) -> AppResult<Order> {
    let mut lines = Vec::new();
    for i in g.items.remove(&o.id).unwrap_or_default() {
        let product = g
            .products
            .get(&i.product_id)
            .ok_or_else(|| missing("product", i.product_id))?;
        let stock = match i.stock_id {
            None => None,
            Some(stock_id) => Some(
                g.stock_label(stock_id)
                    .ok_or_else(|| missing("stock", stock_id))?,
            ),
        };
        lines.push(OrderItem {
            id: i.id,
            product: product.name.clone(),
            quantity: i.quantity,
            price: money(i.price),
            stock,
        });
    }
    Ok(Order {
        id: o.id,
        customer: g
            .customers
            .get(&o.customer_id)
            .map(|u| u.username.clone())
            .ok_or_else(|| missing("user", o.customer_id))?,
        status: o.status,
        total_amount: money(o.total_amount),
        created_at: timestamp(&o.created_at),
        updated_at: timestamp(&o.updated_at),
        items: lines,
        payments: g
            .payments
            .remove(&o.id)
            .unwrap_or_default()
            .iter()
            .map(OrderPayment::of)
            .collect(),
    })
}
