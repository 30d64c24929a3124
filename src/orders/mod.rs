//! The orders slice: the order rules (`service`), their status machine, filters and sorting,
//! and its two faces (GraphQL, REST).

pub mod filter;
pub mod graph;
pub mod graphql;
pub mod read;
pub mod relations;
pub mod rest;
pub mod service;
pub mod status;
