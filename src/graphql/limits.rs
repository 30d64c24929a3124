//! Limits checked before a query touches the database: besides async-graphql's depth and
//! complexity limits (checked when the schema validates a document), a cap on aliased fields
//! (hundreds of aliases of a cheap field would otherwise slip under the complexity limit) and
//! on the total number of selected fields.
//!
//! Checked in the HTTP handler on the parsed document rather than in a schema extension: any
//! extension makes async-graphql build per-field bookkeeping for every field it resolves.

use async_graphql::ServerError;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

use crate::graphql::codes;

#[derive(Default)]
struct Counts {
    aliases: usize,
    fields: usize,
}

fn count(set: &SelectionSet, counts: &mut Counts) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                counts.fields += 1;
                if field.node.alias.is_some() {
                    counts.aliases += 1;
                }
                count(&field.node.selection_set.node, counts);
            }
            Selection::InlineFragment(fragment) => count(&fragment.node.selection_set.node, counts),
            Selection::FragmentSpread(_) => {}
        }
    }
}

/// A refusal shaped like a validation error.
pub fn refusal(message: String) -> ServerError {
    codes::coded(message, codes::VALIDATION_FAILED)
}

/// Refuses documents with more than `max_aliases` aliased fields or `max_fields` fields.
pub fn check(
    document: &ExecutableDocument,
    max_aliases: usize,
    max_fields: usize,
) -> Result<(), ServerError> {
    let mut counts = Counts::default();
    for (_, operation) in document.operations.iter() {
        count(&operation.node.selection_set.node, &mut counts);
    }
    for fragment in document.fragments.values() {
        count(&fragment.node.selection_set.node, &mut counts);
    }
    if counts.aliases > max_aliases {
        return Err(refusal(format!(
            "Query has {} aliased fields; at most {max_aliases} are allowed.",
            counts.aliases
        )));
    }
    if counts.fields > max_fields {
        return Err(refusal(format!(
            "Query selects {} fields; at most {max_fields} are allowed.",
            counts.fields
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_aliases_in_operations_and_fragments() {
        let doc = async_graphql::parser::parse_query(
            "query { a: me { id } b: me { id } ...F } fragment F on Query { c: me { username } }",
        )
        .unwrap();
        assert!(check(&doc, 3, 100).is_ok());
        assert!(check(&doc, 2, 100).is_err());
        assert!(check(&doc, 3, 5).is_err());
    }
}
