//! The advisor: candidate indexes and rewrites, validated before they are offered.

pub mod audit;
pub mod candidates;
pub mod migration;
pub mod model;
pub mod outcome;
pub mod planning;
pub mod rewrite;
pub mod service;
pub mod titles;
mod weigh;
