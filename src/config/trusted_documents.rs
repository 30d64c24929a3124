//! The trusted-documents manifest (`OMS_TRUSTED_DOCUMENTS`): read and checked once at start, as
//! a setting; `graphql::trusted` admits requests against it.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// The documents a manifest lists: by their id, and by the SHA-256 (hex) of their text.
pub struct TrustedDocuments {
    by_id: HashMap<String, Arc<str>>,
    by_sha256: HashMap<String, Arc<str>>,
}

impl fmt::Debug for TrustedDocuments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrustedDocuments({} documents)", self.by_id.len())
    }
}

impl TrustedDocuments {
    /// Reads a manifest file; the error is one line saying what is wrong with it.
    pub fn load(path: &str) -> Result<TrustedDocuments, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?;
        TrustedDocuments::parse(&text)
    }

    /// A manifest's JSON: `{"<id>": "<document>", ...}`, or Apollo's
    /// `{"format": "apollo-persisted-query-manifest", "operations": [{"id", "body"}, ...]}`.
    /// Every document must parse as GraphQL.
    pub fn parse(json: &str) -> Result<TrustedDocuments, String> {
        let shape = "expected a JSON object of document id to GraphQL document \
                     (GraphQL Code Generator's persisted-documents.json, Relay's persisted queries)";
        let value: Value =
            serde_json::from_str(json).map_err(|e| format!("not JSON ({e}): {shape}"))?;
        let Value::Object(map) = value else {
            return Err(shape.to_owned());
        };
        let entries: Vec<(String, Value)> =
            if map.get("format") == Some(&json!("apollo-persisted-query-manifest")) {
                apollo_operations(map)?
            } else {
                map.into_iter().collect()
            };
        let mut documents = TrustedDocuments {
            by_id: HashMap::with_capacity(entries.len()),
            by_sha256: HashMap::with_capacity(entries.len()),
        };
        for (id, document) in entries {
            let Value::String(text) = document else {
                return Err(format!("the document of {id:?} is not a string: {shape}"));
            };
            if id.is_empty() {
                return Err("a document has an empty id".to_owned());
            }
            if let Err(e) = async_graphql::parser::parse_query(&text) {
                let e = e
                    .to_string()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                return Err(format!("the document of {id:?} is not valid GraphQL: {e}"));
            }
            let text: Arc<str> = text.into();
            documents.by_sha256.insert(sha256_hex(&text), text.clone());
            documents.by_id.insert(id, text);
        }
        if documents.by_id.is_empty() {
            return Err("the manifest lists no documents".to_owned());
        }
        Ok(documents)
    }

    /// How many documents the manifest lists.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The document of an id: a manifest key, or the SHA-256 of a listed text.
    pub(crate) fn lookup(&self, id: &str) -> Option<&Arc<str>> {
        self.by_id.get(id).or_else(|| {
            let hex = id.strip_prefix("sha256:").unwrap_or(id);
            self.by_sha256.get(&hex.to_ascii_lowercase())
        })
    }

    /// Whether this exact text is one of the documents.
    pub(crate) fn lists(&self, text: &str) -> bool {
        self.by_sha256.contains_key(&sha256_hex(text))
    }
}

fn apollo_operations(mut map: Map<String, Value>) -> Result<Vec<(String, Value)>, String> {
    let bad = || "an Apollo manifest needs \"operations\": [{\"id\", \"body\"}, ...]".to_owned();
    let Some(Value::Array(operations)) = map.remove("operations") else {
        return Err(bad());
    };
    operations
        .into_iter()
        .map(
            |mut op| match (op.get_mut("id").map(Value::take), op.get_mut("body")) {
                (Some(Value::String(id)), Some(body)) => Ok((id, body.take())),
                _ => Err(bad()),
            },
        )
        .collect()
}

pub(crate) fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}
