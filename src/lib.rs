//! oms-gateway: a GraphQL gateway and InventoryHub REST compatibility layer over one
//! order-management domain (orders, items, payments; customers, products, stock).
//!
//! `main.rs` only dispatches the command line; everything else lives here so that the
//! integration tests can start the real application (`app::build_app`) on a real database.

pub mod aggregate;
pub mod app;
pub mod auth;
pub mod catalog;
pub mod choice;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod filters;
pub mod graphql;
pub mod idempotency;
pub mod listing;
pub mod memo;
pub mod money;
pub mod orders;
pub mod payments;
pub mod ratelimit;
pub mod rest;
pub mod scalars;
pub mod seed;
pub mod server;
pub mod state;
pub mod telemetry;
pub mod time;
