//! Result sets as text, and whether two of them are the same.
//!
//! Rows come from the simple query protocol, so every value is its type's
//! text output: exact for every type (floats print their shortest exact
//! form), and comparable without knowing the types.

use std::fmt;

use tokio_postgres::SimpleQueryMessage;

pub type Row = Vec<Option<String>>;

/// The columns and rows of one statement's result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultSet {
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
}

impl ResultSet {
    /// The result of the last statement in `messages` that described its
    /// columns.
    pub fn from_messages(messages: &[SimpleQueryMessage]) -> ResultSet {
        let mut result = ResultSet::default();
        for message in messages {
            match message {
                SimpleQueryMessage::RowDescription(columns) => {
                    result = ResultSet {
                        columns: columns.iter().map(|c| c.name().to_owned()).collect(),
                        rows: Vec::new(),
                    };
                }
                SimpleQueryMessage::Row(row) => result.rows.push(
                    (0..row.len())
                        .map(|index| row.try_get(index).ok().flatten().map(str::to_owned))
                        .collect(),
                ),
                _ => {}
            }
        }
        result
    }
}

/// How two results differ; `Display` says it in a sentence fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    Columns {
        expected: Vec<String>,
        actual: Vec<String>,
    },
    Rows {
        expected_count: usize,
        actual_count: usize,
        /// A row one side has more often than the other, and which side.
        example: Row,
        only_in_expected: bool,
    },
    /// Same rows, another order, where order matters.
    Order { position: usize },
}

/// Compares `actual` with `expected`: columns by name and order, rows as a
/// multiset, or as a sequence when `ordered` (the statement has ORDER BY).
pub fn compare(expected: &ResultSet, actual: &ResultSet, ordered: bool) -> Option<Difference> {
    if expected.columns != actual.columns {
        return Some(Difference::Columns {
            expected: expected.columns.clone(),
            actual: actual.columns.clone(),
        });
    }
    let mut expected_sorted: Vec<&Row> = expected.rows.iter().collect();
    let mut actual_sorted: Vec<&Row> = actual.rows.iter().collect();
    expected_sorted.sort();
    actual_sorted.sort();
    if let Some((example, only_in_expected)) = first_unmatched(&expected_sorted, &actual_sorted) {
        return Some(Difference::Rows {
            expected_count: expected.rows.len(),
            actual_count: actual.rows.len(),
            example: example.clone(),
            only_in_expected,
        });
    }
    if ordered
        && let Some(position) = expected
            .rows
            .iter()
            .zip(&actual.rows)
            .position(|(a, b)| a != b)
    {
        return Some(Difference::Order {
            position: position + 1,
        });
    }
    None
}

/// Walks two sorted row lists in step; the first row present more often on
/// one side, with `true` when that side is `expected`.
fn first_unmatched<'a>(expected: &[&'a Row], actual: &[&'a Row]) -> Option<(&'a Row, bool)> {
    let (mut e, mut a) = (0, 0);
    loop {
        match (expected.get(e), actual.get(a)) {
            (None, None) => return None,
            (Some(row), None) => return Some((row, true)),
            (None, Some(row)) => return Some((row, false)),
            (Some(left), Some(right)) => match left.cmp(right) {
                std::cmp::Ordering::Equal => {
                    e += 1;
                    a += 1;
                }
                std::cmp::Ordering::Less => return Some((left, true)),
                std::cmp::Ordering::Greater => return Some((right, false)),
            },
        }
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Columns { expected, actual } => write!(
                f,
                "returns columns ({}) instead of ({})",
                actual.join(", "),
                expected.join(", ")
            ),
            Difference::Rows {
                expected_count,
                actual_count,
                ..
            } => write!(
                f,
                "returns different rows: {expected_count} vs {actual_count}"
            ),
            Difference::Order { position } => {
                write!(
                    f,
                    "returns the same rows in another order (from row {position})"
                )
            }
        }
    }
}

impl Difference {
    /// A row that differs, for a message: "e.g. ('2', 'x') is missing".
    pub fn example(&self) -> Option<String> {
        match self {
            Difference::Rows {
                example,
                only_in_expected,
                ..
            } => Some(format!(
                "e.g. {} is {}",
                show_row(example),
                if *only_in_expected {
                    "missing"
                } else {
                    "extra"
                }
            )),
            _ => None,
        }
    }
}

/// A row for a message, shortened so a wide row stays readable.
fn show_row(row: &Row) -> String {
    const LIMIT: usize = 120;
    let values: Vec<String> = row
        .iter()
        .map(|value| match value {
            None => "NULL".to_owned(),
            Some(text) => format!("'{}'", text.replace('\'', "''")),
        })
        .collect();
    let text = format!("({})", values.join(", "));
    if text.chars().count() <= LIMIT {
        return text;
    }
    let cut: String = text.chars().take(LIMIT).collect();
    format!("{cut}…)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(columns: &[&str], rows: &[&[Option<&str>]]) -> ResultSet {
        ResultSet {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: rows
                .iter()
                .map(|row| row.iter().map(|v| v.map(str::to_owned)).collect())
                .collect(),
        }
    }

    #[test]
    fn same_multiset_in_another_order_is_equal_unless_ordered() {
        let a = result(&["id"], &[&[Some("1")], &[Some("2")], &[Some("2")]]);
        let b = result(&["id"], &[&[Some("2")], &[Some("1")], &[Some("2")]]);
        assert_eq!(compare(&a, &b, false), None);
        assert_eq!(
            compare(&a, &b, true),
            Some(Difference::Order { position: 1 })
        );
    }

    #[test]
    fn duplicates_count() {
        let a = result(&["id"], &[&[Some("1")], &[Some("1")]]);
        let b = result(&["id"], &[&[Some("1")]]);
        let difference = compare(&a, &b, false).unwrap();
        assert_eq!(difference.to_string(), "returns different rows: 2 vs 1");
        assert_eq!(difference.example().unwrap(), "e.g. ('1') is missing");
    }

    #[test]
    fn extra_rows_and_nulls_are_shown() {
        let a = result(&["id", "name"], &[&[Some("1"), None]]);
        let b = result(
            &["id", "name"],
            &[&[Some("1"), None], &[Some("2"), Some("o'k")]],
        );
        assert_eq!(
            compare(&a, &b, false).unwrap().example().unwrap(),
            "e.g. ('2', 'o''k') is extra"
        );
    }

    #[test]
    fn column_names_matter() {
        let a = result(&["id"], &[]);
        let b = result(&["customer_id"], &[]);
        assert_eq!(
            compare(&a, &b, false).unwrap().to_string(),
            "returns columns (customer_id) instead of (id)"
        );
    }
}
