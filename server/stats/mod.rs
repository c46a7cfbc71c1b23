//! Live statistics from pg_stat_statements and the catalog.

pub mod delta;
pub mod model;
pub mod snapshot;
pub mod source;
