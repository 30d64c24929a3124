//! The answers of operations sent over the WebSocket, made like HTTP's: a document that does not
//! parse is `GRAPHQL_PARSE_FAILED`, every other error gets its code (`codes`), and the keys of
//! every payload (each delivered event included) follow the query's order (`key_order`).
//!
//! An extension of the WebSocket's schema only (`ws::build_ws_schema`): HTTP requests do the
//! same in `http::run` without one, since any extension slows every field async-graphql
//! resolves.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextSubscribe,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, Response, ServerError, ServerResult, Variables};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::graphql::{codes, key_order};

/// Codes and key order for the WebSocket's answers.
pub struct Answers;

impl ExtensionFactory for Answers {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AnswersExtension::default())
    }
}

/// What the operation's answers are ordered by, known once its request is prepared.
struct Operation {
    document: Arc<ExecutableDocument>,
    name: Option<String>,
    variables: Variables,
}

/// One per operation (async-graphql creates the extensions of each `execute_stream`).
#[derive(Default)]
struct AnswersExtension {
    operation: Arc<Mutex<Option<Operation>>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for AnswersExtension {
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let operation = Arc::clone(&self.operation);
        next.run(ctx, stream)
            .map(move |mut response| {
                codes::classify(&mut response);
                let known = operation.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(op) = known.as_ref() {
                    key_order::restore(
                        &mut response.data,
                        &op.document,
                        op.name.as_deref(),
                        &op.variables,
                    );
                }
                response
            })
            .boxed()
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // parsed here, once (the executor reuses it), so that a parse error is told apart
        let document = match request.parsed_query() {
            Ok(document) => Arc::new(document.clone()),
            Err(e) => return Err(parse_failed(e)),
        };
        *self.operation.lock().unwrap_or_else(|p| p.into_inner()) = Some(Operation {
            document,
            name: request.operation_name.clone(),
            variables: request.variables.clone(),
        });
        next.run(ctx, request).await
    }
}

fn parse_failed(mut e: ServerError) -> ServerError {
    codes::set_code(&mut e, codes::PARSE_FAILED);
    e
}
