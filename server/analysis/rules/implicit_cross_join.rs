//! `implicit-cross-join`: tables listed with commas in FROM (or UPDATE …
//! FROM, DELETE … USING) that no WHERE condition relates.
//!
//! `FROM a, b` without a condition between them pairs every row of `a` with
//! every row of `b`; that is almost always a forgotten join condition. To
//! stay precise, only items made of plain tables are flagged (a CTE, a
//! subquery or a function such as `generate_series` is often a deliberate
//! one-row or lateral cross join), and a condition whose columns cannot be
//! told apart (unqualified names, subqueries) is taken to relate everything.

use sqlparser::ast::{Expr, InTarget};

use super::{Hooks, Report, Rule};
use crate::analysis::finding::{Finding, Severity};
use crate::sql::facts::expr::conjuncts;
use crate::sql::facts::walk::{Block, QueryPosition, Relation, Scopes, any_node};

pub const RULE: Rule = Rule {
    code: "implicit-cross-join",
    default_severity: Severity::Warning,
    summary: "comma-joined tables with no condition relating them form a Cartesian product",
    // Two FROM items are separated by a comma, or are UPDATE's target and
    // FROM, or DELETE's target and USING.
    might_fire: |signals| signals.several_from_items,
    hooks: Hooks {
        block: Some(block),
        ..Hooks::NONE
    },
};

fn block(block: Block<'_>, _position: QueryPosition, scopes: &Scopes, report: &mut Report<'_>) {
    if !matches!(
        block,
        Block::Select(_) | Block::Update(_) | Block::Delete(_)
    ) {
        return;
    }
    let relations = scopes.current();
    let item_count = relations.iter().map(|r| r.from_item + 1).max().unwrap_or(0);
    if item_count < 2 {
        return;
    }
    let mut groups = Groups::new(item_count);
    for condition in block.filter().map(conjuncts).unwrap_or_default() {
        match related_items(condition, scopes) {
            Related::Unknown => return,
            Related::Items(items) => {
                for pair in items.windows(2) {
                    groups.merge(pair[0], pair[1]);
                }
            }
        }
    }
    report_unrelated(report, relations, &mut groups, item_count);
}

/// Each group of plain-table items after the first is cross joined to it.
fn report_unrelated(
    report: &mut Report<'_>,
    relations: &[Relation],
    groups: &mut Groups,
    item_count: usize,
) {
    let mut first_of_group: Vec<(usize, &Relation)> = Vec::new();
    for item in 0..item_count {
        let members: Vec<&Relation> = relations.iter().filter(|r| r.from_item == item).collect();
        let plain_tables = members.iter().all(|relation| relation.table().is_some());
        let (true, Some(first)) = (plain_tables, members.first()) else {
            continue;
        };
        let group = groups.find(item);
        if first_of_group.iter().any(|(seen, _)| *seen == group) {
            continue;
        }
        first_of_group.push((group, first));
        if let [(_, reference), .., (_, unrelated)] = first_of_group.as_slice() {
            let finding = finding(report, reference, unrelated);
            report.push(finding);
        }
    }
}

fn finding(report: &Report<'_>, reference: &Relation, unrelated: &Relation) -> Finding {
    let name = |relation: &Relation| relation.binding.clone().unwrap_or_default();
    let locator = report.locator();
    let range = locator
        .span(unrelated.span)
        .unwrap_or_else(|| locator.statement_start());
    let message = format!(
        "`{}` is joined to `{}` with a comma but no condition relates them, so every row \
         of one is paired with every row of the other; add the join condition, or write \
         `CROSS JOIN` if the product is intended",
        name(unrelated),
        name(reference)
    );
    RULE.finding(range, message)
}

/// What a WHERE condition relates.
enum Related {
    /// These FROM items (possibly none or one).
    Items(Vec<usize>),
    /// Cannot be told: it may relate any of them.
    Unknown,
}

fn related_items(condition: &Expr, scopes: &Scopes) -> Related {
    let mut items = Vec::new();
    let mut unqualified_columns = 0;
    let has_subquery = any_node(condition, |node| match node {
        Expr::Identifier(_) => {
            unqualified_columns += 1;
            false
        }
        Expr::CompoundIdentifier(parts) => {
            let qualifier = &parts[..parts.len().saturating_sub(1)];
            // Outer-query columns are constants here: they relate nothing.
            if let Some(relation) = scopes.resolve_current_idents(qualifier) {
                items.push(relation.from_item);
            }
            false
        }
        // Subqueries may relate any tables (they stop the search).
        Expr::Exists { .. }
        | Expr::Subquery(_)
        | Expr::In {
            target: InTarget::Subquery(_),
            ..
        } => true,
        _ => false,
    });
    items.sort_unstable();
    items.dedup();
    let unknown =
        has_subquery || (unqualified_columns > 0 && unqualified_columns + items.len() >= 2);
    if unknown {
        Related::Unknown
    } else {
        Related::Items(items)
    }
}

/// Union-find over FROM items.
struct Groups {
    parent: Vec<usize>,
}

impl Groups {
    fn new(count: usize) -> Self {
        Groups {
            parent: (0..count).collect(),
        }
    }

    fn find(&mut self, mut item: usize) -> usize {
        while self.parent[item] != item {
            self.parent[item] = self.parent[self.parent[item]];
            item = self.parent[item];
        }
        item
    }

    fn merge(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        self.parent[b] = a;
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_clean, findings, flagged};

    const CODE: &str = "implicit-cross-join";

    #[test]
    fn flags_comma_joins_without_a_relating_condition() {
        let found = findings(
            "SELECT * FROM orders o, customers c WHERE o.total > 100",
            CODE,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "customers c");
        assert!(
            found[0].1.message.contains("`c` is joined to `o`"),
            "{}",
            found[0].1.message
        );
        assert_eq!(flagged("SELECT 1 FROM a, b", CODE), ["b"]);
        assert_eq!(
            flagged("SELECT 1 FROM a, b, c WHERE a.id = b.a_id", CODE),
            ["c"]
        );
    }

    #[test]
    fn flags_update_from_and_delete_using() {
        assert_eq!(
            flagged(
                "UPDATE accounts a SET flag = true FROM users u WHERE a.active",
                CODE
            ),
            ["users u"]
        );
        assert_eq!(flagged("DELETE FROM a USING b WHERE a.x = 1", CODE), ["b"]);
    }

    #[test]
    fn does_not_flag_related_tables() {
        assert_clean("SELECT 1 FROM a, b WHERE a.id = b.a_id", CODE);
        assert_clean(
            "SELECT 1 FROM a, b, c WHERE a.id = b.a_id AND c.b_id = b.id",
            CODE,
        );
        assert_clean("SELECT 1 FROM a, b WHERE a.t BETWEEN b.lo AND b.hi", CODE);
        assert_clean("SELECT 1 FROM s.a, s.b WHERE s.a.id = s.b.id", CODE);
        assert_clean("UPDATE a SET x = b.x FROM b WHERE a.id = b.id", CODE);
    }

    #[test]
    fn does_not_flag_explicit_joins_or_unclear_conditions() {
        assert_clean("SELECT 1 FROM a CROSS JOIN b", CODE);
        assert_clean("SELECT 1 FROM a JOIN b ON a.id = b.id", CODE);
        assert_clean("SELECT 1 FROM a, b WHERE a_id = id", CODE);
        assert_clean(
            "SELECT 1 FROM a, b WHERE EXISTS (SELECT 1 FROM c WHERE c.a = a.id AND c.b = b.id)",
            CODE,
        );
    }

    #[test]
    fn does_not_flag_ctes_subqueries_or_functions() {
        assert_clean("WITH p AS (SELECT 1 AS n) SELECT 1 FROM t, p", CODE);
        assert_clean("SELECT 1 FROM t, (SELECT max(x) AS m FROM u) s", CODE);
        assert_clean("SELECT 1 FROM t, generate_series(1, 3) g", CODE);
        assert_clean("SELECT 1 FROM users u, unnest(u.tags) tag", CODE);
    }
}
