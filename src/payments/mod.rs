//! The payments slice: the payment rules (`service`, writes in `recording`), their status
//! machine, filters and its two faces (GraphQL, REST).

pub mod aggregate;
pub mod filter;
pub mod graphql;
pub mod recording;
pub mod rest;
pub mod service;
pub mod status;
