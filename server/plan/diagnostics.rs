//! Findings a plan shows reliably, as plain data; the caller places them on
//! the statement.
//!
//! - `seq-scan-large-table`: a sequential scan with a filter on a table
//!   above `thresholds.largeTableRows`: every row is read to keep a few.
//!
//! Estimates of sorts spilling or of hash tables overflowing depend on
//! `work_mem` and the actual data; a plan without `ANALYZE` does not show
//! them reliably, so there are no findings for them.

use crate::analysis::format;
use crate::config::Thresholds;
use crate::sql::lexer::{Lexer, TokenKind};
use crate::stats::model::Catalog;

use super::model::{Plan, PlanNode};

pub const SEQ_SCAN_LARGE_TABLE: &str = "seq-scan-large-table";

/// One finding about a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFinding {
    /// A stable kebab-case rule name.
    pub code: &'static str,
    pub message: String,
    /// The table concerned, schema-qualified when known.
    pub relation: Option<String>,
}

/// The findings for `plan`; table sizes and column names come from `catalog`.
pub fn plan_findings(plan: &Plan, catalog: &Catalog, thresholds: &Thresholds) -> Vec<PlanFinding> {
    plan.root
        .walk()
        .filter_map(|node| seq_scan_large_table(node, catalog, thresholds))
        .collect()
}

fn seq_scan_large_table(
    node: &PlanNode,
    catalog: &Catalog,
    thresholds: &Thresholds,
) -> Option<PlanFinding> {
    if node.node_type != "Seq Scan" {
        return None;
    }
    let filter = node.filter.as_deref()?;
    let relation = node.relation.as_deref()?;
    let table = catalog.table(relation);
    // The rows a scan returns are a lower bound of the table's rows, which
    // covers a table the catalog does not know (yet).
    let table_rows = table
        .map_or(0.0, |table| table.estimated_rows)
        .max(node.plan_rows);
    let is_large = table_rows > thresholds.large_table_rows;
    if !is_large {
        return None;
    }
    let name = table.map_or_else(
        || relation.to_owned(),
        |table| format!("{}.{}", table.schema, table.name),
    );
    let known_columns: Option<Vec<&str>> = table.map(|table| {
        catalog
            .columns_of(table)
            .map(|column| column.name.as_str())
            .collect()
    });
    let columns = filter_columns(filter, known_columns.as_deref().filter(|c| !c.is_empty()));
    let scan = if node.parallel_aware {
        "Parallel Seq Scan"
    } else {
        "Seq Scan"
    };
    let suggestion = if columns.is_empty() {
        String::new()
    } else {
        format!("; an index on {name} ({}) may help", columns.join(", "))
    };
    Some(PlanFinding {
        code: SEQ_SCAN_LARGE_TABLE,
        message: format!(
            "{scan} on {name} (~{} rows) filters `{filter}`, keeping ~{} rows{suggestion}",
            format::grouped(table_rows as u64),
            format::grouped(node.plan_rows as u64),
        ),
        relation: Some(name),
    })
}

/// Words in a filter that name columns, in order of appearance.
///
/// With the table's columns from the catalog, a word counts when it is one
/// of them. Without, a word counts when it is not a function name (followed
/// by `(`), a type (after `::`), a qualifier (before `.`) or a keyword.
fn filter_columns(filter: &str, table_columns: Option<&[&str]>) -> Vec<String> {
    let tokens: Vec<_> = Lexer::new(filter)
        .filter(|token| !token.kind.is_trivia())
        .collect();
    let mut columns: Vec<String> = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        let name = match token.kind {
            TokenKind::Word => token.text(filter).to_owned(),
            TokenKind::QuotedIdent => unquote(token.text(filter)),
            _ => continue,
        };
        let previous = index.checked_sub(1).map(|i| tokens[i].text(filter));
        let next = tokens.get(index + 1).map(|t| t.kind);
        let is_column = match table_columns {
            Some(known) => known.contains(&name.as_str()) && next != Some(TokenKind::Dot),
            None => {
                previous != Some("::")
                    && !matches!(next, Some(TokenKind::LParen | TokenKind::Dot))
                    && !is_keyword(&name)
            }
        };
        if is_column && !columns.contains(&name) {
            columns.push(name);
        }
    }
    columns
}

/// `"Name"` → `Name`, `"a""b"` → `a"b`.
fn unquote(quoted: &str) -> String {
    let inner = quoted.strip_prefix('"').unwrap_or(quoted);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    inner.replace("\"\"", "\"")
}

/// Words PostgreSQL prints in filter expressions that are not column names.
fn is_keyword(word: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "and", "or", "not", "is", "null", "true", "false", "any", "all", "some", "in", "like",
        "ilike", "similar", "between", "distinct", "from", "array", "case", "when", "then", "else",
        "end", "hashed", "subplan", "initplan", "unknown", "collate", "escape",
    ];
    KEYWORDS.contains(&word.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests;
