//! The operation a request runs, found in its parsed document as async-graphql finds it: the
//! one its `operationName` names, or the document's only one.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType,
};

/// The operation the request names (or its only one); `None` when there is no such operation.
pub fn operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    let op = match &document.operations {
        DocumentOperations::Single(op) => &op.node,
        DocumentOperations::Multiple(ops) => match operation_name {
            Some(name) => &ops.get(name)?.node,
            None if ops.len() == 1 => &ops.values().next()?.node,
            None => return None,
        },
    };
    Some(op)
}

/// Whether the operation is a mutation.
pub fn is_mutation(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    operation(document, operation_name).is_some_and(|op| op.ty == OperationType::Mutation)
}
