//! The orders slice: the order rules (`service`), their status machine, filters and sorting,
//! and the GraphQL face.

pub mod filter;
pub mod graphql;
pub mod read;
pub mod service;
pub mod status;
