//! `offset-pagination`: `OFFSET 5000`, or `OFFSET $1`.
//!
//! OFFSET does not skip rows, it reads and throws them away, so page N costs
//! as much as reading all N pages. A literal below [`LARGE_OFFSET`] is left
//! alone; a parameter is page-number pagination, whose deep pages are slow.

use sqlparser::ast::{Expr, Value};

use super::{Hooks, Report, Rule};
use crate::analysis::finding::Severity;
use crate::sql::facts::expr::{contains_placeholder, unparenthesized};
use crate::sql::facts::walk::{Clause, Scopes};

pub const RULE: Rule = Rule {
    code: "offset-pagination",
    default_severity: Severity::Info,
    summary: "large or parameterized OFFSET reads and discards every skipped row",
    // sqlparser's PostgreSQL dialect has no `LIMIT offset, count`.
    might_fire: |signals| signals.offset,
    hooks: Hooks {
        clause: Some(clause),
        ..Hooks::NONE
    },
};

/// The smallest literal OFFSET worth a finding.
const LARGE_OFFSET: f64 = 1000.0;

const ADVICE: &str = "use keyset pagination instead: remember the last row's sort key and \
    ask for `WHERE (sort_key, id) > ($last_key, $last_id) ORDER BY sort_key, id LIMIT n`";

fn clause(offset: &Expr, clause: Clause, _scopes: &Scopes, report: &mut Report<'_>) {
    if clause != Clause::Offset {
        return;
    }
    let problem = if contains_placeholder(offset) {
        "OFFSET with a parameter is page-number pagination: each page reads and \
         discards every row of the pages before it, so deep pages get slow"
            .to_owned()
    } else if let Some(rows) = literal_rows(offset).filter(|rows| *rows >= LARGE_OFFSET) {
        format!("OFFSET {rows} reads and discards {rows} rows before returning any")
    } else {
        return;
    };
    let locator = report.locator();
    let range = locator
        .expr(offset)
        .or_else(|| locator.first_token("offset"))
        .unwrap_or_else(|| locator.statement_start());
    report.push(RULE.finding(range, format!("{problem}; {ADVICE}")));
}

/// The value of a numeric literal OFFSET (`5000`, `(5000)`, `5_000`, `5e3`).
fn literal_rows(offset: &Expr) -> Option<f64> {
    let Expr::Value(value) = unparenthesized(offset) else {
        return None;
    };
    let Value::Number(digits, _) = &value.value else {
        return None;
    };
    digits.replace('_', "").parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_clean, findings, flagged};

    const CODE: &str = "offset-pagination";

    #[test]
    fn flags_large_literal_offsets() {
        let found = findings("SELECT id FROM t ORDER BY id LIMIT 20 OFFSET 5000", CODE);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "5000");
        assert!(
            found[0].1.message.contains("5000 rows"),
            "{}",
            found[0].1.message
        );
        assert_eq!(flagged("SELECT id FROM t OFFSET 1000 ROWS", CODE), ["1000"]);
    }

    #[test]
    fn flags_parameterized_offsets() {
        assert_eq!(flagged("SELECT id FROM t LIMIT $1 OFFSET $2", CODE), ["$2"]);
        assert_eq!(
            flagged("SELECT id FROM t LIMIT 10 OFFSET ($1 - 1) * 10", CODE),
            ["($1 - 1) * 10"]
        );
    }

    #[test]
    fn does_not_flag_small_offsets() {
        assert_clean("SELECT id FROM t LIMIT 20 OFFSET 40", CODE);
        assert_clean("SELECT id FROM t OFFSET 999", CODE);
        assert_clean("SELECT id FROM t LIMIT $1", CODE);
    }

    #[test]
    fn client_side_placeholders_are_left_to_the_syntax_check() {
        // PostgreSQL's grammar rejects `?` and `:name`; the rule stays quiet.
        for sql in ["SELECT id FROM t OFFSET ?", "SELECT id FROM t OFFSET :page"] {
            assert_clean(sql, CODE);
        }
    }
}
