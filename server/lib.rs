//! OptiSchema: PostgreSQL performance where SQL is written.
//!
//! The crate is organised by concern; see `docs/ARCHITECTURE.md` for the data flow.

pub mod db;
pub mod sql;
