//! The advisor: candidate indexes and rewrites, validated before they are offered.

pub mod candidates;
pub mod model;
pub mod rewrite;
