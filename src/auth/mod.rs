//! Authentication and authorization: Django-format passwords, SimpleJWT-compatible tokens,
//! the request's principal, and the policy every domain function asks before it acts.

pub mod answers;
pub mod blacklist;
pub mod graphql;
pub mod password;
pub mod pending;
pub mod policy;
pub mod principal;
pub mod rest;
pub mod riding;
pub mod service;
pub mod token;
pub mod verified;

pub use policy::{Access, ReadScope};
pub use principal::{AuthState, Credentials, Principal};
pub use token::TokenKeys;
