//! Apollo automatic persisted queries: a client sends the SHA-256 of a query instead of its
//! text; the first time, the server answers `PersistedQueryNotFound` and the client sends both,
//! which the server remembers (bounded LRU, per process). The parsed documents of query texts
//! are remembered too: parsing (pest) was a tenth of the CPU of a small query.

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError};
use sha2::{Digest, Sha256};

use crate::graphql::codes::{self, coded};
use crate::memo::Memo;

/// Remembered queries by their SHA-256 (hex), and parsed documents by query text.
pub struct PersistedQueries {
    cache: Memo<String, String>,
    documents: Memo<String, Arc<ExecutableDocument>>,
}

/// Longer query texts are parsed every time rather than remembered.
const MAX_REMEMBERED_DOCUMENT: usize = 16 * 1024;

impl PersistedQueries {
    pub fn new(capacity: usize) -> Self {
        PersistedQueries {
            cache: Memo::new(capacity),
            documents: Memo::new(capacity),
        }
    }

    /// Resolves the `persistedQuery` extension of a request, if any: fills in the query text
    /// from the cache, or checks and remembers a query sent with its hash.
    pub fn resolve(&self, mut request: Request) -> Result<Request, ServerError> {
        let Some(value) = request.extensions.remove("persistedQuery") else {
            return Ok(request);
        };
        let json = value.into_json().map_err(|_| invalid())?;
        let version = json.get("version").and_then(|v| v.as_i64());
        let hash = json
            .get("sha256Hash")
            .and_then(|v| v.as_str())
            .map(str::to_ascii_lowercase);
        let Some(hash) = hash else {
            return Err(invalid());
        };
        if version != Some(1) {
            return Err(coded(
                "Only version 1 of the \"persistedQuery\" extension is supported.",
                "PERSISTED_QUERY_NOT_SUPPORTED",
            ));
        }
        if request.query.is_empty() {
            match self.cache.get(&hash) {
                Some(query) => {
                    request.query = query;
                    Ok(request)
                }
                None => Err(coded("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")),
            }
        } else {
            let actual = format!("{:x}", Sha256::digest(request.query.as_bytes()));
            if actual != hash {
                return Err(coded(
                    "provided sha does not match query",
                    codes::BAD_USER_INPUT,
                ));
            }
            self.cache.put(hash, request.query.clone());
            Ok(request)
        }
    }
}

impl PersistedQueries {
    /// The request's parsed document, which the request now carries too (the executor takes
    /// its copy): a remembered one, or parsed now (and remembered when it parses). A text that
    /// does not parse is `GRAPHQL_PARSE_FAILED`.
    pub fn parse(&self, request: &mut Request) -> Result<Arc<ExecutableDocument>, ServerError> {
        if let Some(document) = self.documents.get(&request.query) {
            request.set_parsed_query((*document).clone());
            return Ok(document);
        }
        let document = match request.parsed_query() {
            Ok(document) => Arc::new(document.clone()),
            Err(mut e) => {
                codes::set_code(&mut e, codes::PARSE_FAILED);
                return Err(e);
            }
        };
        if request.query.len() <= MAX_REMEMBERED_DOCUMENT {
            self.documents
                .put(request.query.clone(), Arc::clone(&document));
        }
        Ok(document)
    }
}

fn invalid() -> ServerError {
    coded(
        "Invalid \"persistedQuery\" extension.",
        codes::BAD_USER_INPUT,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_ext(query: &str, hash: &str) -> Request {
        let mut r = Request::new(query);
        r.extensions.insert(
            "persistedQuery".into(),
            async_graphql::Value::from_json(serde_json::json!({"version": 1, "sha256Hash": hash}))
                .unwrap(),
        );
        r
    }

    #[test]
    fn registers_then_serves_by_hash() {
        let apq = PersistedQueries::new(8);
        let q = "{ me { id } }";
        let hash = format!("{:x}", Sha256::digest(q.as_bytes()));
        let e = apq.resolve(with_ext("", &hash)).unwrap_err();
        assert_eq!(e.message, "PersistedQueryNotFound");
        assert!(apq.resolve(with_ext(q, "00")).is_err());
        assert_eq!(apq.resolve(with_ext(q, &hash)).unwrap().query, q);
        assert_eq!(apq.resolve(with_ext("", &hash)).unwrap().query, q);
    }

    #[test]
    fn remembers_documents_that_parse() {
        let apq = PersistedQueries::new(8);
        let q = "{ order(id: 1) { id status } }";
        let first = apq.parse(&mut Request::new(q)).unwrap();
        assert!(apq.documents.get(&q.to_owned()).is_some());
        // the remembered copy is the document the text parses to
        let again = apq.parse(&mut Request::new(q)).unwrap();
        assert_eq!(format!("{first:?}"), format!("{again:?}"));
        let other = apq.parse(&mut Request::new("{ me { id } }")).unwrap();
        assert_ne!(format!("{first:?}"), format!("{other:?}"));
        // an error is answered each time, with its code, and never remembered
        let e = apq.parse(&mut Request::new("{ order(")).unwrap_err();
        assert_eq!(
            codes::code(&e),
            Some(&async_graphql::Value::from(codes::PARSE_FAILED))
        );
        assert!(apq.documents.get(&"{ order(".to_owned()).is_none());
        assert!(apq.parse(&mut Request::new("{ order(")).is_err());
        // a long text is parsed but not kept
        let long = format!("{{ me {{ id }} }}{}", " ".repeat(MAX_REMEMBERED_DOCUMENT));
        assert!(apq.parse(&mut Request::new(long.clone())).is_ok());
        assert!(apq.documents.get(&long).is_none());
    }
}
