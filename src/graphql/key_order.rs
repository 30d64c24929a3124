//! Response keys in the order the query asks for them, at every level (GraphQL spec, "Serialized
//! Map Ordering": the order of `CollectFields`).
//!
//! async-graphql resolves the fields of an object concurrently and records each one as it
//! completes (its `resolve_container` collects a `FuturesUnordered`; upstream issue
//! async-graphql#612), so a field that waits for the database lands after one that does not:
//! `{ warehouses me }` answered `me` first, and `{ totalCount nodes }` put `nodes` first. The
//! executor cannot be told otherwise, so the executed response is put back in the query's
//! order here, before it is serialised.
//!
//! The order is the query's field order with fragments expanded in place, fields of the same
//! response key merged at their first appearance and `@skip`/`@include` applied, as
//! `CollectFields` does; every fragment is taken to apply (the schema has no interfaces or
//! unions, so validation lets through only fragments on the object's own type). Objects already
//! in order (most of them) are only compared, not rebuilt, and the collected fields of a
//! selection are worked out once for all the objects of a list.

use std::cell::OnceCell;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Positioned, Value, Variables};

use crate::graphql::operation::operation;

/// Puts the keys of `data` in the order of the operation's selection.
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
    let root = ctx.collect(&[&op.selection_set.node]);
    walk(data, &root, &ctx);
}

struct Ctx<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
}

/// The fields a selection yields, in response order.
struct Fields<'a>(Vec<Field<'a>>);

/// One response key: the selection sets merged under it, and (once needed) their fields.
struct Field<'a> {
    key: &'a Name,
    sets: Vec<&'a SelectionSet>,
    fields: OnceCell<Fields<'a>>,
}

impl<'a> Ctx<'a> {
    /// `CollectFields` over `sets`.
    fn collect(&self, sets: &[&'a SelectionSet]) -> Fields<'a> {
        let mut out = Vec::new();
        for set in sets {
            self.add(set, &mut out, 0);
        }
        Fields(out)
    }

    fn add(&self, set: &'a SelectionSet, out: &mut Vec<Field<'a>>, depth: usize) {
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
                    let sub = &f.node.selection_set.node;
                    match out.iter_mut().find(|field| field.key == key) {
                        Some(field) => field.sets.push(sub),
                        None => out.push(Field {
                            key,
                            sets: vec![sub],
                            fields: OnceCell::new(),
                        }),
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

fn walk<'a>(value: &mut Value, fields: &Fields<'a>, ctx: &Ctx<'a>) {
    match value {
        Value::Object(map) => {
            reorder(map, fields);
            // after `reorder`, the map's keys are a subsequence of `fields`: walk them together
            let mut next = fields.0.iter();
            for (key, child) in map.iter_mut() {
                let Some(field) = next.by_ref().find(|f| f.key == key) else {
                    break;
                };
                if field.sets.iter().any(|s| !s.items.is_empty()) {
                    let sub = field.fields.get_or_init(|| ctx.collect(&field.sets));
                    walk(child, sub, ctx);
                }
            }
        }
        Value::List(items) => {
            for item in items {
                walk(item, fields, ctx);
            }
        }
        _ => {}
    }
}

/// Sorts the map's keys into the order of `fields` unless they already are in it.
fn reorder(map: &mut IndexMap<Name, Value>, fields: &Fields<'_>) {
    let mut rest = fields.0.iter();
    let in_order = map.keys().all(|key| rest.by_ref().any(|f| f.key == key));
    if !in_order {
        let position = |key: &Name| {
            fields
                .0
                .iter()
                .position(|f| f.key == key)
                .unwrap_or(usize::MAX)
        };
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
    fn keys_follow_the_query_at_every_level() {
        let out = restored(
            "{ warehouses { id name } me { username } orders { totalCount nodes { id items { quantity price } } } }",
            serde_json::json!({
                "me": { "username": "a" },
                "orders": {
                    "nodes": [
                        { "items": [{ "price": "1.00", "quantity": 1 }], "id": 2 },
                        { "id": 1, "items": [] },
                    ],
                    "totalCount": 2,
                },
                "warehouses": [{ "name": "W", "id": 1 }],
            }),
            serde_json::json!({}),
        );
        assert_eq!(
            out,
            r#"{"warehouses":[{"id":1,"name":"W"}],"me":{"username":"a"},"orders":{"totalCount":2,"nodes":[{"id":2,"items":[{"quantity":1,"price":"1.00"}]},{"id":1,"items":[]}]}}"#
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
            r#"{"z":{"username":"u"},"a":{"username":"u","id":1},"b":{"id":1}}"#
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
