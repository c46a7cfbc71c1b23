//! `non-sargable-predicate`: a WHERE or JOIN comparison whose column is
//! wrapped in a function, cast or arithmetic: `lower(email) = $1`,
//! `created_at::date = '2024-01-01'`, `id + 1 = 5`.
//!
//! An index on the plain column cannot serve such a comparison; only an
//! index on the same expression can. Flagged only when the other side does
//! not involve a column (a constant, parameter or `now() - interval …`), so
//! that moving the computation there is possible; `ts > now() - interval
//! '1 day'` wraps nothing and is fine.

use std::ops::Range;

use sqlparser::ast::{BinaryOperator, Expr, InTarget, UnaryOperator};

use super::{Hooks, Report, Rule};
use crate::analysis::finding::Severity;
use crate::sql::facts::expr::{contains_column, is_indexable_comparison, unparenthesized};
use crate::sql::facts::walk::{Clause, Relation, RelationKind, Scopes, any_node, function_args};

pub const RULE: Rule = Rule {
    code: "non-sargable-predicate",
    default_severity: Severity::Info,
    summary: "a function, cast or arithmetic around a column keeps its index out of use",
    // The wrapping is written inside the condition: a call `f(`, `CAST(`,
    // `EXTRACT(`, …, an operator (`::`, `+`, `||`, unary `-`, …) or AT TIME ZONE.
    might_fire: |signals| signals.computed_condition,
    hooks: Hooks {
        expr: Some(expr),
        ..Hooks::NONE
    },
};

/// Longest expression quoted in a message.
const MAX_QUOTED_CHARS: usize = 60;

fn expr(expr: &Expr, clause: Clause, scopes: &Scopes, report: &mut Report<'_>) {
    if !matches!(clause, Clause::Where | Clause::JoinOn) {
        return;
    }
    for (side, others) in compared_sides(expr).into_iter().flatten() {
        let Some(wrapping) = wrapping(side, scopes) else {
            continue;
        };
        if others.contain_column() {
            continue;
        }
        if let Some(range) = report.locator().expr(side) {
            flag(report, range, wrapping);
        }
    }
}

fn flag(report: &mut Report<'_>, range: Range<usize>, wrapping: Wrapping) {
    let quoted = quote(report.locator().text(&range));
    let message = format!(
        "{quoted} wraps the column in {}, so an index on the column itself cannot serve \
         this comparison; rewrite it to compare the bare column (move the computation to \
         the other side, e.g. a range instead of a cast to date) or create an expression \
         index on {quoted}",
        wrapping.description()
    );
    report.push(RULE.finding(range, message));
}

/// What is around the column.
#[derive(Clone, Copy)]
enum Wrapping {
    Function,
    Cast,
    Arithmetic,
}

impl Wrapping {
    fn description(self) -> &'static str {
        match self {
            Wrapping::Function => "a function call",
            Wrapping::Cast => "a cast (unless the types are binary-compatible)",
            Wrapping::Arithmetic => "an operator",
        }
    }
}

/// What one side of a comparison is compared to: up to two expressions
/// (`BETWEEN low AND high`) or a list (`IN (…)`).
struct Others<'a> {
    exprs: [Option<&'a Expr>; 2],
    list: &'a [Expr],
}

impl<'a> Others<'a> {
    const NOTHING: Others<'a> = Others {
        exprs: [None, None],
        list: &[],
    };

    fn one(expr: &'a Expr) -> Self {
        Others {
            exprs: [Some(expr), None],
            ..Others::NOTHING
        }
    }

    fn contain_column(&self) -> bool {
        self.exprs
            .iter()
            .flatten()
            .any(|expr| contains_column(expr))
            || self.list.iter().any(contains_column)
    }
}

/// Each side of a comparison an index could serve, with what it is compared to.
fn compared_sides(expr: &Expr) -> [Option<(&Expr, Others<'_>)>; 2] {
    match expr {
        Expr::BinaryOp { left, op, right } if is_indexable_comparison(op) => [
            Some((left, Others::one(right))),
            Some((right, Others::one(left))),
        ],
        Expr::Between {
            expr,
            negated: false,
            low,
            high,
        } => [
            Some((
                expr,
                Others {
                    exprs: [Some(low), Some(high)],
                    ..Others::NOTHING
                },
            )),
            None,
        ],
        Expr::In {
            expr,
            negated: false,
            target: InTarget::List(list),
            ..
        } => [
            Some((
                expr,
                Others {
                    list,
                    ..Others::NOTHING
                },
            )),
            None,
        ],
        Expr::In {
            expr,
            negated: false,
            target: InTarget::Subquery(_),
            ..
        } => [Some((expr, Others::NOTHING)), None],
        _ => [None, None],
    }
}

/// How `side` wraps a column, if it is a computation over one that could
/// be indexed.
fn wrapping(side: &Expr, scopes: &Scopes) -> Option<Wrapping> {
    let has_column = |operand: &Expr| contains_table_column(operand, scopes);
    let (wrapping, wraps_column) = match unparenthesized(side) {
        Expr::Function(function) => (Wrapping::Function, function_args(function).any(has_column)),
        Expr::Extract { expr, .. }
        | Expr::Ceil { expr, .. }
        | Expr::Floor { expr, .. }
        | Expr::Substring { expr, .. }
        | Expr::Trim { expr, .. } => (Wrapping::Function, has_column(expr)),
        Expr::AtTimeZone { timestamp, .. } => (Wrapping::Function, has_column(timestamp)),
        Expr::Cast { expr, .. } => (Wrapping::Cast, has_column(expr)),
        Expr::BinaryOp { left, op, right } if is_arithmetic(op) => {
            (Wrapping::Arithmetic, has_column(left) || has_column(right))
        }
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => (Wrapping::Arithmetic, has_column(expr)),
        _ => return None,
    };
    wraps_column.then_some(wrapping)
}

/// Whether the expression uses a column that may belong to a table: not
/// one of a function's output (`generate_series(…) AS i`), which has no index.
fn contains_table_column(expr: &Expr, scopes: &Scopes) -> bool {
    let from_function = |relation: Option<&Relation>| {
        relation.is_some_and(|relation| relation.kind == RelationKind::Function)
    };
    any_node(expr, |node| match node {
        Expr::Identifier(_) => !matches!(scopes.current(), [only] if from_function(Some(only))),
        Expr::CompoundIdentifier(parts) => {
            let qualifier = &parts[..parts.len().saturating_sub(1)];
            !from_function(scopes.resolve_idents(qualifier))
        }
        _ => false,
    })
}

fn is_arithmetic(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::Plus
            | BinaryOperator::Minus
            | BinaryOperator::Multiply
            | BinaryOperator::Divide
            | BinaryOperator::Modulo
            | BinaryOperator::StringConcat
    )
}

/// `` `text` ``, shortened to [`MAX_QUOTED_CHARS`].
fn quote(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(MAX_QUOTED_CHARS).collect();
    if chars.next().is_some() {
        format!("`{head}…`")
    } else {
        format!("`{head}`")
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_clean, findings, flagged};

    const CODE: &str = "non-sargable-predicate";

    #[test]
    fn flags_functions_around_columns() {
        let found = findings("SELECT id FROM users WHERE lower(email) = $1", CODE);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "lower(email)");
        assert!(
            found[0].1.message.contains("expression index"),
            "{}",
            found[0].1.message
        );
        assert_eq!(
            flagged(
                "SELECT 1 FROM events WHERE date_trunc('day', ts) = date_trunc('day', now())",
                CODE
            ),
            ["date_trunc('day', ts)"]
        );
        assert_eq!(
            flagged("SELECT 1 FROM t WHERE $1 < coalesce(t.a, 0)", CODE),
            ["coalesce(t.a, 0)"]
        );
    }

    #[test]
    fn flags_casts_around_columns() {
        assert_eq!(
            flagged(
                "SELECT 1 FROM orders WHERE created_at::date = '2024-01-01'",
                CODE
            ),
            ["created_at::date"]
        );
        assert_eq!(
            flagged("SELECT 1 FROM t WHERE CAST(a AS int) = 1", CODE),
            ["CAST(a AS int)"]
        );
        assert_eq!(
            flagged("SELECT 1 FROM t WHERE (t.n)::numeric(10, 2) > 5", CODE),
            ["(t.n)::numeric(10, 2)"]
        );
        assert_eq!(
            flagged(
                "SELECT 1 FROM t WHERE ts::timestamp with time zone > $1",
                CODE
            ),
            ["ts::timestamp with time zone"]
        );
    }

    #[test]
    fn flags_arithmetic_and_keyword_functions() {
        assert_eq!(
            flagged("SELECT 1 FROM t WHERE id + 1 = 5", CODE),
            ["id + 1"]
        );
        assert_eq!(
            flagged(
                "SELECT 1 FROM t WHERE EXTRACT(year FROM ts) BETWEEN 2020 AND 2021",
                CODE
            ),
            ["EXTRACT(year FROM ts)"]
        );
        assert_eq!(
            flagged(
                "SELECT 1 FROM a JOIN b ON b.id = a.id WHERE upper(b.code) IN ('X', 'Y')",
                CODE
            ),
            ["upper(b.code)"]
        );
        assert_eq!(
            flagged(
                "DELETE FROM t WHERE now() - created_at > interval '1 day'",
                CODE
            ),
            ["now() - created_at"]
        );
    }

    #[test]
    fn does_not_flag_functions_on_the_other_side() {
        assert_clean("SELECT 1 FROM t WHERE ts > now() - interval '1 day'", CODE);
        assert_clean("SELECT 1 FROM t WHERE email = lower($1)", CODE);
        assert_clean("SELECT 1 FROM t WHERE id = $1::int", CODE);
    }

    #[test]
    fn does_not_flag_column_to_column_or_other_clauses() {
        assert_clean("SELECT 1 FROM a JOIN b ON a.x = b.y + 1", CODE);
        assert_clean("SELECT lower(email) FROM t ORDER BY lower(email)", CODE);
        assert_clean("SELECT 1 FROM t WHERE lower(email) <> 'x'", CODE);
        assert_clean("SELECT 1 FROM t WHERE lower('ABC') = name", CODE);
        // Function output has no index to lose.
        assert_clean(
            "SELECT i FROM generate_series(1, 9) i WHERE i % 2 = 0",
            CODE,
        );
        assert_clean(
            "SELECT 1 FROM t, unnest(t.a) AS u(x) WHERE abs(u.x) = 1",
            CODE,
        );
    }

    #[test]
    fn long_expressions_are_shortened_in_the_message() {
        let sql = format!(
            "SELECT 1 FROM t WHERE lower(a || '{}') = $1",
            "x".repeat(100)
        );
        let found = findings(&sql, CODE);
        assert_eq!(found.len(), 1);
        assert!(found[0].1.message.contains("…`"), "{}", found[0].1.message);
    }
}
