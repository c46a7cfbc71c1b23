//! What each `$n` of a statement stands for: the column it is compared
//! with (resolved through aliases to its table), a LIMIT or OFFSET count,
//! or nothing we can tell.

use sqlparser::ast::{BinaryOperator, Expr, InTarget, Statement, Value};

use crate::sql::facts::TableRef;
use crate::sql::facts::expr::{ColumnRef, column_ref, unparenthesized};
use crate::sql::facts::walk::{Clause, Relation, Scopes, Visitor, walk_statement};

/// Where a parameter's sample values come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Compared with this column. An unqualified column in a FROM with
    /// several tables may belong to any of them: they are tried in order.
    Column {
        tables: Vec<TableRef>,
        column: String,
    },
    Limit,
    Offset,
    Unknown,
}

/// The target of `$1` … `$count`, index `n - 1`; the first comparison that
/// mentions a parameter decides.
pub fn targets(statement: &Statement, count: usize) -> Vec<Target> {
    let mut finder = TargetFinder {
        targets: vec![Target::Unknown; count],
    };
    walk_statement(statement, &mut finder);
    finder.targets
}

struct TargetFinder {
    targets: Vec<Target>,
}

impl<'a> Visitor<'a> for TargetFinder {
    fn clause(&mut self, root: &'a Expr, clause: Clause, _scopes: &Scopes) {
        let target = match clause {
            Clause::Limit => Target::Limit,
            Clause::Offset => Target::Offset,
            _ => return,
        };
        if let Some(number) = parameter_number(root) {
            self.set(number, target);
        }
    }

    fn expr(&mut self, expr: &'a Expr, _clause: Clause, scopes: &Scopes) {
        match expr {
            Expr::BinaryOp { left, op, right } if is_comparison(op) => {
                self.compared(left, right, scopes);
                self.compared(right, left, scopes);
            }
            Expr::IsDistinctFrom(left, right) | Expr::IsNotDistinctFrom(left, right) => {
                self.compared(left, right, scopes);
                self.compared(right, left, scopes);
            }
            Expr::Like {
                expr: operand,
                pattern,
                ..
            }
            | Expr::ILike {
                expr: operand,
                pattern,
                ..
            } => self.compared(operand, pattern, scopes),
            Expr::In {
                expr: operand,
                target: InTarget::List(list),
                ..
            } => {
                for item in list {
                    self.compared(operand, item, scopes);
                }
            }
            Expr::Between {
                expr: operand,
                low,
                high,
                ..
            } => {
                self.compared(operand, low, scopes);
                self.compared(operand, high, scopes);
            }
            _ => {}
        }
    }
}

impl TargetFinder {
    /// `column_side` compared with `parameter_side`: records the column as
    /// the parameter's target if both are what they say.
    fn compared(&mut self, column_side: &Expr, parameter_side: &Expr, scopes: &Scopes) {
        let (Some(column), Some(number)) =
            (column_ref(column_side), parameter_number(parameter_side))
        else {
            return;
        };
        let tables = candidate_tables(&column, scopes);
        if !tables.is_empty() {
            self.set(
                number,
                Target::Column {
                    tables,
                    column: column.column,
                },
            );
        }
    }

    fn set(&mut self, number: usize, target: Target) {
        if let Some(slot) = number.checked_sub(1).and_then(|i| self.targets.get_mut(i))
            && *slot == Target::Unknown
        {
            *slot = target;
        }
    }
}

/// The tables a column can belong to: the one its qualifier names, or every
/// table of the innermost FROM when it is unqualified.
fn candidate_tables(column: &ColumnRef, scopes: &Scopes) -> Vec<TableRef> {
    if column.qualifier.is_empty() {
        scopes
            .current()
            .iter()
            .filter_map(Relation::table)
            .cloned()
            .collect()
    } else {
        scopes
            .resolve(&column.qualifier)
            .and_then(Relation::table)
            .cloned()
            .into_iter()
            .collect()
    }
}

fn is_comparison(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::Eq
            | BinaryOperator::NotEq
            | BinaryOperator::Lt
            | BinaryOperator::LtEq
            | BinaryOperator::Gt
            | BinaryOperator::GtEq
    )
}

/// `n` when `expr` is `$n`, possibly parenthesized or cast (`$1::int`).
fn parameter_number(expr: &Expr) -> Option<usize> {
    match unparenthesized(expr) {
        Expr::Cast { expr, .. } => parameter_number(expr),
        Expr::Value(value) => match &value.value {
            Value::Placeholder(text) => text.strip_prefix('$')?.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::ast::parse_statement;

    fn targets_of(text: &str, count: usize) -> Vec<Target> {
        targets(&parse_statement(text).expect(text), count)
    }

    fn column(table: &str, alias: Option<&str>, column: &str) -> Target {
        Target::Column {
            tables: vec![TableRef {
                schema: None,
                name: table.into(),
                alias: alias.map(str::to_owned),
            }],
            column: column.into(),
        }
    }

    #[test]
    fn comparisons_resolve_through_aliases() {
        let found = targets_of(
            "SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id \
             WHERE o.status = $1 AND $2 < c.created AND c.region IN ($3, $4) \
             AND o.amount BETWEEN $5 AND $6::numeric AND c.name LIKE $7 LIMIT $8 OFFSET $9",
            10,
        );
        assert_eq!(found[0], column("orders", Some("o"), "status"));
        assert_eq!(found[1], column("customers", Some("c"), "created"));
        assert_eq!(found[2], column("customers", Some("c"), "region"));
        assert_eq!(found[3], column("customers", Some("c"), "region"));
        assert_eq!(found[4], column("orders", Some("o"), "amount"));
        assert_eq!(found[5], column("orders", Some("o"), "amount"));
        assert_eq!(found[6], column("customers", Some("c"), "name"));
        assert_eq!(found[7], Target::Limit);
        assert_eq!(found[8], Target::Offset);
        assert_eq!(found[9], Target::Unknown);
    }

    #[test]
    fn subqueries_have_their_own_scope() {
        let found = targets_of(
            "SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders WHERE status = $1)",
            1,
        );
        assert_eq!(found[0], column("orders", None, "status"));
    }

    #[test]
    fn unqualified_columns_in_joins_try_every_table() {
        let found = targets_of("SELECT * FROM a, b WHERE x = $1", 1);
        let Target::Column { tables, column } = &found[0] else {
            panic!("{found:?}");
        };
        assert_eq!(tables.len(), 2);
        assert_eq!(column, "x");
    }

    #[test]
    fn dml_parameters_are_found_too() {
        let found = targets_of("UPDATE orders SET note = $1 WHERE id = $2", 2);
        assert_eq!(found[0], Target::Unknown);
        assert_eq!(found[1], column("orders", None, "id"));
    }
}
