//! The rows a REST list reads at a time: a DRF page by offset, or a chunk of a streamed list
//! by keyset on the id.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Select};

use super::Span;

/// Which rows of a REST list (newest id first) to read: a DRF page by offset, or a chunk of a
/// streamed list, the `limit` rows below an id (`None`: from the newest) by keyset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Offset { offset: u64, limit: u64 },
    Below { id: Option<i64>, limit: u64 },
}

impl Window {
    /// `select` ordered by `id` descending and cut to this window.
    pub fn apply<E: EntityTrait>(self, select: Select<E>, id: impl ColumnTrait) -> Select<E> {
        let (select, span) = self.cut(select, id);
        span.apply(select)
    }

    /// `select` ordered by `id` descending (and below the window's id), and the span of it the
    /// window takes, for a read that writes it into its SQL (see `Span`).
    pub fn cut<E: EntityTrait>(self, select: Select<E>, id: impl ColumnTrait) -> (Select<E>, Span) {
        let select = select.order_by_desc(id);
        match self {
            Window::Offset { offset, limit } => (select, Span { limit, offset }),
            Window::Below { id: None, limit } => (select, Span::first(limit)),
            Window::Below {
                id: Some(below),
                limit,
            } => (select.filter(id.lt(below)), Span::first(limit)),
        }
    }

    /// Rows read through `apply` in the order it gives (newest id first), where they came in
    /// another (a `UNION ALL` promises none).
    pub fn sort<T>(rows: &mut [T], id: impl Fn(&T) -> i64) {
        rows.sort_unstable_by_key(|row| std::cmp::Reverse(id(row)));
    }
}
