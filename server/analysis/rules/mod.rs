//! Static rules: anti-patterns visible in the SQL itself, no database needed.
//!
//! Each rule lives in its own module and is listed once in [`RULES`]; its
//! `code` is the stable name users configure and CI output reports.
//! `docs/rules.md` describes each one with examples.
//!
//! Rules that need sqlparser's AST do nothing when it is missing (sqlparser
//! rejects some valid PostgreSQL); syntax errors are not theirs to report.
//! They walk the AST with `sql::facts::walk` and place findings with
//! [`locate::Locator`].

use std::ops::Range;

use sqlparser::ast::Statement;

use super::finding::{Finding, Severity};
use crate::sql::kind::StatementKind;
use crate::sql::lexer::Token;

mod locate;
#[cfg(test)]
mod test_support;

mod implicit_cross_join;
mod leading_wildcard_like;
mod missing_where;
mod non_sargable_predicate;
mod not_in_subquery;
mod null_comparison;
mod offset_pagination;
mod order_by_random;
mod select_star;

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

impl Rule {
    /// A finding of this rule at its default severity.
    fn finding(&self, range: Range<usize>, message: String) -> Finding {
        Finding {
            code: self.code,
            severity: self.default_severity,
            range,
            message,
        }
    }
}

/// Every static rule, in documentation order.
pub static RULES: &[Rule] = &[
    select_star::RULE,
    missing_where::RULE,
    not_in_subquery::RULE,
    leading_wildcard_like::RULE,
    order_by_random::RULE,
    offset_pagination::RULE,
    non_sargable_predicate::RULE,
    implicit_cross_join::RULE,
    null_comparison::RULE,
];

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
