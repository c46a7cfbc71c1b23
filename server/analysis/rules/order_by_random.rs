//! `order-by-random`: `ORDER BY random()`.
//!
//! PostgreSQL computes a random key for every row that qualifies and sorts
//! them all (with LIMIT, a top-N sort that still reads every row), so the
//! cost grows with the table. Window and aggregate `ORDER BY`s are not
//! flagged: they order within a group, not the result.

use sqlparser::ast::{Expr, FunctionArguments};

use super::{Hooks, Report, Rule};
use crate::analysis::finding::Severity;
use crate::sql::facts::expr::unparenthesized;
use crate::sql::facts::walk::{Clause, Scopes, folds_to};

pub const RULE: Rule = Rule {
    code: "order-by-random",
    default_severity: Severity::Warning,
    summary: "ORDER BY random() sorts every row to pick a few",
    // ORDER BY, and a function named `random`.
    might_fire: |signals| signals.order_by_random,
    hooks: Hooks {
        clause: Some(clause),
        ..Hooks::NONE
    },
};

const MESSAGE: &str = "`ORDER BY random()` gives every row a random key and sorts them all, \
    so it reads the whole table even with LIMIT and gets slower as the table grows; \
    for a sample use `TABLESAMPLE SYSTEM (…)` / `BERNOULLI (…)`, or pick random keys \
    and fetch those rows";

fn clause(root: &Expr, clause: Clause, _scopes: &Scopes, report: &mut Report<'_>) {
    if clause != Clause::OrderBy || !is_random_call(root) {
        return;
    }
    let locator = report.locator();
    let range = locator
        .expr(root)
        .or_else(|| locator.first_token("random"))
        .unwrap_or_else(|| locator.statement_start());
    report.push(RULE.finding(range, MESSAGE.to_owned()));
}

/// `random()` or `pg_catalog.random()`, without arguments.
fn is_random_call(expr: &Expr) -> bool {
    let Expr::Function(function) = unparenthesized(expr) else {
        return false;
    };
    let no_arguments = match &function.args {
        FunctionArguments::List(list) => list.args.is_empty(),
        FunctionArguments::None => true,
        FunctionArguments::Subquery(_) => false,
    };
    let name = function.name.0.last().and_then(|part| part.as_ident());
    no_arguments && name.is_some_and(|name| folds_to(name, "random"))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_clean, flagged};

    const CODE: &str = "order-by-random";

    #[test]
    fn flags_order_by_random() {
        assert_eq!(
            flagged("SELECT id FROM quotes ORDER BY random() LIMIT 1", CODE),
            ["random()"]
        );
        assert_eq!(
            flagged(
                "SELECT id FROM quotes ORDER BY created_at, RANDOM ( ) DESC",
                CODE
            ),
            ["RANDOM ( )"]
        );
        assert_eq!(
            flagged(
                "SELECT * FROM (SELECT id FROM q ORDER BY pg_catalog.random()) s",
                CODE
            ),
            ["pg_catalog.random()"]
        );
    }

    #[test]
    fn does_not_flag_other_orderings_or_random_elsewhere() {
        assert_clean("SELECT id FROM quotes ORDER BY id", CODE);
        assert_clean("SELECT random() FROM quotes", CODE);
        assert_clean(
            "SELECT row_number() OVER (ORDER BY random()) FROM quotes",
            CODE,
        );
        assert_clean("SELECT id FROM quotes ORDER BY random_weight", CODE);
    }
}
