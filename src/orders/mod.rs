//! The orders slice: the order rules (`service`, with `placing`, `check` and `changing`), their
//! status machine, filters and sorting, and its two faces (GraphQL, REST).

pub mod aggregate;
pub mod changing;
pub mod check;
pub mod filter;
pub mod graph;
pub mod graphql;
pub mod placing;
pub mod read;
pub mod relation_filter;
pub mod relations;
pub mod rest;
pub mod service;
pub mod status;
