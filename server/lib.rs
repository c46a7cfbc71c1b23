//! OptiSchema: PostgreSQL performance where SQL is written.
//!
//! The crate is organised by concern; see `docs/ARCHITECTURE.md` for the data flow.

pub mod advisor;
pub mod ai;
pub mod analysis;
pub mod check;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod doctor;
pub mod document;
pub mod lsp;
pub mod plan;
pub mod queries;
pub mod sandbox;
pub mod sql;
pub mod stats;
pub mod text;
