//! `(SELECT count(*) FROM … WHERE …) > 0` → `EXISTS (SELECT 1 FROM … WHERE …)`,
//! and `= 0` → `NOT EXISTS (…)`.
//!
//! Exactly equivalent: a `count(*)` subquery without GROUP BY, HAVING,
//! LIMIT or OFFSET yields exactly one row, never NULL, so comparing it with
//! 0 is TRUE or FALSE as EXISTS is. Counting stops at the first row instead
//! of reading them all. Only `count(*)` and `count(<number>)` qualify:
//! `count(col)` skips NULLs. Rewritten only as a leaf of a WHERE, ON or
//! HAVING (see [`boolean_leaves`]), where `NOT EXISTS` binds the same way
//! the comparison did.

use sqlparser::ast::{
    BinaryOperator, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, Query,
    SelectItem, Statement, Value,
};

use super::condition::boolean_leaves;
use super::edits::{Edit, Splice};
use super::select::{Subquery, is_unbounded, simple_select, subquery_layout};
use super::source::Source;
use crate::sql::facts::walk::{Clause, Scopes, Visitor, walk_statement};
use crate::sql::lexer::TokenKind;

pub(super) fn splice(source: &Source<'_>, statement: &Statement) -> Splice {
    let mut rewriter = CountExistsRewriter {
        source,
        splice: Splice::default(),
    };
    walk_statement(statement, &mut rewriter);
    rewriter.splice
}

struct CountExistsRewriter<'s, 't> {
    source: &'s Source<'t>,
    splice: Splice,
}

impl<'a> Visitor<'a> for CountExistsRewriter<'_, '_> {
    fn clause(&mut self, root: &'a Expr, clause: Clause, _scopes: &Scopes) {
        if !matches!(clause, Clause::Where | Clause::JoinOn | Clause::Having) {
            return;
        }
        for leaf in boolean_leaves(root) {
            if let Some(edits) = self.rewrite(leaf) {
                self.splice.add(edits);
            }
        }
    }
}

/// Which side of the comparison the subquery is on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
}

/// `(subquery, side, exists)` for a count compared with 0 or 1 in a way
/// that means "there is a row" (`exists`) or "there is none".
fn count_comparison(expr: &Expr) -> Option<(&Query, Side, bool)> {
    let Expr::BinaryOp { left, op, right } = expr else {
        return None;
    };
    let (query, side, op, number) = match (left.as_ref(), right.as_ref()) {
        (Expr::Subquery(query), Expr::Value(value)) => (query, Side::Left, op.clone(), value),
        (Expr::Value(value), Expr::Subquery(query)) => (query, Side::Right, flipped(op)?, value),
        _ => return None,
    };
    let Value::Number(digits, _) = &number.value else {
        return None;
    };
    let number: f64 = digits.parse().ok()?;
    // Read as `count <op> number`.
    let exists = match op {
        BinaryOperator::Gt | BinaryOperator::NotEq if number == 0.0 => true,
        BinaryOperator::GtEq if number == 1.0 => true,
        BinaryOperator::Eq | BinaryOperator::LtEq if number == 0.0 => false,
        BinaryOperator::Lt if number == 1.0 => false,
        _ => return None,
    };
    Some((query, side, exists))
}

/// The operator with its operands swapped: `0 < q` is `q > 0`.
fn flipped(op: &BinaryOperator) -> Option<BinaryOperator> {
    Some(match op {
        BinaryOperator::Lt => BinaryOperator::Gt,
        BinaryOperator::LtEq => BinaryOperator::GtEq,
        BinaryOperator::Gt => BinaryOperator::Lt,
        BinaryOperator::GtEq => BinaryOperator::LtEq,
        BinaryOperator::Eq => BinaryOperator::Eq,
        BinaryOperator::NotEq => BinaryOperator::NotEq,
        _ => return None,
    })
}

/// `count(*)` or `count(1)`: plain, without DISTINCT, FILTER or OVER.
fn is_row_count(function: &Function) -> bool {
    let [name] = function.name.0.as_slice() else {
        return false;
    };
    let is_count = name
        .as_ident()
        .is_some_and(|ident| ident.value.eq_ignore_ascii_case("count"));
    let FunctionArguments::List(arguments) = &function.args else {
        return false;
    };
    let counts_rows = match arguments.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Wildcard)] => true,
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(value)))] => {
            matches!(value.value, Value::Number(..))
        }
        _ => false,
    };
    is_count
        && counts_rows
        && arguments.duplicate_treatment.is_none()
        && arguments.clauses.is_empty()
        && matches!(function.parameters, FunctionArguments::None)
        && function.filter.is_none()
        && function.null_treatment.is_none()
        && function.over.is_none()
        && function.within_group.is_empty()
}

impl CountExistsRewriter<'_, '_> {
    fn rewrite(&self, leaf: &Expr) -> Option<Vec<Edit>> {
        let source = self.source;
        let (query, side, exists) = count_comparison(leaf)?;
        let select = simple_select(query).filter(|_| is_unbounded(query))?;
        let [SelectItem::UnnamedExpr(Expr::Function(count))] = select.projection.as_slice() else {
            return None;
        };
        if select.distinct.is_some() || !is_row_count(count) {
            return None;
        }
        let Subquery {
            open,
            close,
            tokens,
        } = subquery_layout(source, select)?;
        let (operator, number) = match side {
            Side::Left => (close + 1, close + 2),
            Side::Right => (open.checked_sub(1)?, open.checked_sub(2)?),
        };
        let well_formed = source.kind(operator) == Some(TokenKind::Operator)
            && source.kind(number) == Some(TokenKind::Number);
        if !well_formed {
            return None;
        }
        let keyword = source.keyword(if exists { "EXISTS " } else { "NOT EXISTS " });
        let comparison = match side {
            Side::Left => vec![
                Edit::insert(source.start(open)?, keyword),
                Edit::replace(source.end(close)?..source.end(number)?, ""),
            ],
            Side::Right => vec![Edit::replace(
                source.start(number)?..source.start(open)?,
                keyword,
            )],
        };
        let count = Edit::replace(tokens.select_list(source)?, "1");
        Some(comparison.into_iter().chain([count]).collect())
    }
}
