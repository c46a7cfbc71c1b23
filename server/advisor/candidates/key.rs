//! Which columns an index for one table should have, in b-tree order:
//! equality columns first (any order serves the statement, so the most
//! selective leads, which also makes the index useful to more statements),
//! then one range column, or the ORDER BY columns the index can return in
//! order.

use super::columns::TableUses;
use crate::sql::facts::ColumnRole;

/// An index key: columns compared with `=` (in the order chosen), then the
/// rest (a range column and/or the ORDER BY columns), whose order matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct IndexKey {
    pub equality: Vec<String>,
    pub tail: Vec<String>,
}

impl IndexKey {
    pub fn columns(&self) -> impl Iterator<Item = &String> {
        self.equality.iter().chain(&self.tail)
    }

    pub fn len(&self) -> usize {
        self.equality.len() + self.tail.len()
    }
}

/// The keys worth proposing for one table, most complete first: the full
/// key, the key without join columns (for when the table is the outer side
/// of the join), the equality part alone, the leading equality column alone,
/// and the range / ORDER BY part alone. Empty and repeated keys are left out.
pub(super) fn keys(table: &TableUses<'_>) -> Vec<IndexKey> {
    let equality = by_selectivity(
        table,
        columns_with(table, &[ColumnRole::Equality, ColumnRole::Join]),
    );
    let filters_only: Vec<String> = equality
        .iter()
        .filter(|column| has_role(table, column, ColumnRole::Equality))
        .cloned()
        .collect();
    let tail = tail(table, &equality);
    let key = |equality: &[String], tail: &[String]| IndexKey {
        equality: equality.to_vec(),
        tail: tail.to_vec(),
    };
    let mut keys: Vec<IndexKey> = Vec::new();
    for key in [
        key(&equality, &tail),
        key(&filters_only, &tail),
        key(&equality, &[]),
        key(&equality[..equality.len().min(1)], &[]),
        key(&[], &tail),
    ] {
        if key.len() > 0 && !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

fn has_role(table: &TableUses<'_>, column: &str, role: ColumnRole) -> bool {
    table.uses.contains(&(column, role))
}

/// Columns used in any of `roles`, in statement order, each once.
fn columns_with(table: &TableUses<'_>, roles: &[ColumnRole]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for (column, role) in &table.uses {
        if roles.contains(role) && !columns.iter().any(|known| known == column) {
            columns.push((*column).to_owned());
        }
    }
    columns
}

/// After the equality columns: at most one range column (the first one),
/// else the ORDER BY columns. ORDER BY columns also follow a range column
/// when the first of them is that column: the index then serves both.
/// Columns already compared with `=` are constant in the scan and skipped.
fn tail(table: &TableUses<'_>, equality: &[String]) -> Vec<String> {
    let not_equality = |columns: Vec<String>| -> Vec<String> {
        columns
            .into_iter()
            .filter(|column| !equality.contains(column))
            .collect()
    };
    let range = not_equality(columns_with(table, &[ColumnRole::Range]))
        .into_iter()
        .next();
    let order = not_equality(columns_with(table, &[ColumnRole::OrderBy]));
    match range {
        None => order,
        Some(range) if order.first() == Some(&range) => order,
        Some(range) => vec![range],
    }
}

/// Most selective (most distinct values) first; columns without statistics
/// keep their statement order after those with.
fn by_selectivity(table: &TableUses<'_>, mut columns: Vec<String>) -> Vec<String> {
    let distinct = |column: &String| distinct_values(table, column);
    columns.sort_by(|a, b| match (distinct(a), distinct(b)) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    columns
}

/// Estimated distinct values of a column from `pg_stats.n_distinct`
/// (positive: a count; negative: a fraction of the rows). Zero means
/// "unknown" in PostgreSQL's convention.
fn distinct_values(table: &TableUses<'_>, column: &str) -> Option<f64> {
    let n_distinct = table.column(column)?.n_distinct?;
    let rows = table.info.estimated_rows.max(1.0);
    let estimate = if n_distinct < 0.0 {
        -n_distinct * rows
    } else {
        n_distinct
    };
    (estimate.is_finite() && estimate > 0.0).then_some(estimate)
}
