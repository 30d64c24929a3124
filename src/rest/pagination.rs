//! DRF's `PageNumberPagination` for the REST lists: the documented bare array unless the
//! request asks for a page (`?page=`, `?page_size=`) or `OMS_REST_PAGE_SIZE` is set; then the
//! envelope `{"count", "next", "previous", "results"}` with absolute links, and 404
//! `{"detail": "Invalid page."}` for a page that does not exist.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use utoipa::IntoParams;

use crate::error::AppResult;
use crate::listing::Window;
use crate::rest::links::RequestUrl;
use crate::rest::query::QueryParams;

/// The largest `?page_size=` honoured (larger asks get this many, as DRF's `max_page_size`).
pub const MAX_PAGE_SIZE: u64 = 1000;
/// The page size when a page is asked for and nothing says how large (the original's).
pub const DEFAULT_PAGE_SIZE: u64 = 10;

/// The page parameters of a list as given, and their OpenAPI description; `plan` reads them.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The page to answer (from 1, or `last`): asks for the page envelope.
    #[param(value_type = Option<String>, example = "2")]
    page: Option<String>,
    /// Rows per page (at most 1000): asks for the page envelope.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000)]
    page_size: Option<String>,
}

impl PageQuery {
    pub fn of(query: &QueryParams) -> PageQuery {
        PageQuery {
            page: query.get("page").map(str::to_owned),
            page_size: query.get("page_size").map(str::to_owned),
        }
    }
}

/// One page of a list (its schema is `rest::resource_doc`'s `Page_<T>`).
#[derive(Debug, Serialize)]
pub struct Page<T> {
    /// How many rows match, over all pages.
    pub count: u64,
    /// The absolute URL of the next page, if any.
    pub next: Option<String>,
    /// The absolute URL of the previous page, if any.
    pub previous: Option<String>,
    pub results: Vec<T>,
}

/// Which page the request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    Number(u64),
    Last,
    Invalid,
}

/// How a list request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Bare,
    Paged { wanted: Wanted, size: u64 },
}

/// Reads `page` and `page_size` as DRF does: a `page_size` that is not a positive integer
/// falls back to the configured size; a `page` that is not one is an invalid page.
pub fn plan(query: &QueryParams, configured: Option<u64>) -> Plan {
    let asked = PageQuery::of(query);
    let (page, asked_size) = (asked.page.as_deref(), asked.page_size.as_deref());
    if page.is_none() && asked_size.is_none() && configured.is_none() {
        return Plan::Bare;
    }
    let size = asked_size
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
        .map(|n| n.min(MAX_PAGE_SIZE))
        .or(configured)
        .unwrap_or(DEFAULT_PAGE_SIZE);
    let wanted = match page.map(str::trim) {
        None => Wanted::Number(1),
        Some("last") => Wanted::Last,
        Some(n) => match n.strip_prefix('+').unwrap_or(n).parse::<u64>() {
            Ok(n) if n >= 1 => Wanted::Number(n),
            _ => Wanted::Invalid,
        },
    };
    Plan::Paged { wanted, size }
}

/// Answers the page a list request asked for (the bare array is `rest::stream`'s). `count`
/// runs first; `fetch` gets the page's window of rows.
pub async fn page<T: Serialize>(
    wanted: Wanted,
    size: u64,
    url: &RequestUrl,
    count: impl AsyncFnOnce() -> AppResult<u64>,
    fetch: impl AsyncFnOnce(Window) -> AppResult<Vec<T>>,
) -> AppResult<Response> {
    if wanted == Wanted::Invalid {
        return Ok(invalid_page());
    }
    let total = count().await?;
    let pages = total.max(1).div_ceil(size);
    let number = match wanted {
        Wanted::Number(n) if n <= pages => n,
        Wanted::Last => pages,
        _ => return Ok(invalid_page()),
    };
    let results = fetch(Window::Offset {
        offset: (number - 1) * size,
        limit: size,
    })
    .await?;
    let next = (number < pages).then(|| url.with_param("page", Some(&(number + 1).to_string())));
    let previous = (number > 1).then(|| {
        if number == 2 {
            url.with_param("page", None)
        } else {
            url.with_param("page", Some(&(number - 1).to_string()))
        }
    });
    Ok(Json(Page {
        count: total,
        next,
        previous,
        results,
    })
    .into_response())
}

fn invalid_page() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "detail": "Invalid page." })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> QueryParams {
        QueryParams::parse(Some(s))
    }

    #[test]
    fn plans() {
        assert_eq!(plan(&q("status=pending"), None), Plan::Bare);
        assert_eq!(
            plan(&q(""), Some(10)),
            Plan::Paged {
                wanted: Wanted::Number(1),
                size: 10
            }
        );
        assert_eq!(
            plan(&q("page=2"), None),
            Plan::Paged {
                wanted: Wanted::Number(2),
                size: DEFAULT_PAGE_SIZE
            }
        );
        assert_eq!(
            plan(&q("page_size=5000"), Some(3)),
            Plan::Paged {
                wanted: Wanted::Number(1),
                size: MAX_PAGE_SIZE
            }
        );
        assert_eq!(
            plan(&q("page_size=x&page=last"), Some(3)),
            Plan::Paged {
                wanted: Wanted::Last,
                size: 3
            }
        );
        for bad in ["page=0", "page=abc", "page=-1", "page=1.0"] {
            assert!(
                matches!(
                    plan(&q(bad), None),
                    Plan::Paged {
                        wanted: Wanted::Invalid,
                        ..
                    }
                ),
                "{bad}"
            );
        }
    }
}
