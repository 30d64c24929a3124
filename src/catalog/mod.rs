//! The catalog slice: categories, products, warehouses, locations and stock.

pub mod editing;
pub mod filter;
pub mod graphql;
pub mod service;
