//! The GraphQL API: schema assembly from the feature slices, limits, the HTTP handlers,
//! the WebSocket endpoint for subscriptions, GraphiQL, scalars and the error mapping.

pub mod aggregates;
pub mod apq;
pub mod arguments;
pub mod caller;
pub mod codes;
pub mod connection;
pub mod context;
pub mod cost;
pub mod errors;
pub mod global_id;
pub mod graphiql;
pub mod http;
pub mod key_order;
pub mod limits;
pub mod loaders;
pub mod lookahead;
pub mod nodes;
pub mod operation;
pub mod pagination;
pub mod respond;
pub mod scalars;
pub mod self_wakes;
pub mod subscriptions;
pub mod trusted;
pub mod validated;
pub mod ws;
pub mod ws_answers;

use async_graphql::{MergedObject, Schema, SchemaBuilder, ValidationMode};
use axum::Router;
use axum::routing::get;

use crate::auth::graphql::{AuthMutation, AuthQuery};
use crate::catalog::graphql::{CatalogMutation, CatalogQuery};
use crate::graphql::aggregates::AggregatesQuery;
use crate::graphql::nodes::NodeQuery;
use crate::orders::graphql::{OrdersMutation, OrdersQuery};
use crate::payments::graphql::{PaymentsMutation, PaymentsQuery};
use crate::state::AppState;

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    OrdersQuery,
    PaymentsQuery,
    AggregatesQuery,
    AuthQuery,
    CatalogQuery,
    NodeQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    OrdersMutation,
    PaymentsMutation,
    AuthMutation,
    CatalogMutation,
);

pub type SubscriptionRoot = subscriptions::SubscriptionRoot;

pub type GqlSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema of the feature slices, with `Int` 32-bit (`scalars::Int32`).
fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .directive(scalars::Int32)
}

/// The executable schema, with the limits of the settings and the state as schema data.
pub fn build_schema(state: &AppState) -> GqlSchema {
    executable(state).finish()
}

fn executable(state: &AppState) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    let s = &state.settings;
    builder()
        .limit_depth(s.max_depth)
        .limit_complexity(s.max_complexity)
        .limit_recursive_depth(64)
        .limit_directives(16)
        .data(state.clone())
}

/// The SDL, as `oms-gateway schema` prints it and `schema.graphql` holds it.
pub fn sdl() -> String {
    builder().finish().sdl()
}

pub fn router(schema: GqlSchema, state: &AppState) -> Router<AppState> {
    let fast = executable(state)
        .validation_mode(ValidationMode::Fast)
        .finish();
    let executor = std::sync::Arc::new(validated::Validated::new(schema, fast, 4096));
    let costs = state
        .limiter
        .enabled()
        .then(|| std::sync::Arc::new(cost::Costs::new(state)));
    Router::new()
        .route("/graphql", get(http::get).post(http::post))
        .route("/graphql/", get(http::get).post(http::post))
        .route("/graphql/assets/{file}", get(graphiql::asset))
        .route(
            "/schema.graphql",
            get(|| async {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; charset=utf-8",
                    )],
                    sdl(),
                )
            }),
        )
        // one stack: one layer of axum's per-route boxing (see `app`)
        .layer(
            tower::ServiceBuilder::new()
                .layer(axum::Extension(executor))
                .layer(axum::Extension(costs))
                .layer(axum::Extension(std::sync::Arc::new(
                    apq::PersistedQueries::new(1024),
                ))),
        )
}
