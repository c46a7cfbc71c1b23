//! `x NOT IN (SELECT y FROM u WHERE c)` → `NOT EXISTS (SELECT 1 FROM u
//! WHERE y = x AND c)`, the anti-join PostgreSQL can plan (the
//! `not-in-subquery` rule flags the original).
//!
//! Semantics, with the subquery's rows S (those satisfying c):
//! - `x NOT IN S` is TRUE when S is empty or no y equals x and no y is
//!   NULL; FALSE when some y = x; NULL otherwise (x is NULL and S is not
//!   empty, or some y is NULL and none equals x).
//! - `NOT EXISTS (… WHERE y = x AND c)` is TRUE when no row has y = x TRUE,
//!   FALSE otherwise; never NULL.
//!
//! In a WHERE or ON (see [`boolean_leaves`]) NULL rejects the row like
//! FALSE, so the two differ exactly where NOT IN is NULL: a NULL x (with S
//! not empty), or a NULL y in S with no match — there NOT IN returns no row
//! and NOT EXISTS returns it. The rewrite is equivalent when x and y cannot
//! be NULL. No guard makes it equivalent in general short of re-creating the
//! NULL cases (`… OR y IS NULL`, `x IS NOT NULL OR NOT EXISTS (…)`), which
//! would cost the anti-join; an `AND y IS NOT NULL` guard changes nothing
//! (`y = x` already rejects a NULL y). So this is the textbook rewrite, and
//! the sandbox's result comparison rejects it where real data has NULLs.
//!
//! Moving x into the subquery must not change what it refers to: an
//! unqualified x is qualified with the outer query's only table, and x's
//! table must not share a name with one of the subquery's.

use std::ops::Range;

use sqlparser::ast::{Expr, InTarget, Query, SelectItem, Statement, UnaryOperator};

use super::condition::{Placement, and_condition, boolean_leaves};
use super::edits::{Edit, Splice};
use super::select::{Subquery, from_bindings, is_unbounded, simple_select, subquery_layout};
use super::source::Source;
use crate::advisor::candidates::identifier::quote_ident;
use crate::sql::facts::expr::column_ref;
use crate::sql::facts::walk::{Clause, Scopes, Visitor, any_node, walk_statement};
use crate::sql::lexer::TokenKind;

pub(super) fn splice(source: &Source<'_>, statement: &Statement) -> Splice {
    let mut rewriter = NotInRewriter {
        source,
        splice: Splice::default(),
    };
    walk_statement(statement, &mut rewriter);
    rewriter.splice
}

struct NotInRewriter<'s, 't> {
    source: &'s Source<'t>,
    splice: Splice,
}

impl<'a> Visitor<'a> for NotInRewriter<'_, '_> {
    fn clause(&mut self, root: &'a Expr, clause: Clause, scopes: &Scopes) {
        if !matches!(clause, Clause::Where | Clause::JoinOn) {
            return;
        }
        for leaf in boolean_leaves(root) {
            if let Some(edits) = self.rewrite(leaf, scopes) {
                self.splice.add(edits);
            }
        }
    }
}

/// How the negation is written.
#[derive(Clone, Copy)]
enum Negation {
    /// `x NOT IN (…)`
    NotIn,
    /// `NOT x IN (…)`
    NotBefore,
}

/// `(x, subquery)` of `x NOT IN (SELECT …)` or `NOT x IN (SELECT …)`,
/// where x is a bare column reference.
fn negated_in(expr: &Expr) -> Option<(&Expr, &Query, Negation)> {
    let (outer, query, negation) = match expr {
        Expr::In {
            expr,
            target: InTarget::Subquery(query),
            negated: true,
            ..
        } => (expr, query, Negation::NotIn),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => match expr.as_ref() {
            Expr::In {
                expr,
                target: InTarget::Subquery(query),
                negated: false,
                ..
            } => (expr, query, Negation::NotBefore),
            _ => return None,
        },
        _ => return None,
    };
    matches!(
        outer.as_ref(),
        Expr::Identifier(_) | Expr::CompoundIdentifier(_)
    )
    .then_some((outer, query, negation))
}

/// Whether an expression calls anything or holds a subquery: such a
/// select-list item may be an aggregate or a set-returning function, which
/// cannot move into a WHERE.
fn calls_or_queries(expr: &Expr) -> bool {
    any_node(expr, |node| {
        matches!(
            node,
            Expr::Function(_)
                | Expr::Subquery(_)
                | Expr::Exists { .. }
                | Expr::In {
                    target: InTarget::Subquery(_),
                    ..
                }
        )
    })
}

impl NotInRewriter<'_, '_> {
    fn rewrite(&self, leaf: &Expr, scopes: &Scopes) -> Option<Vec<Edit>> {
        let source = self.source;
        let (outer, query, negation) = negated_in(leaf)?;
        let select = simple_select(query).filter(|_| is_unbounded(query))?;
        let [SelectItem::UnnamedExpr(inner)] = select.projection.as_slice() else {
            return None;
        };
        if calls_or_queries(inner) {
            return None;
        }
        let outer_text = self.outer_reference(outer, &from_bindings(select)?, scopes)?;

        let Subquery { open, tokens, .. } = subquery_layout(source, select)?;
        let negation_range = self.negation_range(negation, outer, open)?;

        let inner_text = tokens.item_text(source)?;
        let inner_text = if matches!(inner, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
            inner_text.to_owned()
        } else {
            format!("({inner_text})")
        };
        let mut edits = vec![
            Edit::replace(negation_range, source.keyword("NOT EXISTS")),
            Edit::replace(tokens.select_list(source)?, "1"),
        ];
        let condition = format!("{inner_text} = {outer_text}");
        edits.extend(and_condition(
            source,
            select,
            &tokens,
            &condition,
            Placement::First,
        )?);
        Some(edits)
    }

    /// From `x NOT` (or `NOT x`) to `IN`, where `open` is the subquery's
    /// parenthesis: what `NOT EXISTS` replaces.
    fn negation_range(
        &self,
        negation: Negation,
        outer: &Expr,
        open: usize,
    ) -> Option<Range<usize>> {
        let source = self.source;
        let mut in_keyword = open.checked_sub(1)?;
        while source.kind(in_keyword) == Some(TokenKind::LParen) {
            in_keyword = in_keyword.checked_sub(1)?;
        }
        if !source.is_word(in_keyword, "in") {
            return None;
        }
        let outer_range = source.column_range(outer)?;
        let before_outer = source
            .token_starting_at(outer_range.start)?
            .checked_sub(1)?;
        let start = match negation {
            Negation::NotIn if source.is_word(in_keyword.checked_sub(1)?, "not") => {
                outer_range.start
            }
            Negation::NotBefore if source.is_word(before_outer, "not") => {
                source.start(before_outer)?
            }
            _ => return None,
        };
        Some(start..source.end(in_keyword)?)
    }

    /// The outer column as it must be written inside the subquery, whose
    /// FROM items are named `inner_bindings`: qualified, with a qualifier
    /// the subquery does not reuse.
    fn outer_reference(
        &self,
        outer: &Expr,
        inner_bindings: &[String],
        scopes: &Scopes,
    ) -> Option<String> {
        let column = column_ref(outer)?;
        let written = self.source.text.get(self.source.column_range(outer)?)?;
        let (qualifier, text) = match column.qualifier.last() {
            Some(qualifier) => (qualifier.clone(), written.to_owned()),
            None => {
                let [relation] = scopes.current() else {
                    return None;
                };
                let binding = relation.binding.clone()?;
                let text = format!("{}.{written}", quote_ident(&binding));
                (binding, text)
            }
        };
        (!inner_bindings.contains(&qualifier)).then_some(text)
    }
}
