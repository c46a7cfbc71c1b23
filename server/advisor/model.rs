//! Plain data shared by the advisor's parts: candidates (indexes and
//! rewrites, from rules or an LLM) and the evidence that validated them.

use serde::{Deserialize, Serialize};

/// Who proposed a candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Origin {
    /// A built-in rule, named by its code.
    Rule { rule: String },
    /// An LLM; the explanation is shown with the action.
    Ai { model: String, explanation: String },
}

/// A candidate index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IndexCandidate {
    /// Qualified table name as the statement names it (`orders`, `shop.orders`).
    pub table: String,
    /// Key columns in order (plain column names, or an expression in parentheses).
    pub columns: Vec<String>,
    /// `CREATE INDEX ON table (columns)` — plain, without a name,
    /// `CONCURRENTLY` or `IF NOT EXISTS`: how it is built in a sandbox or
    /// HypoPG. The migration text is derived from it when applied.
    pub definition: String,
}

/// A candidate rewrite of a whole statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RewriteCandidate {
    /// The rule code or "ai".
    pub source: String,
    /// One line for the action title, e.g. "NOT IN → NOT EXISTS".
    pub summary: String,
    /// The new statement text, keeping the original's parameters and their style.
    pub text: String,
}

/// How a candidate was proven.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Evidence {
    /// The planner (with a HypoPG hypothetical index, or a real one in a
    /// rolled-back sandbox transaction) estimated the cost before and after.
    PlannerEstimate {
        cost_before: f64,
        cost_after: f64,
        /// Whether the planner chose the candidate index.
        index_used: bool,
    },
    /// Timed in the sandbox with `EXPLAIN (ANALYZE, BUFFERS)`; medians.
    SandboxTiming {
        before_ms: f64,
        after_ms: f64,
        runs: usize,
        /// Parameter sets tried (each run with every set).
        parameter_sets: usize,
        /// For rewrites: rows compared across all parameter sets.
        rows_compared: Option<u64>,
    },
}

impl Evidence {
    /// How much better the candidate is: after / before (lower is better).
    pub fn ratio(&self) -> Option<f64> {
        let (before, after) = match self {
            Evidence::PlannerEstimate {
                cost_before,
                cost_after,
                ..
            } => (*cost_before, *cost_after),
            Evidence::SandboxTiming {
                before_ms,
                after_ms,
                ..
            } => (*before_ms, *after_ms),
        };
        (before > 0.0 && before.is_finite() && after.is_finite()).then(|| after / before)
    }
}

/// The outcome of validating a candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    Accepted {
        evidence: Evidence,
    },
    Rejected {
        reason: String,
    },
    /// Could not be decided (e.g. the original statement's own result is not
    /// deterministic, so rows cannot be compared); says why.
    Undecidable {
        reason: String,
    },
}
