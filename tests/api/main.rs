//! The integration tests: one binary (short link times), one module per area. Every test
//! starts the real gateway on a fresh database of its own (`helpers::spawn_app`), on SQLite,
//! or on PostgreSQL when `OMS_TEST_DATABASE_URL` is set.

mod browser;
mod common;
mod fixtures;
mod helpers;
mod legacy;
mod process;

mod rest;
mod subscriptions;

mod auth_access;
mod auth_refresh;
mod auth_simplejwt;
mod auth_token;
mod cancellation;
mod cli;
mod django;
mod faults;
mod graphiql;
mod graphql_aggregates;
mod graphql_catalog;
mod graphql_catalog_lists;
mod graphql_executor;
mod graphql_filters;
mod graphql_http;
mod graphql_loaders;
mod graphql_nodes;
mod graphql_orders;
mod graphql_pagination;
mod graphql_payments;
mod graphql_permissions;
mod graphql_relation_filters;
mod graphql_spec;
mod idempotency;
mod leaks;
mod migrations;
mod positional;
mod ratelimit;
mod riding;
mod server;
mod spa;
mod token_attacks;
mod trusted;
