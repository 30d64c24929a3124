//! Integration tests of the REST compatibility layer: the real gateway on a real database
//! (SQLite, or PostgreSQL with `OMS_TEST_DATABASE_URL`), spoken to over HTTP.

mod cross_face;
mod documented;
mod drf;
mod idempotency;
mod listing;
mod openapi;
mod permissions;
mod streaming;
mod support;
mod throttle;
