//! Query plans from the monitored database, without executing anything.
//!
//! - [`explain`]: `EXPLAIN (FORMAT JSON)` of one statement, generic when it
//!   has `$n` parameters; the query identifier from `EXPLAIN (VERBOSE)`.
//! - [`hypo`]: an index candidate judged with a HypoPG hypothetical index.
//! - [`parse`] and [`model`]: the JSON output as a typed tree.
//! - [`diagnostics`]: findings such as `seq-scan-large-table` (pure).
//! - [`render`]: Markdown for `optischema.explain`, also before/after (pure).
//! - [`cache`]: plans by fingerprint and catalog state.
//!
//! Every SQL text sent is a file under `queries/plan/` (see [`sql`]).

pub mod cache;
pub mod diagnostics;
pub mod error;
pub mod explain;
pub mod hypo;
pub mod model;
pub mod parse;
pub mod render;
pub mod sql;
pub mod statement;

pub use diagnostics::{PlanFinding, plan_findings};
pub use error::PlanError;
pub use explain::{explain_generic, query_identifier};
pub use hypo::{EvaluatedIndex, evaluate_index, evaluate_index_with_plans, hypopg_available};
pub use model::{Actual, Plan, PlanNode};
pub use parse::parse_plan;
pub use render::{render_comparison, render_plan};
