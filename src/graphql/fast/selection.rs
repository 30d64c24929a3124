//! Flattening a selection set for one object type: fragments inlined (their type condition
//! must be that type), fields of the same response key merged, in first-appearance order.
//! Directives are not handled here: a selection that carries any gives way.

use std::collections::HashMap;

use async_graphql::Name;
use async_graphql::Positioned;
use async_graphql::parser::types::{Field, FragmentDefinition, Selection, SelectionSet};

pub type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

/// One response key of a selection: the field and every sub-selection merged into it.
pub struct Sel<'a> {
    pub key: &'a str,
    pub field: &'a Field,
    pub sets: Vec<&'a SelectionSet>,
}

impl<'a> Sel<'a> {
    pub fn name(&self) -> &'a str {
        self.field.name.node.as_str()
    }
}

/// The fields selected on `type_name` by `sets`, or `None` if something is outside the fast
/// path (a directive, a fragment on another type, a same-key field of another name).
pub fn flatten<'a>(
    sets: &[&'a SelectionSet],
    type_name: &str,
    fragments: &'a Fragments,
) -> Option<Vec<Sel<'a>>> {
    let mut out: Vec<Sel<'a>> = Vec::new();
    for set in sets {
        add(set, type_name, fragments, &mut out, 0)?;
    }
    Some(out)
}

fn add<'a>(
    set: &'a SelectionSet,
    type_name: &str,
    fragments: &'a Fragments,
    out: &mut Vec<Sel<'a>>,
    depth: usize,
) -> Option<()> {
    if depth > 32 {
        return None;
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                let field = &f.node;
                if !field.directives.is_empty() {
                    return None;
                }
                let key = field.response_key().node.as_str();
                match out.iter_mut().find(|s| s.key == key) {
                    Some(existing) => {
                        if existing.field.name.node != field.name.node
                            || existing.field.arguments != field.arguments
                        {
                            return None;
                        }
                        existing.sets.push(&field.selection_set.node);
                    }
                    None => out.push(Sel {
                        key,
                        field,
                        sets: vec![&field.selection_set.node],
                    }),
                }
            }
            Selection::FragmentSpread(spread) => {
                if !spread.node.directives.is_empty() {
                    return None;
                }
                let fragment = &fragments.get(&spread.node.fragment_name.node)?.node;
                if fragment.type_condition.node.on.node.as_str() != type_name
                    || !fragment.directives.is_empty()
                {
                    return None;
                }
                add(
                    &fragment.selection_set.node,
                    type_name,
                    fragments,
                    out,
                    depth + 1,
                )?;
            }
            Selection::InlineFragment(inline) => {
                if !inline.node.directives.is_empty() {
                    return None;
                }
                if let Some(cond) = &inline.node.type_condition
                    && cond.node.on.node.as_str() != type_name
                {
                    return None;
                }
                add(
                    &inline.node.selection_set.node,
                    type_name,
                    fragments,
                    out,
                    depth + 1,
                )?;
            }
        }
    }
    Some(())
}
