//! `leading-wildcard-like`: `col LIKE '%…'` (or `ILIKE`, or a `_` first) in
//! a WHERE or JOIN condition.
//!
//! A b-tree index serves `LIKE` only through the pattern's fixed prefix; a
//! pattern that starts with a wildcard has none, so every row is read. Only
//! literal patterns are judged (a parameter's value is unknown), and
//! `NOT LIKE` is left alone: it never uses an index whatever the pattern.

use sqlparser::ast::{BinaryOperator, Expr};

use super::{Hooks, Report, Rule};
use crate::analysis::finding::Severity;
use crate::sql::facts::expr::{contains_column, string_literal, unparenthesized};
use crate::sql::facts::walk::{Clause, Scopes};

pub const RULE: Rule = Rule {
    code: "leading-wildcard-like",
    default_severity: Severity::Info,
    summary: "LIKE '%…' cannot use a b-tree index",
    // sqlparser reads `~~` as an operator, not as LIKE.
    might_fire: |signals| signals.like,
    hooks: Hooks {
        expr: Some(expr),
        ..Hooks::NONE
    },
};

fn expr(expr: &Expr, clause: Clause, _scopes: &Scopes, report: &mut Report<'_>) {
    if !matches!(clause, Clause::Where | Clause::JoinOn) {
        return;
    }
    let (operator, operand, pattern) = match expr {
        Expr::Like {
            negated: false,
            any: false,
            expr,
            pattern,
            ..
        } => ("LIKE", expr, pattern),
        Expr::ILike {
            negated: false,
            any: false,
            expr,
            pattern,
            ..
        } => ("ILIKE", expr, pattern),
        _ => return,
    };
    // `'abc' LIKE '%b'` compares constants: no table is scanned for it.
    if !contains_column(operand) {
        return;
    }
    let literal = leading_literal(pattern);
    let Some(text) = string_literal(literal) else {
        return;
    };
    if !text.starts_with(['%', '_']) {
        return;
    }
    let locator = report.locator();
    let Some(range) = locator.expr(literal) else {
        return;
    };
    let message = format!(
        "the {operator} pattern starts with a wildcard, so no b-tree index on `{}` can \
         narrow the search and every row is read; anchor the pattern at the start, or \
         index the column with pg_trgm (GIN) or full-text search",
        locator.text(&locator.expr(operand).unwrap_or(0..0))
    );
    report.push(RULE.finding(range, message));
}

/// The part of a pattern that comes first: `'%' || $1` starts with `'%'`.
fn leading_literal(pattern: &Expr) -> &Expr {
    let mut pattern = unparenthesized(pattern);
    loop {
        match pattern {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::StringConcat,
                ..
            } => pattern = unparenthesized(left),
            Expr::Cast { expr, .. } => pattern = unparenthesized(expr),
            _ => return pattern,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_clean, findings, flagged};

    const CODE: &str = "leading-wildcard-like";

    #[test]
    fn flags_the_pattern_of_like_and_ilike() {
        let found = findings(
            "SELECT id FROM users WHERE email LIKE '%@example.com'",
            CODE,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "'%@example.com'");
        assert!(
            found[0].1.message.contains("`email`"),
            "{}",
            found[0].1.message
        );
        assert_eq!(
            flagged("SELECT 1 FROM t WHERE t.name ILIKE '_bc' AND x = 1", CODE),
            ["'_bc'"]
        );
    }

    #[test]
    fn flags_concatenated_patterns_and_join_conditions() {
        assert_eq!(
            flagged("SELECT 1 FROM t WHERE name LIKE '%' || $1 || '%'", CODE),
            ["'%'"]
        );
        assert_eq!(
            flagged("SELECT 1 FROM a JOIN b ON b.path LIKE '%/' || a.dir", CODE),
            ["'%/'"]
        );
        assert_eq!(
            flagged("UPDATE t SET x = 1 WHERE lower(name) LIKE '%smith%'", CODE),
            ["'%smith%'"]
        );
    }

    #[test]
    fn does_not_flag_prefix_patterns_parameters_or_negations() {
        assert_clean("SELECT 1 FROM t WHERE name LIKE 'abc%'", CODE);
        assert_clean("SELECT 1 FROM t WHERE name LIKE $1", CODE);
        assert_clean("SELECT 1 FROM t WHERE name NOT LIKE '%x'", CODE);
        assert_clean("SELECT name LIKE '%x' FROM t", CODE);
        assert_clean("SELECT 1 FROM t WHERE 'abc' LIKE '%b'", CODE);
    }
}
