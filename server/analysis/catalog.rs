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
const BUILT_IN: &[CodeInfo] = &[
    CodeInfo {
        code: SYNTAX_ERROR,
        default_severity: Severity::Error,
        summary: "PostgreSQL's own grammar rejects the statement.",
    },
    CodeInfo {
        code: SEQ_SCAN_LARGE_TABLE,
        default_severity: Severity::Warning,
        summary: "The plan scans a large table sequentially to filter it.",
    },
    CodeInfo {
        code: VALIDATED_FIX,
        default_severity: Severity::Hint,
        summary: "The advisor validated a fix for the statement: see its code actions.",
    },
];

/// Plan finding: a filtered sequential scan of a large table.
pub const SEQ_SCAN_LARGE_TABLE: &str = "seq-scan-large-table";
/// The advisor proved a fix: the lightbulb has it.
pub const VALIDATED_FIX: &str = "validated-fix";

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
        .chain(super::stats_findings::CODES.iter().copied())
        .collect()
}

pub fn describe(code: &str) -> Option<CodeInfo> {
    all_codes().into_iter().find(|info| info.code == code)
}
