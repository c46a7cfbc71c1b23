//! `null-comparison`: `x = NULL`, `x <> NULL`, `x != NULL`.
//!
//! A comparison with NULL yields NULL, never true, so `WHERE x = NULL`
//! matches no row and `x <> NULL` none either. `IS [NOT] NULL` is meant.

use std::ops::Range;

use sqlparser::ast::{BinaryOperator, Expr};

use super::locate::Locator;
use super::{Hooks, Report, Rule};
use crate::analysis::finding::Severity;
use crate::sql::facts::expr::{is_null_literal, unparenthesized};
use crate::sql::facts::walk::{Clause, Scopes};

pub const RULE: Rule = Rule {
    code: "null-comparison",
    default_severity: Severity::Warning,
    summary: "= NULL / <> NULL is never true; use IS [NOT] NULL",
    // The NULL keyword is an operand of the `=`, `<>` or `!=` written next
    // to it (parentheses aside).
    might_fire: |signals| signals.null_next_to_operator,
    hooks: Hooks {
        expr: Some(expr),
        ..Hooks::NONE
    },
};

fn expr(expr: &Expr, _clause: Clause, _scopes: &Scopes, report: &mut Report<'_>) {
    let Expr::BinaryOp { left, op, right } = expr else {
        return;
    };
    let replacement = match op {
        BinaryOperator::Eq => "IS NULL",
        BinaryOperator::NotEq => "IS NOT NULL",
        _ => return,
    };
    let null_on_right = is_null_literal(right);
    if !null_on_right && !is_null_literal(left) {
        return;
    }
    let null = if null_on_right { right } else { left };
    let locator = report.locator();
    let Some(null_range) = locator.expr(unparenthesized(null)) else {
        return;
    };
    let range = with_operator(locator, null_range.clone(), null_on_right).unwrap_or(null_range);
    let written = locator.text(&range);
    let message = format!(
        "`{written}` is never true: any comparison with NULL yields NULL, so this \
         condition matches no row; use `{replacement}`"
    );
    report.push(RULE.finding(range, message));
}

/// `= NULL` (operator before the NULL) or `NULL =` (after it).
fn with_operator(
    locator: &Locator<'_>,
    null: Range<usize>,
    null_on_right: bool,
) -> Option<Range<usize>> {
    let operator = if null_on_right {
        locator.token_before(null.start)?
    } else {
        locator.token_after(null.end)?
    };
    if !matches!(locator.token_text(operator), "=" | "<>" | "!=") {
        return None;
    }
    Some(Locator::cover(&locator.token_range(operator), &null))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_clean, findings, flagged};

    const CODE: &str = "null-comparison";

    #[test]
    fn flags_equality_and_inequality_with_null() {
        let found = findings("SELECT id FROM users WHERE deleted_at = NULL", CODE);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "= NULL");
        assert!(
            found[0].1.message.contains("IS NULL"),
            "{}",
            found[0].1.message
        );
        let found = findings("SELECT id FROM users WHERE deleted_at <> null", CODE);
        assert_eq!(found[0].0, "<> null");
        assert!(found[0].1.message.contains("IS NOT NULL"));
        assert_eq!(
            flagged("SELECT 1 FROM t WHERE x != NULL", CODE),
            ["!= NULL"]
        );
        assert_eq!(flagged("SELECT 1 FROM t WHERE NULL = x", CODE), ["NULL ="]);
    }

    #[test]
    fn flags_anywhere_in_the_statement() {
        assert_eq!(
            flagged("SELECT CASE WHEN x = NULL THEN 1 END FROM t", CODE),
            ["= NULL"]
        );
        assert_eq!(
            flagged("UPDATE t SET y = NULL WHERE x = (NULL)", CODE),
            ["NULL"]
        );
    }

    #[test]
    fn does_not_flag_is_null_or_assignments() {
        assert_clean("SELECT 1 FROM t WHERE x IS NULL OR y IS NOT NULL", CODE);
        assert_clean("UPDATE t SET y = NULL WHERE id = 1", CODE);
        assert_clean("SELECT 1 FROM t WHERE x IS DISTINCT FROM NULL", CODE);
        assert_clean("INSERT INTO t (a) VALUES (NULL)", CODE);
    }
}
