//! Small questions about single expressions, shared by the facts extractor
//! and the rules: is this a column, a string literal, a comparison, …

use sqlparser::ast::{BinaryOperator, Expr, Ident, Value};

use super::walk::{any_node, fold};

/// A column reference as written: `col`, `t.col` or `schema.t.col`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRef {
    /// `[]`, `[t]` or `[schema, t]`, folded.
    pub qualifier: Vec<String>,
    /// Folded like identifiers.
    pub column: String,
}

/// A [`ColumnRef`] borrowed from the AST, names not folded: for callers
/// that only compare it (see `walk::folds_to`, `Scopes::resolve_idents`).
#[derive(Debug, Clone, Copy)]
pub struct ColumnName<'a> {
    /// `[]`, `[t]` or `[schema, t]`.
    pub qualifier: &'a [Ident],
    pub column: &'a Ident,
}

/// The expression inside any number of parentheses.
pub fn unparenthesized(mut expr: &Expr) -> &Expr {
    while let Expr::Nested(inner) = expr {
        expr = inner;
    }
    expr
}

/// Calls `visit` on each operand of a tree of `AND`s and `OR`s (parentheses
/// looked through), left to right. `pending` is scratch space, empty on
/// return, so that a caller walking many conditions allocates once; the
/// trees are walked without recursion (their depth is bounded only by the
/// statement's length).
pub fn for_each_boolean_leaf<'a>(
    root: &'a Expr,
    pending: &mut Vec<&'a Expr>,
    mut visit: impl FnMut(&'a Expr),
) {
    pending.push(root);
    while let Some(expr) = pending.pop() {
        match unparenthesized(expr) {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And | BinaryOperator::Or,
                right,
            } => {
                pending.push(right);
                pending.push(left);
            }
            leaf => visit(leaf),
        }
    }
}

/// `expr` as a bare column reference (parentheses allowed), if it is one.
pub fn column_ref(expr: &Expr) -> Option<ColumnRef> {
    column_name(expr).map(|name| ColumnRef {
        qualifier: name.qualifier.iter().map(fold).collect(),
        column: fold(name.column),
    })
}

/// [`column_ref`], borrowed.
pub fn column_name(expr: &Expr) -> Option<ColumnName<'_>> {
    match unparenthesized(expr) {
        Expr::Identifier(ident) => Some(ColumnName {
            qualifier: &[],
            column: ident,
        }),
        Expr::CompoundIdentifier(parts) if (2..=3).contains(&parts.len()) => {
            let (column, qualifier) = parts.split_last()?;
            Some(ColumnName { qualifier, column })
        }
        _ => None,
    }
}

/// Whether the expression refers to a column of the current query level
/// (subqueries are not looked into).
pub fn contains_column(expr: &Expr) -> bool {
    any_node(expr, |node| {
        matches!(node, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
    })
}

/// Whether the expression contains a query parameter (`$1`, `:name`, `?`).
pub fn contains_placeholder(expr: &Expr) -> bool {
    any_node(
        expr,
        |node| matches!(node, Expr::Value(value) if matches!(value.value, Value::Placeholder(_))),
    )
}

/// The text of a string constant (`'…'`, `E'…'`, `$$…$$`, `U&'…'`, `N'…'`).
pub fn string_literal(expr: &Expr) -> Option<&str> {
    let Expr::Value(value) = unparenthesized(expr) else {
        return None;
    };
    match &value.value {
        Value::SingleQuotedString(text)
        | Value::EscapedStringLiteral(text)
        | Value::UnicodeStringLiteral(text)
        | Value::NationalStringLiteral(text) => Some(text),
        Value::DollarQuotedString(dollar) => Some(&dollar.value),
        _ => None,
    }
}

/// Whether the expression is the `NULL` constant.
pub fn is_null_literal(expr: &Expr) -> bool {
    matches!(unparenthesized(expr), Expr::Value(value) if value.value == Value::Null)
}

/// `=`, `<`, `<=`, `>`, `>=`: the comparisons a b-tree index can serve.
pub fn is_indexable_comparison(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::Eq
            | BinaryOperator::Lt
            | BinaryOperator::LtEq
            | BinaryOperator::Gt
            | BinaryOperator::GtEq
    )
}

/// The operands of a chain of `AND`s (parentheses looked through), left to
/// right; walked with a stack because such chains can be very long.
pub fn conjuncts(expr: &Expr) -> Vec<&Expr> {
    let mut found = Vec::new();
    let mut pending = vec![expr];
    while let Some(expr) = pending.pop() {
        match unparenthesized(expr) {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => {
                pending.push(right);
                pending.push(left);
            }
            other => found.push(other),
        }
    }
    found
}
