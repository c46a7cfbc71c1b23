//! `missing-where`: an UPDATE or DELETE without WHERE changes every row.
//!
//! Also inside data-modifying CTEs (`WITH d AS (DELETE FROM t RETURNING *) …`).

use std::ops::Range;

use sqlparser::ast::{FromTable, TableWithJoins};
use sqlparser::tokenizer::Span;

use super::locate::Locator;
use super::{Hooks, Report, Rule};
use crate::analysis::finding::Severity;
use crate::sql::facts::walk::{Block, QueryPosition, Scopes};

pub const RULE: Rule = Rule {
    code: "missing-where",
    default_severity: Severity::Warning,
    summary: "UPDATE or DELETE without WHERE affects every row",
    // An UPDATE or DELETE has its WHERE (if any) at its own parenthesis level.
    might_fire: |signals| signals.update_or_delete_without_where,
    hooks: Hooks {
        block: Some(block),
        ..Hooks::NONE
    },
};

fn block(block: Block<'_>, _position: QueryPosition, scopes: &Scopes, report: &mut Report<'_>) {
    let (verb, keyword, targets) = match block {
        Block::Update(update) if update.selection.is_none() => (
            "UPDATE",
            update.update_token.0.span,
            std::slice::from_ref(&update.table),
        ),
        Block::Delete(delete) if delete.selection.is_none() => {
            let (FromTable::WithFromKeyword(targets) | FromTable::WithoutKeyword(targets)) =
                &delete.from;
            ("DELETE", delete.delete_token.0.span, targets.as_slice())
        }
        _ => return,
    };
    let target = scopes
        .current()
        .first()
        .and_then(|relation| relation.table())
        .map_or_else(
            || "the table".to_owned(),
            |table| format!("`{}`", table.qualified_name()),
        );
    let range = statement_head(report.locator(), verb, keyword, targets);
    let message = format!(
        "{verb} without WHERE affects every row of {target}; add a WHERE clause \
         (write `WHERE true` if every row is really meant)"
    );
    report.push(RULE.finding(range, message));
}

/// `UPDATE accounts` / `DELETE FROM sessions`: from the verb to the
/// target's name.
fn statement_head(
    locator: &Locator<'_>,
    verb: &str,
    keyword: Span,
    targets: &[TableWithJoins],
) -> Range<usize> {
    let verb_range = locator
        .span(keyword)
        .or_else(|| locator.first_token(verb))
        .unwrap_or_else(|| locator.statement_start());
    let target = targets.first().and_then(|target| match &target.relation {
        sqlparser::ast::TableFactor::Table { name, .. } => {
            let last = name.0.last()?.as_ident()?;
            locator.span(last.span)
        }
        _ => None,
    });
    match target {
        Some(target) if target.start >= verb_range.start => Locator::cover(&verb_range, &target),
        _ => verb_range,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_clean, findings, flagged};

    const CODE: &str = "missing-where";

    #[test]
    fn flags_update_and_delete_without_where() {
        let found = findings("UPDATE accounts SET balance = 0", CODE);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "UPDATE accounts");
        assert!(found[0].1.message.contains("every row of `accounts`"));
        assert_eq!(
            flagged("DELETE FROM app.sessions", CODE),
            ["DELETE FROM app.sessions"]
        );
        assert_eq!(
            flagged("delete from sessions s using users u", CODE),
            ["delete from sessions"]
        );
    }

    #[test]
    fn flags_data_modifying_ctes() {
        assert_eq!(
            flagged(
                "WITH gone AS (DELETE FROM t RETURNING id) SELECT count(*) FROM gone",
                CODE
            ),
            ["DELETE FROM t"]
        );
    }

    #[test]
    fn does_not_flag_statements_with_where() {
        assert_clean("UPDATE accounts SET balance = 0 WHERE id = $1", CODE);
        assert_clean("DELETE FROM sessions WHERE expires_at < now()", CODE);
        assert_clean("DELETE FROM sessions WHERE true", CODE);
        assert_clean("SELECT * FROM accounts", CODE);
        assert_clean("INSERT INTO t VALUES (1)", CODE);
    }
}
