//! Boolean structure: where a condition may be replaced by an equivalent
//! one, and adding a condition to a SELECT's WHERE.

use sqlparser::ast::{BinaryOperator, Expr, Select};

use super::edits::Edit;
use super::select::SelectTokens;
use super::source::Source;
use crate::sql::facts::expr::for_each_boolean_leaf;

/// The operands of a tree of `AND`s and `OR`s (parentheses looked
/// through), left to right. In a WHERE or ON, such a leaf may be swapped
/// for a condition that is TRUE exactly when it is TRUE: NULL and FALSE
/// both reject the row, and AND / OR cannot tell them apart in the end.
/// Under `NOT`, `CASE` or `IS` that no longer holds, so those are not
/// looked into.
pub(super) fn boolean_leaves(root: &Expr) -> Vec<&Expr> {
    let mut leaves = Vec::new();
    for_each_boolean_leaf(root, &mut Vec::new(), |leaf| leaves.push(leaf));
    leaves
}

/// Where a new condition goes among the existing ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placement {
    First,
    Last,
}

/// Edits that AND `condition` into the WHERE of `select` (laid out as
/// `tokens`), or add a WHERE. An existing condition whose top operator is
/// `OR` is parenthesized, since AND binds tighter.
pub(super) fn and_condition(
    source: &Source<'_>,
    select: &Select,
    tokens: &SelectTokens,
    condition: &str,
    placement: Placement,
) -> Option<Vec<Edit>> {
    let and = source.keyword("AND");
    let Some((first, last)) = tokens.filter else {
        let where_keyword = source.keyword("WHERE");
        let at = source.end(tokens.body_last)?;
        return Some(vec![Edit::insert(
            at,
            format!(" {where_keyword} {condition}"),
        )]);
    };
    let needs_parentheses = matches!(
        select.selection,
        Some(Expr::BinaryOp {
            op: BinaryOperator::Or,
            ..
        })
    );
    let (open, close) = if needs_parentheses {
        ("(", ")")
    } else {
        ("", "")
    };
    let (start, end) = (source.start(first)?, source.end(last)?);
    let mut edits = match placement {
        Placement::First => vec![
            Edit::insert(start, format!("{condition} {and} {open}")),
            Edit::insert(end, close),
        ],
        Placement::Last => vec![
            Edit::insert(start, open),
            Edit::insert(end, format!("{close} {and} {condition}")),
        ],
    };
    edits.retain(|edit| !edit.text.is_empty());
    Some(edits)
}
