//! Plans as Markdown, for `optischema.explain`: an indented tree with costs
//! and rows (and measured times when `ANALYZE` ran), the most expensive node
//! marked; and two plans before and after a fix, with the change summarized.
//!
//! Node titles follow PostgreSQL's text format (`Hash Left Join`,
//! `HashAggregate`, `Update on t`), which users already know.

use std::fmt::Write as _;

use crate::analysis::format;

use super::model::{Plan, PlanNode};

/// The plan as Markdown: a summary paragraph, then the tree.
pub fn render_plan(plan: &Plan) -> String {
    let hottest = most_expensive(plan);
    let mut out = summary(plan, hottest.as_ref());
    out.push_str("\n\n");
    tree(&plan.root, hottest.map(|hot| hot.node), 0, &mut out);
    out
}

/// Two plans of one statement, before and after a fix: a table of the
/// changes, then each tree.
pub fn render_comparison(before: &Plan, after: &Plan) -> String {
    let mut out = String::from("| | before | after | change |\n|---|---:|---:|---:|\n");
    let _ = writeln!(
        out,
        "| estimated cost | {} | {} | {} |",
        cost(before.total_cost()),
        cost(after.total_cost()),
        change(before.total_cost(), after.total_cost())
    );
    if let (Some(before_ms), Some(after_ms)) = (before.execution_ms, after.execution_ms) {
        let _ = writeln!(
            out,
            "| execution time | {} | {} | {} |",
            format::duration_ms(before_ms),
            format::duration_ms(after_ms),
            change(before_ms, after_ms)
        );
    }
    let hottest_title = |plan: &Plan| {
        most_expensive(plan).map_or_else(String::new, |hot| table_cell(&plain_title(hot.node)))
    };
    let _ = writeln!(
        out,
        "| most expensive step | {} | {} | |",
        hottest_title(before),
        hottest_title(after)
    );
    out.push_str("\n#### Before\n\n");
    out.push_str(&render_plan(before));
    out.push_str("\n#### After\n\n");
    out.push_str(&render_plan(after));
    out
}

/// The node that costs the most on its own.
struct Hottest<'a> {
    node: &'a PlanNode,
    /// Its own share: measured time (ms) when every node was measured, else
    /// the planner's cost.
    own: f64,
    /// Of all nodes' own shares together. With parallel workers, measured
    /// times add up to more than the wall-clock execution time, so this is
    /// the honest whole to compare with.
    of_all: f64,
    measured: bool,
}

fn most_expensive(plan: &Plan) -> Option<Hottest<'_>> {
    let measured = plan.is_analyzed();
    let weight = |node: &PlanNode| {
        if measured {
            node.self_time_ms().unwrap_or(0.0)
        } else {
            node.self_cost()
        }
    };
    let of_all: f64 = plan.root.walk().map(weight).sum();
    plan.root
        .walk()
        .map(|node| (node, weight(node)))
        .filter(|(_, own)| *own > 0.0)
        .max_by(|(_, a), (_, b)| a.total_cmp(b))
        .map(|(node, own)| Hottest {
            node,
            own,
            of_all,
            measured,
        })
}

fn summary(plan: &Plan, hottest: Option<&Hottest<'_>>) -> String {
    let root = &plan.root;
    let mut out = format!(
        "Estimated cost **{}** (first row after {}), {} {}.",
        cost(root.total_cost),
        cost(root.startup_cost),
        rows(root.plan_rows),
        plural(root.plan_rows, "row", "rows"),
    );
    if let Some(execution_ms) = plan.execution_ms {
        let _ = write!(
            out,
            " Executed in **{}**",
            format::duration_ms(execution_ms)
        );
        if let Some(planning_ms) = plan.planning_ms {
            let _ = write!(out, ", planned in {}", format::duration_ms(planning_ms));
        }
        out.push('.');
    }
    if let Some(hot) = hottest {
        let own = if hot.measured {
            format!("self time {}", format::duration_ms(hot.own))
        } else {
            format!("self cost {}", cost(hot.own))
        };
        let _ = write!(
            out,
            " Most expensive step: {} ({own}, {:.0} % of the plan).",
            markdown_title(hot.node),
            hot.own / hot.of_all * 100.0
        );
    }
    out
}

fn tree(node: &PlanNode, hottest: Option<&PlanNode>, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    let _ = write!(out, "{indent}- ");
    if let Some(name) = &node.subplan_name {
        let _ = write!(out, "*{}:* ", escape(name));
    }
    let _ = write!(
        out,
        "{} · cost {}..{} · rows {}",
        markdown_title(node),
        cost(node.startup_cost),
        cost(node.total_cost),
        rows(node.plan_rows)
    );
    if let Some(actual) = node.actual {
        let _ = write!(
            out,
            " · actual {}, rows {}",
            format::duration_ms(actual.total_ms),
            rows(actual.rows)
        );
        // Times and rows are per loop, as PostgreSQL prints them.
        if actual.loops != 1.0 {
            let _ = write!(out, " (× {} loops)", rows(actual.loops));
        }
    }
    if hottest.is_some_and(|hot| std::ptr::eq(hot, node)) {
        out.push_str(" · **⟵ most expensive**");
    }
    out.push('\n');
    for (label, value) in details(node) {
        let _ = writeln!(out, "{indent}  - {label}: {}", code(&value));
    }
    if let Some(removed) = node.actual.and_then(|a| a.rows_removed_by_filter) {
        let _ = writeln!(out, "{indent}  - Rows removed by filter: {}", rows(removed));
    }
    for child in &node.children {
        tree(child, hottest, depth + 1, out);
    }
}

fn details(node: &PlanNode) -> Vec<(&'static str, String)> {
    let conditions = [
        ("Index Cond", &node.index_cond),
        ("Recheck Cond", &node.recheck_cond),
        ("Hash Cond", &node.hash_cond),
        ("Merge Cond", &node.merge_cond),
        ("Join Filter", &node.join_filter),
        ("Filter", &node.filter),
    ];
    let mut details: Vec<(&'static str, String)> = conditions
        .into_iter()
        .filter_map(|(label, value)| value.clone().map(|value| (label, value)))
        .collect();
    if !node.sort_key.is_empty() {
        details.push(("Sort Key", node.sort_key.join(", ")));
    }
    details
}

/// `**Index Scan** using `idx` on `public.t` `x``.
fn markdown_title(node: &PlanNode) -> String {
    let mut out = format!("**{}**", escape(&node_name(node)));
    if let Some(index) = &node.index_name {
        let _ = write!(out, " using {}", code(index));
    }
    if let Some(relation) = &node.relation {
        let _ = write!(out, " on {}", code(relation));
        if let Some(alias) = visible_alias(node, relation) {
            let _ = write!(out, " {}", code(alias));
        }
    }
    out
}

/// The same title without Markdown, for table cells.
fn plain_title(node: &PlanNode) -> String {
    let mut out = node_name(node);
    if let Some(index) = &node.index_name {
        let _ = write!(out, " using {index}");
    }
    if let Some(relation) = &node.relation {
        let _ = write!(out, " on {relation}");
    }
    out
}

/// An alias is worth showing only when it differs from the table's name.
fn visible_alias<'a>(node: &'a PlanNode, relation: &str) -> Option<&'a str> {
    let alias = node.alias.as_deref()?;
    let table = relation.rsplit('.').next().unwrap_or(relation);
    (alias != table).then_some(alias)
}

/// The node's name as PostgreSQL's text format prints it.
fn node_name(node: &PlanNode) -> String {
    let base = match (node.node_type.as_str(), node.strategy.as_deref()) {
        ("ModifyTable", _) => node
            .operation
            .clone()
            .unwrap_or_else(|| "ModifyTable".into()),
        ("Aggregate", Some("Sorted")) => "GroupAggregate".into(),
        ("Aggregate", Some("Hashed")) => "HashAggregate".into(),
        ("Aggregate", Some("Mixed")) => "MixedAggregate".into(),
        (node_type, _) => match node.join_type.as_deref() {
            Some(join) if join != "Inner" => match node_type.strip_suffix(" Join") {
                Some(method) => format!("{method} {join} Join"),
                None => format!("{node_type} {join} Join"),
            },
            _ => node_type.to_owned(),
        },
    };
    if node.parallel_aware {
        format!("Parallel {base}")
    } else {
        base
    }
}

fn cost(value: f64) -> String {
    format!("{value:.2}")
}

/// Whole rows grouped (`1,003`); PostgreSQL 18 prints fractional averages
/// per loop, kept to two decimals.
fn rows(value: f64) -> String {
    if value.fract() == 0.0 && value >= 0.0 && value < u64::MAX as f64 {
        format::grouped(value as u64)
    } else {
        format!("{value:.2}")
    }
}

fn plural(value: f64, one: &'static str, many: &'static str) -> &'static str {
    if value == 1.0 { one } else { many }
}

/// `−99.6 %`, `+5.0 %`, `±0 %`.
fn change(before: f64, after: f64) -> String {
    if before <= 0.0 || !before.is_finite() || !after.is_finite() {
        return String::new();
    }
    let percent = (after - before) / before * 100.0;
    if percent.abs() < 0.05 {
        "±0 %".into()
    } else if percent < 0.0 {
        format!("−{:.1} %", -percent)
    } else {
        format!("+{percent:.1} %")
    }
}

/// A code span that holds any text: the fence is longer than any run of
/// backticks inside, and padded when the text starts or ends with one.
fn code(text: &str) -> String {
    let text = text.replace('\n', " ");
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    if text.starts_with('`') || text.ends_with('`') {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Escapes Markdown's inline punctuation in plain text.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Plain text in a table cell: only `|` and newlines break the table.
fn table_cell(text: &str) -> String {
    escape(&text.replace('\n', " "))
}

#[cfg(test)]
mod tests;
