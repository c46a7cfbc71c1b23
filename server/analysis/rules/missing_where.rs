//! `missing-where`: an UPDATE or DELETE without WHERE changes every row.
//!
//! Also inside data-modifying CTEs (`WITH d AS (DELETE FROM t RETURNING *) …`).

use std::ops::Range;

use sqlparser::ast::{FromTable, TableWithJoins};
use sqlparser::tokenizer::Span;

use super::locate::Locator;
use super::{Rule, RuleContext};
use crate::analysis::finding::{Finding, Severity};
use crate::sql::facts::walk::{Block, QueryPosition, Scopes, Visitor, walk_statement};

pub const RULE: Rule = Rule {
    code: "missing-where",
    default_severity: Severity::Warning,
    summary: "UPDATE or DELETE without WHERE affects every row",
    check,
};

fn check(context: &RuleContext<'_>, findings: &mut Vec<Finding>) {
    let Some(ast) = context.ast else {
        return;
    };
    let mut visitor = MissingWhere {
        locator: Locator::new(context),
        findings,
    };
    walk_statement(ast, &mut visitor);
}

struct MissingWhere<'a, 'f> {
    locator: Locator<'a>,
    findings: &'f mut Vec<Finding>,
}

impl<'ast> Visitor<'ast> for MissingWhere<'_, '_> {
    fn block(&mut self, block: Block<'ast>, _position: QueryPosition, scopes: &Scopes) {
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
        let range = self.statement_head(verb, keyword, targets);
        let message = format!(
            "{verb} without WHERE affects every row of {target}; add a WHERE clause \
             (write `WHERE true` if every row is really meant)"
        );
        self.findings.push(RULE.finding(range, message));
    }
}

impl MissingWhere<'_, '_> {
    /// `UPDATE accounts` / `DELETE FROM sessions`: from the verb to the
    /// target's name.
    fn statement_head(
        &self,
        verb: &str,
        keyword: Span,
        targets: &[TableWithJoins],
    ) -> Range<usize> {
        let verb_range = self
            .locator
            .span(keyword)
            .or_else(|| self.locator.first_token(verb))
            .unwrap_or_else(|| self.locator.statement_start());
        let target = targets.first().and_then(|target| match &target.relation {
            sqlparser::ast::TableFactor::Table { name, .. } => {
                let last = name.0.last()?.as_ident()?;
                self.locator.span(last.span)
            }
            _ => None,
        });
        match target {
            Some(target) if target.start >= verb_range.start => {
                Locator::cover(&verb_range, &target)
            }
            _ => verb_range,
        }
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
