//! Relay's Global Object Identification: the `Node` interface (`nodeId: ID!`) of `Order`,
//! `Payment`, `Product`, `Stock` and `User`, and `node(id:)` / `nodes(ids:)`, which refetch any
//! of them by its global id through the same domain reads and roles as the rest of the API: a
//! customer gets null for an order or payment not theirs and for any user but themselves;
//! products and stock are catalog data that anyone who may read reads. An id that names no
//! object the caller may see (malformed, of another type, deleted, not theirs) is null, so
//! that `nodes` keeps its length and order and reveals nothing.
//!
//! `nodes` loads its objects by type, one statement per type present (and the relations the
//! selection reaches, one statement per table as the lists load them), whatever the number of
//! ids; at most `MAX_IDS` ids per request.

use async_graphql::{Context, ID, Interface, Object};
use entity::{order, payment, product, stock};

use crate::auth::service::visible_users;
use crate::catalog::service::{products_by_id, stocks_by_id};
use crate::db::distinct_ids;
use crate::error::{AppError, AppResult, Problem};
use crate::graphql::context::ContextExt;
use crate::graphql::global_id::{self, NodeType};
use crate::graphql::lookahead::{catalog_graph, order_graph, payment_orders_graph};
use crate::graphql::nodes::{OrderNode, PaymentNode, ProductNode, StockNode, UserObject};
use crate::orders::service::visible_orders;
use crate::payments::service::visible_payments;

/// The most ids one `nodes` takes (as the largest page of a list).
pub const MAX_IDS: usize = crate::listing::MAX_PAGE as usize;

/// An object with a global id, refetchable with `node(id:)`.
#[derive(Interface)]
#[graphql(field(
    name = "node_id",
    ty = "ID",
    desc = "The object's global id (Relay): opaque, unique across types; `node(id:)` refetches it."
))]
pub enum Node {
    Order(OrderNode),
    Payment(PaymentNode),
    Product(ProductNode),
    Stock(StockNode),
    User(UserObject),
}

/// `node` and `nodes`, merged into the schema's `Query`.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global id (`nodeId`), or null when there is none the caller may
    /// see (an id that is malformed, of another type, deleted, or of someone else's order).
    async fn node(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<Node>> {
        Ok(fetch(ctx, std::slice::from_ref(&id)).await?.pop().flatten())
    }

    /// The objects with these global ids, in their order: null for each that `node` would
    /// answer null for. At most 100 ids.
    #[graphql(complexity = "ids.len() * child_complexity + 1")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> AppResult<Vec<Option<Node>>> {
        if ids.len() > MAX_IDS {
            return Err(AppError::invalid(
                "ids",
                Problem::Rule(format!("at most {MAX_IDS} ids")),
            ));
        }
        fetch(ctx, &ids).await
    }
}

/// The objects `ids` name that the caller may see, in their order; each type's rows in one
/// statement, and the graph of what the selection reaches under them.
async fn fetch(ctx: &Context<'_>, ids: &[ID]) -> AppResult<Vec<Option<Node>>> {
    let (db, access) = (ctx.db(), ctx.access());
    access.read_scope()?;
    let named: Vec<Option<(NodeType, i64)>> = ids.iter().map(|id| global_id::decode(id)).collect();
    let of = |kind: NodeType| {
        distinct_ids(
            named
                .iter()
                .flatten()
                .filter(|(k, _)| *k == kind)
                .map(|(_, row)| *row),
        )
    };
    let orders = visible_orders(db, access, &of(NodeType::Order)).await?;
    let payments = visible_payments(db, access, &of(NodeType::Payment)).await?;
    let users = visible_users(db, access, &of(NodeType::User)).await?;
    let products = products_by_id(db, &of(NodeType::Product)).await?;
    let stocks = stocks_by_id(db, &of(NodeType::Stock)).await?;

    let look = [ctx.look_ahead()];
    let order_rows: Vec<&order::Model> = orders.values().collect();
    let orders_graph = match order_rows.is_empty() {
        true => None,
        false => Some(order_graph(ctx, &order_rows, &look).await?),
    };
    let payment_rows: Vec<&payment::Model> = payments.values().collect();
    let payments_graph = payment_orders_graph(ctx, &payment_rows, &look).await?;
    let product_rows: Vec<&product::Model> = products.values().collect();
    let stock_rows: Vec<&stock::Model> = stocks.values().collect();
    let catalog = match product_rows.is_empty() && stock_rows.is_empty() {
        true => None,
        false => Some(catalog_graph(ctx, &product_rows, &stock_rows, &look).await?),
    };

    let node = |kind: NodeType, row: i64| -> Option<Node> {
        Some(match kind {
            NodeType::Order => Node::Order(OrderNode::new(
                orders.get(&row)?.clone(),
                orders_graph.clone(),
            )),
            NodeType::Payment => Node::Payment(PaymentNode::new(
                payments.get(&row)?.clone(),
                payments_graph.clone(),
            )),
            NodeType::Product => Node::Product(ProductNode::new(
                products.get(&row)?.clone(),
                catalog.clone(),
            )),
            NodeType::Stock => {
                Node::Stock(StockNode::new(stocks.get(&row)?.clone(), catalog.clone()))
            }
            NodeType::User => Node::User(users.get(&row)?.into()),
        })
    };
    Ok(named
        .iter()
        .map(|found| found.and_then(|(kind, row)| node(kind, row)))
        .collect())
}
