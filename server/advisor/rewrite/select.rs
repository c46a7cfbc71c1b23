//! SELECTs simple enough to rewrite by splicing, and where their clauses
//! are in the text.

use std::ops::Range;

use sqlparser::ast::{Distinct, GroupByExpr, Query, Select, SelectFlavor, SetExpr, TableFactor};

use super::source::Source;
use crate::sql::facts::walk::{fold, table_ref};
use crate::sql::lexer::TokenKind;

/// The SELECT of a query that is just one SELECT … FROM … [WHERE …]: no
/// set operation, WITH, GROUP BY, HAVING, WINDOW, DISTINCT ON, locking or
/// dialect extras. ORDER BY, LIMIT and OFFSET are for the caller to judge.
pub(super) fn simple_select(query: &Query) -> Option<&Select> {
    let plain_query = query.with.is_none()
        && query.locks.is_empty()
        && query.for_clause.is_none()
        && query.settings.is_none()
        && query.format_clause.is_none()
        && query.pipe_operators.is_empty();
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let no_grouping = matches!(
        &select.group_by,
        GroupByExpr::Expressions(items, modifiers) if items.is_empty() && modifiers.is_empty()
    );
    let plain_select = select.optimizer_hints.is_empty()
        && !matches!(select.distinct, Some(Distinct::On(_)))
        && select.select_modifiers.is_none()
        && select.top.is_none()
        && select.exclude.is_none()
        && select.into.is_none()
        && !select.from.is_empty()
        && select.lateral_views.is_empty()
        && select.prewhere.is_none()
        && select.connect_by.is_empty()
        && no_grouping
        && select.cluster_by.is_empty()
        && select.distribute_by.is_empty()
        && select.sort_by.is_empty()
        && select.having.is_none()
        && select.named_window.is_empty()
        && select.qualify.is_none()
        && select.value_table_mode.is_none()
        && select.flavor == SelectFlavor::Standard;
    (plain_query && plain_select).then_some(&**select)
}

/// Whether a query has no ORDER BY, LIMIT, OFFSET or FETCH.
pub(super) fn is_unbounded(query: &Query) -> bool {
    query.order_by.is_none() && query.limit_clause.is_none() && query.fetch.is_none()
}

/// Token indexes of a simple SELECT's clauses.
#[derive(Debug, Clone, Copy)]
pub(super) struct SelectTokens {
    /// First token after `SELECT` (`DISTINCT` / `ALL` when written).
    pub list_start: usize,
    /// First token of the select list's first expression.
    pub item_start: usize,
    pub from: usize,
    /// The WHERE condition, first and last token.
    pub filter: Option<(usize, usize)>,
    /// The last token of the FROM or WHERE clause: a WHERE or a condition
    /// is appended after it.
    pub body_last: usize,
    /// The `ORDER` of ORDER BY, if at top level.
    pub order: Option<usize>,
}

const TAIL_KEYWORDS: &[&str] = &["order", "limit", "offset", "fetch"];

impl SelectTokens {
    /// The select list, `DISTINCT` included.
    pub fn select_list(&self, source: &Source<'_>) -> Option<Range<usize>> {
        Some(source.start(self.list_start)?..source.end(self.from - 1)?)
    }

    /// The select list's expression, as written.
    pub fn item_text<'t>(&self, source: &Source<'t>) -> Option<&'t str> {
        source.slice(self.item_start, self.from - 1)
    }
}

/// A subquery's SELECT: its parentheses (token indexes) and its clauses.
pub(super) struct Subquery {
    pub open: usize,
    pub close: usize,
    pub tokens: SelectTokens,
}

/// Where `select` (a [`simple_select`] written as `(SELECT …)`) is.
pub(super) fn subquery_layout(source: &Source<'_>, select: &Select) -> Option<Subquery> {
    let select_token = source.token_at(select.select_token.0.span)?;
    let open = select_token.checked_sub(1)?;
    if source.kind(open) != Some(TokenKind::LParen) {
        return None;
    }
    let close = source.matching_close(open)?;
    Some(Subquery {
        open,
        close,
        tokens: clauses(source, select, select_token, close)?,
    })
}

/// Where the clauses of a top-level `select` (a [`simple_select`]) are.
pub(super) fn statement_layout(source: &Source<'_>, select: &Select) -> Option<SelectTokens> {
    let select_token = source.token_at(select.select_token.0.span)?;
    clauses(source, select, select_token, source.len())
}

/// Finds the clauses of `select` between its `SELECT` token and `end` (the
/// closing parenthesis of a subquery, or the number of tokens). Only tokens
/// outside brackets count, and the clause keywords are reserved words, so a
/// bare one is the clause itself.
fn clauses(
    source: &Source<'_>,
    select: &Select,
    select_token: usize,
    end: usize,
) -> Option<SelectTokens> {
    let top = source.top_level(select_token + 1, end);
    // `a IS DISTINCT FROM b` in the select list is not the FROM clause.
    let from = *top.iter().find(|&&index| {
        source.is_word(index, "from") && !source.is_word(index.wrapping_sub(1), "distinct")
    })?;
    let after_from = top.iter().copied().filter(|&index| index > from);
    let tail = after_from
        .clone()
        .find(|&index| {
            TAIL_KEYWORDS.iter().any(|word| source.is_word(index, word))
                || source.token_text(index) == ";"
        })
        .unwrap_or(end);
    let where_keyword = after_from
        .take_while(|&index| index < tail)
        .find(|&index| source.is_word(index, "where"));
    let filter = match where_keyword {
        Some(keyword) if keyword + 1 < tail => Some((keyword + 1, tail - 1)),
        Some(_) => return None,
        None => None,
    };
    let list_start = select_token + 1;
    let item_start = match select.distinct {
        Some(Distinct::Distinct) | Some(Distinct::All) => list_start + 1,
        _ => list_start,
    };
    (item_start < from && from + 1 < tail).then_some(SelectTokens {
        list_start,
        item_start,
        from,
        filter,
        body_last: tail - 1,
        order: Some(tail).filter(|&index| source.is_word(index, "order")),
    })
}

/// The names the FROM items of `select` (joins included) are referred to
/// by: alias, else the table's own name. `None` when an item's name cannot
/// be told (a function, an unaliased subquery, …).
pub(super) fn from_bindings(select: &Select) -> Option<Vec<String>> {
    let mut bindings = Vec::new();
    for item in &select.from {
        let joined = item.joins.iter().map(|join| &join.relation);
        for factor in std::iter::once(&item.relation).chain(joined) {
            bindings.push(binding(factor)?);
        }
    }
    Some(bindings)
}

fn binding(factor: &TableFactor) -> Option<String> {
    match factor {
        TableFactor::Table { name, alias, .. } => {
            let table = table_ref(name, alias.as_ref().map(|alias| &alias.name))?;
            Some(table.alias.unwrap_or(table.name))
        }
        TableFactor::Derived {
            alias: Some(alias), ..
        } => Some(fold(&alias.name)),
        _ => None,
    }
}
