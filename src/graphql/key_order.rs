//! Response keys in the order the query asks for them (GraphQL spec, "Serialized Map
//! Ordering": the order of `CollectFields`), at the root.
//!
//! async-graphql resolves the fields of an object concurrently and records each one as it
//! completes (`resolve_container` collects a `FuturesUnordered`; upstream issue
//! async-graphql#612), so a field that waits for the database lands after one that does not:
//! `{ warehouses me products }` answered `me` first. Every object type of the schema is
//! therefore `serial` (`#[graphql(serial)]`: its fields resolved one after the other, in the
//! query's order, which also spares the `FuturesUnordered` of every object; the fields of a
//! list's items still run concurrently), but the root of a query is resolved by async-graphql
//! itself, concurrently, whatever its type says: its keys are put back in order here.
//!
//! The order is the query's root fields with fragments expanded in place, fields of the same
//! response key merged at their first appearance and `@skip`/`@include` applied, as
//! `CollectFields` does (a fragment on `Query` is the only kind the root can have).

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Positioned, Value, Variables};

use crate::graphql::operation::operation;

/// Puts the root keys of `data` in the order of the operation's selection.
pub fn restore(
    data: &mut Value,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) {
    let Some(op) = operation(document, operation_name) else {
        return;
    };
    let ctx = Ctx {
        document,
        variables,
    };
    if let Value::Object(map) = data {
        reorder(map, &ctx.collect(&op.selection_set.node));
    }
}

struct Ctx<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
}

impl<'a> Ctx<'a> {
    /// The response keys of `CollectFields` over `set`, in order.
    fn collect(&self, set: &'a SelectionSet) -> Vec<&'a Name> {
        let mut out = Vec::new();
        self.add(set, &mut out, 0);
        out
    }

    fn add(&self, set: &'a SelectionSet, out: &mut Vec<&'a Name>, depth: usize) {
        // fragment cycles are refused by validation; this only bounds a document that was not
        if depth > 64 {
            return;
        }
        for item in &set.items {
            if !self.included(item.node.directives()) {
                continue;
            }
            match &item.node {
                Selection::Field(f) => {
                    let key = &f.node.response_key().node;
                    if !out.contains(&key) {
                        out.push(key);
                    }
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) =
                        self.document.fragments.get(&spread.node.fragment_name.node)
                    {
                        self.add(&fragment.node.selection_set.node, out, depth + 1);
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.add(&inline.node.selection_set.node, out, depth + 1);
                }
            }
        }
    }

    /// `@skip(if:)` and `@include(if:)` with the request's variables.
    fn included(&self, directives: &[Positioned<Directive>]) -> bool {
        directives.iter().all(|d| {
            let wanted = match d.node.name.node.as_str() {
                "skip" => false,
                "include" => true,
                _ => return true,
            };
            let condition = d
                .node
                .get_argument("if")
                .and_then(|v| {
                    v.node
                        .clone()
                        .into_const_with(|name| self.variables.get(&name).cloned().ok_or(()))
                        .ok()
                })
                .is_some_and(|v| v == Value::Boolean(true));
            condition == wanted
        })
    }
}

/// Sorts the map's keys into the order of `keys` unless they already are in it.
fn reorder(map: &mut IndexMap<Name, Value>, keys: &[&Name]) {
    let mut rest = keys.iter();
    let in_order = map.keys().all(|key| rest.by_ref().any(|k| *k == key));
    if !in_order {
        let position = |key: &Name| keys.iter().position(|k| *k == key).unwrap_or(usize::MAX);
        map.sort_by_cached_key(|key, _| position(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn restored(query: &str, data: serde_json::Value, variables: serde_json::Value) -> String {
        let document = async_graphql::parser::parse_query(query).unwrap();
        let mut value = Value::from_json(data).unwrap();
        let variables = Variables::from_json(variables);
        restore(&mut value, &document, None, &variables);
        value.into_json().unwrap().to_string()
    }

    #[test]
    fn root_keys_follow_the_query() {
        let out = restored(
            "{ warehouses { id name } me { username } orders { totalCount } }",
            serde_json::json!({
                "me": { "username": "a" },
                "orders": { "totalCount": 2 },
                "warehouses": [{ "name": "W", "id": 1 }],
            }),
            serde_json::json!({}),
        );
        // the root only: below it, every object type is serial
        assert_eq!(
            out,
            r#"{"warehouses":[{"name":"W","id":1}],"me":{"username":"a"},"orders":{"totalCount":2}}"#
        );
    }

    #[test]
    fn fragments_merged_keys_aliases_and_conditions_count() {
        let out = restored(
            "query($x: Boolean!) { ...F b: me { id } a: me @include(if: $x) { id } c: me @skip(if: $x) { id } }
             fragment F on Query { ... on Query { z: me { username } } a: me { username } }",
            serde_json::json!({
                "b": { "id": 1 },
                "a": { "id": 1, "username": "u" },
                "z": { "username": "u" },
            }),
            serde_json::json!({ "x": true }),
        );
        assert_eq!(
            out,
            r#"{"z":{"username":"u"},"a":{"id":1,"username":"u"},"b":{"id":1}}"#
        );
        // with `a` skipped, it is only the fragment's `a`; `c` would come last
        let out = restored(
            "query($x: Boolean!) { c: me @skip(if: $x) { id } a: me @include(if: $x) { id } b: me { id } }",
            serde_json::json!({ "b": { "id": 1 }, "c": { "id": 1 } }),
            serde_json::json!({ "x": false }),
        );
        assert_eq!(out, r#"{"c":{"id":1},"b":{"id":1}}"#);
    }
}
