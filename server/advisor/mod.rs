//! The advisor: candidate indexes and rewrites, validated before they are offered.

pub mod model;
