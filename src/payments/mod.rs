//! The payments slice.
