//! The catalog slice: categories, products, warehouses, locations and stock.

pub mod graphql;
pub mod service;
