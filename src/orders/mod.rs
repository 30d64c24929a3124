//! The orders slice.
