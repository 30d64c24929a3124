//! The catalog slice.
