//! Absolute links as Django builds them (`request.build_absolute_uri()`): the scheme, the
//! request's `Host`, its path and query. Used by the API root and the page envelope's
//! `next`/`previous`, which keep the other query parameters, sorted by key as DRF's
//! `replace_query_param` leaves them.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::rest::query::QueryParams;

/// The request's own absolute address, split into what links are made of.
#[derive(Debug, Clone)]
pub struct RequestUrl {
    /// `http://host[:port]`.
    pub origin: String,
    pub path: String,
    pub query: QueryParams,
}

impl RequestUrl {
    /// The absolute URL of a path on this server.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// This request's URL with the query parameter `key` set to `value`, or removed (`None`).
    pub fn with_param(&self, key: &str, value: Option<&str>) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .query
            .0
            .iter()
            .filter(|(k, _)| k != key)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if let Some(v) = value {
            pairs.push((key, v));
        }
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let mut url = self.absolute(&self.path);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        url
    }
}

/// The scheme the client used: `X-Forwarded-Proto` from a TLS-terminating proxy, else `http`.
fn scheme(parts: &Parts) -> &'static str {
    let forwarded = parts
        .headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(',')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match forwarded.as_deref() {
        Some("https") => "https",
        _ => "http",
    }
}

/// The host the client asked for, when it is a plausible host name (else `localhost`).
fn host(parts: &Parts) -> String {
    let given = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.as_str().to_owned()));
    given
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
        })
        .unwrap_or_else(|| "localhost".to_owned())
}

impl<S: Send + Sync> FromRequestParts<S> for RequestUrl {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestUrl {
            origin: format!("{}://{}", scheme(parts), host(parts)),
            path: parts.uri.path().to_owned(),
            query: QueryParams::parse(parts.uri.query()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_other_parameters_sorted() {
        let url = RequestUrl {
            origin: "http://testserver".into(),
            path: "/api/erp/oms/orders/".into(),
            query: QueryParams::parse(Some("status=pending&page=2&customer=2&q=a+b")),
        };
        assert_eq!(
            url.with_param("page", Some("3")),
            "http://testserver/api/erp/oms/orders/?customer=2&page=3&q=a+b&status=pending"
        );
        assert_eq!(
            url.with_param("page", None),
            "http://testserver/api/erp/oms/orders/?customer=2&q=a+b&status=pending"
        );
    }
}
