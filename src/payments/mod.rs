//! The payments slice: the payment rules, their status machine, filters and the GraphQL face.

pub mod filter;
pub mod graphql;
pub mod service;
pub mod status;
