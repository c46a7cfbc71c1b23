//! Every diagnostic code OptiSchema can report, with its default severity
//! and a one-line summary: for SARIF rule metadata and documentation.

use super::finding::Severity;
use super::rules::RULES;
use super::statement::SYNTAX_ERROR;

/// A reportable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    pub code: &'static str,
    pub default_severity: Severity,
    pub summary: &'static str,
}

/// Codes reported outside the static rule registry.
const BUILT_IN: &[CodeInfo] = &[CodeInfo {
    code: SYNTAX_ERROR,
    default_severity: Severity::Error,
    summary: "PostgreSQL's own grammar rejects the statement.",
}];

/// All codes, static rules first.
pub fn all_codes() -> Vec<CodeInfo> {
    RULES
        .iter()
        .map(|rule| CodeInfo {
            code: rule.code,
            default_severity: rule.default_severity,
            summary: rule.summary,
        })
        .chain(BUILT_IN.iter().copied())
        .collect()
}

pub fn describe(code: &str) -> Option<CodeInfo> {
    all_codes().into_iter().find(|info| info.code == code)
}
