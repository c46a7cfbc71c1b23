//! `select-star`: `SELECT *` or `t.*` that expands a table's columns.
//!
//! Flagged in the statement's own projection and in CTE and derived-table
//! projections, when the `*` reaches a real table (a `*` over a CTE or a
//! subquery only repeats columns the query already chose). Never inside
//! `EXISTS (SELECT * …)`, `IN (SELECT * …)` or scalar subqueries, where it
//! selects nothing that is fetched, and not in `INSERT … SELECT *`, `count(*)`
//! or `RETURNING *`.

use std::ops::Range;

use sqlparser::ast::{SelectItem, SelectItemQualifiedWildcardKind};

use super::locate::Locator;
use super::{Hooks, Report, Rule};
use crate::analysis::finding::Severity;
use crate::sql::facts::walk::{Block, QueryPosition, Relation, Scopes, fold};

pub const RULE: Rule = Rule {
    code: "select-star",
    default_severity: Severity::Info,
    summary: "SELECT * reads and sends every column of a table",
    // `*` and `t.*` are written with a star; `count(*)`'s is not a select item.
    might_fire: |signals| signals.star,
    hooks: Hooks {
        block: Some(block),
        ..Hooks::NONE
    },
};

fn block(block: Block<'_>, position: QueryPosition, scopes: &Scopes, report: &mut Report<'_>) {
    let Block::Select(select) = block else {
        return;
    };
    if !matches!(
        position,
        QueryPosition::Top | QueryPosition::Cte | QueryPosition::Derived
    ) {
        return;
    }
    for item in &select.projection {
        match item {
            SelectItem::Wildcard(options) => {
                let tables: Vec<&Relation> = scopes
                    .current()
                    .iter()
                    .filter(|relation| relation.table().is_some())
                    .collect();
                if !tables.is_empty() {
                    let range = report.locator().span(options.wildcard_token.0.span);
                    flag(report, range, &tables);
                }
            }
            SelectItem::QualifiedWildcard(
                SelectItemQualifiedWildcardKind::ObjectName(name),
                options,
            ) => {
                let qualifier: Vec<String> = name
                    .0
                    .iter()
                    .filter_map(|part| part.as_ident())
                    .map(fold)
                    .collect();
                // `d.*` over a subquery or CTE repeats columns chosen elsewhere.
                let relation = scopes.resolve(&qualifier);
                if relation.is_some_and(|relation| relation.table().is_none()) {
                    continue;
                }
                let locator = report.locator();
                let star = locator.span(options.wildcard_token.0.span);
                let range = name
                    .0
                    .first()
                    .and_then(|part| part.as_ident())
                    .and_then(|ident| locator.span(ident.span))
                    .zip(star.clone())
                    .map(|(start, star)| Locator::cover(&start, &star))
                    .or(star);
                flag(report, range, &relation.into_iter().collect::<Vec<_>>());
            }
            _ => {}
        }
    }
}

fn flag(report: &mut Report<'_>, range: Option<Range<usize>>, tables: &[&Relation]) {
    let locator = report.locator();
    let range = range
        .or_else(|| locator.first_token("*"))
        .unwrap_or_else(|| locator.statement_start());
    let names: Vec<String> = tables
        .iter()
        .filter_map(|relation| relation.table())
        .map(|table| format!("`{}`", table.qualified_name()))
        .collect();
    let what = if names.is_empty() {
        "every column".to_owned()
    } else {
        format!("every column of {}", names.join(", "))
    };
    let message = format!(
        "`{}` selects {what}: it reads and sends columns the caller may not need, \
         rules out index-only scans, and changes the result when columns are added; \
         list the columns instead",
        locator.text(&range)
    );
    report.push(RULE.finding(range, message));
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_clean, findings, flagged};

    const CODE: &str = "select-star";

    #[test]
    fn flags_the_star_of_the_outermost_projection() {
        let sql = "SELECT * FROM users WHERE id = $1";
        let found = findings(sql, CODE);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "*");
        assert_eq!(found[0].1.range, 7..8);
        assert!(
            found[0].1.message.contains("`users`"),
            "{}",
            found[0].1.message
        );
    }

    #[test]
    fn flags_qualified_stars_of_tables() {
        assert_eq!(
            flagged(
                "SELECT u.*, o.id FROM users u JOIN orders o ON o.user_id = u.id",
                CODE
            ),
            ["u.*"]
        );
    }

    #[test]
    fn flags_cte_and_derived_table_projections_and_union_branches() {
        assert_eq!(
            flagged("WITH x AS (SELECT * FROM orders) SELECT id FROM x", CODE),
            ["*"]
        );
        assert_eq!(
            flagged("SELECT d.id FROM (SELECT * FROM orders) d", CODE),
            ["*"]
        );
        assert_eq!(
            flagged("SELECT * FROM a UNION ALL SELECT * FROM b", CODE),
            ["*", "*"]
        );
    }

    #[test]
    fn does_not_flag_count_star_exists_or_in_subqueries() {
        assert_clean("SELECT count(*) FROM users", CODE);
        assert_clean(
            "SELECT id FROM users u WHERE EXISTS (SELECT * FROM orders o WHERE o.user_id = u.id)",
            CODE,
        );
        assert_clean(
            "SELECT id FROM users WHERE NOT EXISTS (SELECT * FROM bans)",
            CODE,
        );
        assert_clean(
            "SELECT id FROM users WHERE (SELECT * FROM one_col) = 1",
            CODE,
        );
    }

    #[test]
    fn does_not_flag_stars_over_subqueries_ctes_or_functions() {
        assert_clean("SELECT * FROM (SELECT id, name FROM users) u", CODE);
        assert_clean("WITH x AS (SELECT id FROM users) SELECT x.* FROM x", CODE);
        assert_clean("SELECT * FROM generate_series(1, 10) g", CODE);
        assert_clean("SELECT *", CODE);
    }

    #[test]
    fn does_not_flag_insert_select_or_returning() {
        assert_clean("INSERT INTO archive SELECT * FROM orders", CODE);
        assert_clean("DELETE FROM orders WHERE id = 1 RETURNING *", CODE);
    }

    #[test]
    fn ranges_are_right_after_multibyte_text() {
        let sql = "SELECT 'héllo', * FROM t";
        assert_eq!(flagged(sql, CODE), ["*"]);
    }
}
