//! Relay's `PageInfo`, built from a `listing::Page`.

use async_graphql::SimpleObject;

use crate::listing::{Page, PageRequest};

#[derive(Debug, Clone, SimpleObject)]
#[graphql(serial)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

impl PageInfo {
    pub fn of<M>(page: &Page<M>) -> Self {
        PageInfo {
            has_next_page: page.has_next,
            has_previous_page: page.has_previous,
            start_cursor: page.start_cursor(),
            end_cursor: page.end_cursor(),
        }
    }
}

/// The pagination arguments as one value.
pub fn request(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> PageRequest {
    PageRequest {
        first: first.map(i64::from),
        after,
        last: last.map(i64::from),
        before,
    }
}

/// Complexity weight of a list argument: the page size it may return.
pub fn page_weight(first: Option<i32>, last: Option<i32>) -> usize {
    first
        .or(last)
        .unwrap_or(crate::listing::DEFAULT_PAGE as i32)
        .clamp(1, crate::listing::MAX_PAGE as i32) as usize
}
