//! `not-in-subquery`: `x NOT IN (SELECT …)`.
//!
//! If the subquery yields a single NULL, `NOT IN` is never true and the query
//! silently returns nothing; and PostgreSQL cannot plan it as an anti-join,
//! so it runs a hashed subplan (or, when that does not fit in `work_mem`, the
//! subquery once per row). `NOT EXISTS` has neither problem. A literal list
//! (`NOT IN ('a', 'b')`) is fine and not flagged.

use std::ops::Range;

use sqlparser::ast::{Expr, InTarget, Query, SetExpr, UnaryOperator};
use sqlparser::tokenizer::Span;

use super::locate::Locator;
use super::{Hooks, Report, Rule};
use crate::analysis::finding::Severity;
use crate::sql::facts::expr::unparenthesized;
use crate::sql::facts::walk::{Clause, Scopes};

pub const RULE: Rule = Rule {
    code: "not-in-subquery",
    default_severity: Severity::Warning,
    summary: "NOT IN (SELECT …) is empty when the subquery yields a NULL and cannot be an anti-join",
    // Both forms are written with NOT, and the subquery after `IN (` starts
    // with a word (SELECT, WITH, VALUES, TABLE).
    might_fire: |signals| signals.not_in_subquery,
    hooks: Hooks {
        expr: Some(expr),
        ..Hooks::NONE
    },
};

const MESSAGE: &str = "`NOT IN (SELECT …)` returns no rows at all if the subquery yields a \
    NULL, and PostgreSQL cannot plan it as an anti-join (it runs a hashed subplan, or \
    the subquery once per row when that does not fit in work_mem); use \
    `NOT EXISTS (SELECT 1 FROM … WHERE …)` instead";

fn expr(expr: &Expr, _clause: Clause, _scopes: &Scopes, report: &mut Report<'_>) {
    let Some((subquery, negation)) = negated_in_subquery(expr) else {
        return;
    };
    let locator = report.locator();
    let range = not_in_keywords(locator, subquery, negation)
        .or_else(|| locator.first_token("not"))
        .unwrap_or_else(|| locator.statement_start());
    report.push(RULE.finding(range, MESSAGE.to_owned()));
}

/// How the negation is written.
#[derive(Clone, Copy)]
enum Negation {
    /// `x NOT IN (…)`.
    NotIn,
    /// `NOT x IN (…)`, which PostgreSQL reads the same way.
    NotBefore,
}

/// The subquery of `x NOT IN (SELECT …)` or `NOT x IN (SELECT …)`.
fn negated_in_subquery(expr: &Expr) -> Option<(&Query, Negation)> {
    match expr {
        Expr::In {
            negated: true,
            target: InTarget::Subquery(subquery),
            ..
        } => Some((subquery, Negation::NotIn)),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => match unparenthesized(expr) {
            Expr::In {
                negated: false,
                target: InTarget::Subquery(subquery),
                ..
            } => Some((subquery, Negation::NotBefore)),
            _ => None,
        },
        _ => None,
    }
}

/// From `NOT` to `IN`: the `IN` is the word before the subquery's
/// parentheses, the `NOT` is just before it (or before the operand).
fn not_in_keywords(
    locator: &Locator<'_>,
    subquery: &Query,
    negation: Negation,
) -> Option<Range<usize>> {
    let query_start = locator.span(first_token_span(subquery)?)?;
    let mut index = locator.token_before(query_start.start)?;
    while locator.token_text(index) == "(" {
        index = index.checked_sub(1)?;
    }
    if !locator.is_word(index, "in") {
        return None;
    }
    let in_keyword = locator.token_range(index);
    let not_index = match negation {
        Negation::NotIn => index.checked_sub(1)?,
        Negation::NotBefore => (0..index).rev().find(|&i| locator.is_word(i, "not"))?,
    };
    if !locator.is_word(not_index, "not") {
        return None;
    }
    Some(Locator::cover(&locator.token_range(not_index), &in_keyword))
}

/// Where the subquery's first keyword (`WITH` or `SELECT`) is.
fn first_token_span(query: &Query) -> Option<Span> {
    if let Some(with) = &query.with {
        return Some(with.with_token.0.span);
    }
    let mut body = query.body.as_ref();
    loop {
        match body {
            SetExpr::Select(select) => return Some(select.select_token.0.span),
            SetExpr::SetOperation { left, .. } => body = left,
            SetExpr::Query(inner) => return first_token_span(inner),
            // VALUES and the like: located by the fallback.
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_clean, findings, flagged};

    const CODE: &str = "not-in-subquery";

    #[test]
    fn flags_not_in_with_a_subquery() {
        let sql = "SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM bans)";
        let found = findings(sql, CODE);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "NOT IN");
        assert!(found[0].1.message.contains("NOT EXISTS"));
    }

    #[test]
    fn flags_the_prefix_not_form_and_nested_parentheses() {
        assert_eq!(
            flagged("SELECT 1 FROM t WHERE NOT t.x IN (SELECT y FROM u)", CODE),
            ["NOT t.x IN"]
        );
        assert_eq!(
            flagged("select 1 from t where x not in ((select y from u))", CODE),
            ["not in"]
        );
    }

    #[test]
    fn flags_subqueries_in_deeper_queries() {
        assert_eq!(
            flagged(
                "SELECT * FROM (SELECT id FROM a WHERE id NOT IN (SELECT a_id FROM b)) s",
                CODE
            ),
            ["NOT IN"]
        );
    }

    #[test]
    fn does_not_flag_literal_lists_or_positive_in() {
        assert_clean("SELECT 1 FROM t WHERE status NOT IN ('a', 'b')", CODE);
        assert_clean("SELECT 1 FROM t WHERE x IN (SELECT y FROM u)", CODE);
        assert_clean(
            "SELECT 1 FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.y = t.x)",
            CODE,
        );
    }
}
