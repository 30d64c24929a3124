//! Django REST Framework conventions shared by the REST faces: error bodies, request bodies,
//! query strings, the page envelope, and method handling.

pub mod body;
pub mod errors;
