//! The direct children of an expression, for the walker's explicit stack,
//! and the small accessors built on them.

use sqlparser::ast::{
    AccessExpr, CaseWhen, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentClause,
    FunctionArguments, InTarget, JoinConstraint, JoinOperator, Subscript, WindowType,
};

use super::{Node, QueryPosition};

/// The constraint of a join, for the operators that have one.
pub fn join_constraint(operator: &JoinOperator) -> Option<&JoinConstraint> {
    match operator {
        JoinOperator::Join(constraint)
        | JoinOperator::Inner(constraint)
        | JoinOperator::Left(constraint)
        | JoinOperator::LeftOuter(constraint)
        | JoinOperator::Right(constraint)
        | JoinOperator::RightOuter(constraint)
        | JoinOperator::FullOuter(constraint)
        | JoinOperator::CrossJoin(constraint)
        | JoinOperator::Semi(constraint)
        | JoinOperator::LeftSemi(constraint)
        | JoinOperator::RightSemi(constraint)
        | JoinOperator::Anti(constraint)
        | JoinOperator::LeftAnti(constraint)
        | JoinOperator::RightAnti(constraint)
        | JoinOperator::StraightJoin(constraint) => Some(constraint),
        JoinOperator::AsOf { constraint, .. } => Some(constraint),
        _ => None,
    }
}

pub(super) fn function_arg_expr(arg: &FunctionArg) -> Option<&Expr> {
    match arg {
        FunctionArg::Named { arg, .. }
        | FunctionArg::ExprNamed { arg, .. }
        | FunctionArg::Unnamed(arg) => match arg {
            FunctionArgExpr::Expr(expr) => Some(expr),
            _ => None,
        },
    }
}

/// The arguments of a call written with parentheses, as expressions.
pub fn function_args(function: &Function) -> impl Iterator<Item = &Expr> {
    let list = match &function.args {
        FunctionArguments::List(list) => Some(list),
        _ => None,
    };
    list.into_iter()
        .flat_map(|list| &list.args)
        .filter_map(function_arg_expr)
}

/// The direct children of an expression, left to right; subqueries are
/// returned as queries with where they sit.
pub(super) fn push_children<'a>(expr: &'a Expr, out: &mut Vec<Node<'a>>) {
    let mut push = |expr: &'a Expr| out.push(Node::Expr(expr));
    match expr {
        Expr::Identifier(_)
        | Expr::CompoundIdentifier(_)
        | Expr::Value(_)
        | Expr::TypedString(_)
        | Expr::Wildcard(_)
        | Expr::QualifiedWildcard(..) => {}
        Expr::IsFalse(inner)
        | Expr::IsNotFalse(inner)
        | Expr::IsTrue(inner)
        | Expr::IsNotTrue(inner)
        | Expr::IsNull(inner)
        | Expr::IsNotNull(inner)
        | Expr::IsUnknown(inner)
        | Expr::IsNotUnknown(inner)
        | Expr::Nested(inner)
        | Expr::OuterJoin(inner)
        | Expr::Prior(inner) => push(inner),
        Expr::IsJson { expr: inner, .. }
        | Expr::IsNormalized { expr: inner, .. }
        | Expr::UnaryOp { expr: inner, .. }
        | Expr::Cast { expr: inner, .. }
        | Expr::Convert { expr: inner, .. }
        | Expr::Extract { expr: inner, .. }
        | Expr::Ceil { expr: inner, .. }
        | Expr::Floor { expr: inner, .. }
        | Expr::Collate { expr: inner, .. }
        | Expr::Named { expr: inner, .. } => push(inner),
        Expr::Prefixed { value, .. } => push(value),
        Expr::IsDistinctFrom(left, right) | Expr::IsNotDistinctFrom(left, right) => {
            push(left);
            push(right);
        }
        Expr::BinaryOp { left, right, .. }
        | Expr::AnyOp { left, right, .. }
        | Expr::AllOp { left, right, .. } => {
            push(left);
            push(right);
        }
        Expr::Like {
            expr: inner,
            pattern,
            escape_char,
            ..
        }
        | Expr::ILike {
            expr: inner,
            pattern,
            escape_char,
            ..
        }
        | Expr::SimilarTo {
            expr: inner,
            pattern,
            escape_char,
            ..
        } => {
            push(inner);
            push(pattern);
            if let Some(escape) = escape_char {
                push(escape);
            }
        }
        Expr::RLike {
            expr: inner,
            pattern,
            ..
        } => {
            push(inner);
            push(pattern);
        }
        Expr::Between {
            expr: inner,
            low,
            high,
            ..
        } => {
            push(inner);
            push(low);
            push(high);
        }
        Expr::In {
            expr: inner,
            target,
            ..
        } => {
            push(inner);
            match target {
                InTarget::List(list) => list.iter().for_each(push),
                InTarget::Subquery(query) => {
                    out.push(Node::Query(query, QueryPosition::InSubquery));
                }
                InTarget::Unnest(array) => push(array),
                InTarget::Table { .. } => {}
            }
        }
        Expr::AtTimeZone {
            timestamp,
            time_zone,
        } => {
            push(timestamp);
            push(time_zone);
        }
        Expr::Position { expr: inner, r#in } => {
            push(inner);
            push(r#in);
        }
        Expr::Substring {
            expr: inner,
            substring_from,
            substring_for,
            ..
        } => {
            push(inner);
            substring_from.iter().for_each(|e| push(e));
            substring_for.iter().for_each(|e| push(e));
        }
        Expr::Trim {
            expr: inner,
            trim_what,
            trim_characters,
            ..
        } => {
            push(inner);
            trim_what.iter().for_each(|e| push(e));
            trim_characters.iter().flatten().for_each(push);
        }
        Expr::Overlay {
            expr: inner,
            overlay_what,
            overlay_from,
            overlay_for,
        } => {
            push(inner);
            push(overlay_what);
            push(overlay_from);
            overlay_for.iter().for_each(|e| push(e));
        }
        Expr::Function(function) => function_children(function, out),
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            operand.iter().for_each(|e| push(e));
            for CaseWhen { condition, result } in conditions {
                push(condition);
                push(result);
            }
            else_result.iter().for_each(|e| push(e));
        }
        Expr::Exists { subquery, .. } => out.push(Node::Query(subquery, QueryPosition::Exists)),
        Expr::Subquery(query) => out.push(Node::Query(query, QueryPosition::Scalar)),
        Expr::GroupingSets(sets) | Expr::Cube(sets) | Expr::Rollup(sets) => {
            sets.iter().flatten().for_each(push);
        }
        Expr::Tuple(items) => items.iter().for_each(push),
        Expr::Struct { values, .. } => values.iter().for_each(push),
        Expr::Array(array) => array.elem.iter().for_each(push),
        Expr::Interval(interval) => push(&interval.value),
        Expr::CompoundFieldAccess { root, access_chain } => {
            push(root);
            for access in access_chain {
                match access {
                    AccessExpr::Dot(expr) => push(expr),
                    AccessExpr::Subscript(Subscript::Index { index }) => push(index),
                    AccessExpr::Subscript(Subscript::Slice {
                        lower_bound,
                        upper_bound,
                        stride,
                    }) => {
                        lower_bound.iter().for_each(&mut push);
                        upper_bound.iter().for_each(&mut push);
                        stride.iter().for_each(&mut push);
                    }
                }
            }
        }
        Expr::JsonAccess { value, .. } => push(value),
        // Dialect-specific forms PostgreSQL does not have.
        _ => {}
    }
}

fn function_children<'a>(function: &'a Function, out: &mut Vec<Node<'a>>) {
    for arguments in [&function.parameters, &function.args] {
        match arguments {
            FunctionArguments::None => {}
            FunctionArguments::Subquery(query) => {
                out.push(Node::Query(query, QueryPosition::Scalar))
            }
            FunctionArguments::List(list) => {
                for arg in &list.args {
                    if let Some(expr) = function_arg_expr(arg) {
                        out.push(Node::Expr(expr));
                    }
                }
                for clause in &list.clauses {
                    match clause {
                        FunctionArgumentClause::OrderBy(items) => {
                            out.extend(items.iter().map(|item| Node::Expr(&item.expr)));
                        }
                        FunctionArgumentClause::Where(expr)
                        | FunctionArgumentClause::Limit(expr) => {
                            out.push(Node::Expr(expr));
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    out.extend(
        function
            .within_group
            .iter()
            .map(|item| Node::Expr(&item.expr)),
    );
    if let Some(filter) = &function.filter {
        out.push(Node::Expr(filter));
    }
    if let Some(WindowType::WindowSpec(window)) = &function.over {
        out.extend(window.partition_by.iter().map(Node::Expr));
        out.extend(window.order_by.iter().map(|item| Node::Expr(&item.expr)));
    }
}

/// Whether `expr` or any expression below it (not inside subqueries, which
/// have scopes of their own) satisfies `predicate`.
pub fn any_node(expr: &Expr, mut predicate: impl FnMut(&Expr) -> bool) -> bool {
    if predicate(expr) {
        return true;
    }
    // Often asked of a leaf (a constant, a column): then nothing is allocated.
    let mut pending = Vec::new();
    push_children(expr, &mut pending);
    while let Some(node) = pending.pop() {
        if let Node::Expr(expr) = node {
            if predicate(expr) {
                return true;
            }
            push_children(expr, &mut pending);
        }
    }
    false
}
