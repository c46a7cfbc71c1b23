//! What an analysis of one statement produced: its plan, plan findings,
//! the validated actions, and notes on what was tried and dropped.

use serde::{Deserialize, Serialize};

use super::model::{Evidence, IndexCandidate, Origin, RewriteCandidate};

/// A fix the advisor proved and may offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ActionKind {
    Index {
        candidate: IndexCandidate,
        /// Projected savings across the workload, e.g. "saves ~6 s per hour
        /// across 2 statements", when live numbers allow the estimate.
        projected: Option<String>,
    },
    Rewrite {
        candidate: RewriteCandidate,
    },
}

/// A validated action with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidatedAction {
    pub kind: ActionKind,
    pub origin: Origin,
    pub evidence: Evidence,
    /// Before/after plans (Markdown), when the planner compared them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_comparison: Option<String>,
}

/// The result of analysing one statement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis {
    /// The plan (Markdown) before any change, when one could be made.
    pub plan_markdown: Option<String>,
    /// Plan findings: (code, message).
    pub plan_findings: Vec<(&'static str, String)>,
    pub actions: Vec<ValidatedAction>,
    /// What was tried and not offered, and why (shown on request).
    pub notes: Vec<String>,
    /// The LLM's explanation, when one was asked.
    pub ai_explanation: Option<String>,
}
