//! One Relay connection type for every list: `Connection<L>` and `Edge<L>`, named per list
//! (`OrderConnection`, `OrderEdge`, `ProductConnection`, ...) by the [`Listing`] each slice's
//! face implements for its list. A list provides its rows' node type, what its nodes share (the
//! graph of their relations that the page loaded) and how to count its rows: `totalCount` runs
//! that count only when it is selected, on the request's read connection.

use std::borrow::Cow;
use std::future::Future;

use async_graphql::{Context, Lookahead, Object, OutputType, TypeName};

use crate::auth::Access;
use crate::db::Reads;
use crate::error::AppResult;
use crate::graphql::context::ContextExt;
use crate::graphql::pagination::PageInfo;
use crate::listing::Page;

/// What a list gives its connection.
pub trait Listing: Send + Sync + 'static {
    /// The SDL names of its connection and edge types (`OrderConnection`, `OrderEdge`).
    const CONNECTION: &'static str;
    const EDGE: &'static str;
    /// A row of the list (the entity's model).
    type Row: Send + Sync;
    /// The GraphQL type of a row.
    type Node: OutputType;
    /// What the page's nodes share: the graph of their relations the page loaded, if any.
    type Shared: Send + Sync;
    /// What selected the rows (the filter, the list's arguments), kept for `totalCount`.
    type Query: Send + Sync;

    fn node(row: &Self::Row, shared: &Self::Shared) -> Self::Node;

    /// How many rows the caller may see match `query` (all pages).
    fn count(
        db: &Reads,
        access: &Access,
        query: &Self::Query,
    ) -> impl Future<Output = AppResult<u64>> + Send;
}

/// The look-aheads at a connection's nodes (`nodes` and `edges.node`), from the field that
/// returns the connection: what its page's graph is loaded for.
pub fn node_selections<'a>(ctx: &'a Context<'_>) -> [Lookahead<'a>; 2] {
    let look = ctx.look_ahead();
    [look.field("nodes"), look.field("edges").field("node")]
}

/// One page of a list.
pub struct Connection<L: Listing> {
    page: Page<L::Row>,
    shared: L::Shared,
    query: L::Query,
}

impl<L: Listing> Connection<L> {
    /// A page, what its nodes share, and what selected it (for `totalCount`).
    pub fn new(page: Page<L::Row>, shared: L::Shared, query: L::Query) -> Self {
        Connection {
            page,
            shared,
            query,
        }
    }

    fn made(&self) -> impl Iterator<Item = L::Node> {
        self.page.rows.iter().map(|row| L::node(row, &self.shared))
    }
}

impl<L: Listing> TypeName for Connection<L> {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed(L::CONNECTION)
    }
}

#[Object(name_type, serial)]
impl<L: Listing> Connection<L> {
    async fn edges(&self) -> Vec<Edge<L>> {
        self.made()
            .enumerate()
            .map(|(i, node)| Edge {
                cursor: self.page.cursor(i).unwrap_or_default(),
                node,
            })
            .collect()
    }

    async fn nodes(&self) -> Vec<L::Node> {
        self.made().collect()
    }

    async fn page_info(&self) -> PageInfo {
        PageInfo::of(&self.page)
    }

    /// How many rows match the filter and the arguments (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        let n = L::count(ctx.db(), ctx.access(), &self.query).await?;
        Ok(n as i64)
    }
}

/// A row of a page with its cursor.
pub struct Edge<L: Listing> {
    cursor: String,
    node: L::Node,
}

impl<L: Listing> TypeName for Edge<L> {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed(L::EDGE)
    }
}

#[Object(name_type, serial)]
impl<L: Listing> Edge<L> {
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    async fn node(&self) -> &L::Node {
        &self.node
    }
}
