//! Live statistics from pg_stat_statements and the catalog.

pub mod aggregate;
pub mod collector;
pub mod delta;
pub mod history;
pub mod model;
pub mod oneshot;
pub mod snapshot;
pub mod source;
pub mod store;
