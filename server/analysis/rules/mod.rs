//! Static rules: anti-patterns visible in the SQL itself, no database needed.
//!
//! Each rule lives in its own module and is listed once in [`RULES`]; its
//! `code` is the stable name users configure and CI output reports.

use sqlparser::ast::Statement;

use super::finding::{Finding, Severity};
use crate::sql::kind::StatementKind;
use crate::sql::lexer::Token;

/// What a rule sees of one statement.
pub struct RuleContext<'a> {
    /// The statement's text (without its `;`); finding ranges are relative to it.
    pub text: &'a str,
    /// Its significant tokens (no whitespace or comments).
    pub tokens: &'a [Token],
    pub kind: &'a StatementKind,
    /// sqlparser's AST, when sqlparser could parse the statement.
    pub ast: Option<&'a Statement>,
}

/// A static rule.
pub struct Rule {
    pub code: &'static str,
    pub default_severity: Severity,
    /// One line for docs and `--help`.
    pub summary: &'static str,
    pub check: fn(&RuleContext<'_>, &mut Vec<Finding>),
}

/// Every static rule, in documentation order.
pub static RULES: &[Rule] = &[];

/// Runs every rule on one statement.
pub fn run_all(context: &RuleContext<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for rule in RULES {
        (rule.check)(context, &mut findings);
    }
    findings
}

/// The rule with this code, if there is one.
pub fn find(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.code == code)
}
