//! `… ORDER BY k LIMIT n OFFSET m` → `… WHERE k > $last ORDER BY k LIMIT n`:
//! keyset pagination, for what the `offset-pagination` rule flags.
//!
//! Unlike the other rewrites this changes the statement's interface: the
//! caller passes the last key it saw instead of an offset. Results cannot be
//! compared in a sandbox (the parameters differ), so it is a
//! [`KeysetSuggestion`] for a person to adopt, never a validated rewrite.
//!
//! It is only proposed where it returns the same pages: one table, ordered
//! by columns that a valid, non-partial unique index (or the primary key)
//! covers exactly and that cannot be NULL, all in one direction — so the
//! order is total and "after the last key" is a row comparison.

use sqlparser::ast::{
    Expr, LimitClause, OffsetRows, OrderByExpr, OrderByKind, OrderBySort, Query, Select,
    SelectItem, Statement, TableFactor, Value,
};

use super::condition::{Placement, and_condition};
use super::edits::{Edit, Splice};
use super::new_params::NewParams;
use super::select::{SelectTokens, simple_select, statement_layout};
use super::source::Source;
use crate::sql::ast::parse_statement;
use crate::sql::facts::expr::column_ref;
use crate::sql::facts::walk::{any_node, table_ref};
use crate::sql::lexer::TokenKind;
use crate::sql::params::{PlaceholderKey, find_params, to_dollar_params};
use crate::stats::model::{Catalog, TableInfo};

/// The `source` of keyset suggestions: the rule that flags OFFSET pagination.
pub const KEYSET_SOURCE: &str = "offset-pagination";

/// A rewrite that changes the statement's parameters, so it cannot be
/// validated by comparing results: offered as advice, with its explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysetSuggestion {
    /// Always [`KEYSET_SOURCE`].
    pub source: String,
    /// e.g. "keyset pagination: pass the last id instead of an offset".
    pub summary: String,
    /// The new statement, in the original's parameter style.
    pub text: String,
    /// What changes for the caller, and why the pages stay the same.
    pub explanation: String,
    /// The ORDER BY columns, i.e. what the caller must remember.
    pub key_columns: Vec<String>,
    /// The parameters added for the last key, as written in `text`.
    pub new_parameters: Vec<String>,
    /// The original's parameters the rewrite no longer has (the offset's).
    pub removed_parameters: Vec<String>,
}

/// Keyset pagination for a statement that pages with OFFSET, when the
/// catalog proves its ORDER BY key unique and not null (without a catalog
/// that cannot be known, so there is no suggestion).
pub fn keyset_pagination(
    statement_text: &str,
    catalog: Option<&Catalog>,
) -> Option<KeysetSuggestion> {
    let catalog = catalog?;
    let form = to_dollar_params(statement_text);
    let Statement::Query(query) = parse_statement(&form.text)? else {
        return None;
    };
    let source = Source::new(&form.text);
    let page = Page::of(&query, &source)?;
    let table = catalog.table(&page.table)?;
    if !is_unique_key(catalog, table, &page.key_names()) {
        return None;
    }

    let mut params = NewParams::new(&form);
    let condition = page.after_last_key(&mut params);
    let mut splice = Splice::default();
    let mut edits = and_condition(
        &source,
        page.select,
        &page.tokens,
        &condition,
        Placement::Last,
    )?;
    edits.push(page.offset_removal(&source)?);
    splice.add(edits);
    let working = splice.apply(&form.text)?;
    parse_statement(&working)?;
    let text = params.restore(&working)?;

    let key_columns: Vec<String> = page.key.iter().map(|key| key.name.clone()).collect();
    let new_parameters = params.added_as_written();
    let removed_parameters: Vec<String> = page
        .offset_parameter
        .map(|number| params.original_as_written(number))
        .into_iter()
        .collect();
    Some(KeysetSuggestion {
        source: KEYSET_SOURCE.to_owned(),
        summary: format!(
            "keyset pagination: pass the last {} instead of an offset",
            key_columns.join(", ")
        ),
        explanation: explanation(&key_columns, &new_parameters, &removed_parameters),
        text,
        key_columns,
        new_parameters,
        removed_parameters,
    })
}

fn explanation(key: &[String], new: &[String], removed: &[String]) -> String {
    let key = key.join(", ");
    let offset = match removed {
        [] => "the OFFSET".to_owned(),
        parameters => format!("the offset parameter {}", parameters.join(", ")),
    };
    format!(
        "This changes the statement's parameters: instead of {offset}, pass the {key} of the \
         last row of the previous page as {}. For the first page, leave the key condition out. \
         Each page then starts where the last one ended through the index instead of reading \
         and discarding every earlier row. The pages are the same as before because ({key}) is \
         unique and not null. It cannot be validated by comparing results, since the \
         parameters differ: review it before adopting it.",
        new.join(", ")
    )
}

/// One ORDER BY column of the key.
struct KeyColumn<'t> {
    /// Folded, as the catalog names it.
    name: String,
    /// As written in the ORDER BY.
    written: &'t str,
}

/// A paged SELECT: one table, ORDER BY plain columns in one direction,
/// LIMIT (or FETCH) and an OFFSET that is a number or one parameter.
struct Page<'q, 't> {
    select: &'q Select,
    tokens: SelectTokens,
    table: String,
    key: Vec<KeyColumn<'t>>,
    descending: bool,
    offset_keyword: usize,
    /// The last token of the OFFSET clause (its value, or ROW / ROWS).
    offset_last: usize,
    /// `$n` when the offset is that parameter and nothing else uses it: the
    /// parameter the rewrite removes.
    offset_parameter: Option<usize>,
}

impl<'q, 't> Page<'q, 't> {
    fn of(query: &'q Query, source: &Source<'t>) -> Option<Self> {
        let select = simple_select(query)?;
        let Some(LimitClause::LimitOffset {
            limit,
            offset: Some(offset),
            limit_by,
        }) = &query.limit_clause
        else {
            return None;
        };
        let has_limit = limit.is_some() || query.fetch.is_some();
        if !has_limit || !limit_by.is_empty() || select.distinct.is_some() || has_window(select) {
            return None;
        }
        let (table, binding) = single_table(select)?;
        let OrderByKind::Expressions(items) = &query.order_by.as_ref()?.kind else {
            return None;
        };
        let (key, descending) = order_key(items, &binding, source)?;

        let tokens = statement_layout(source, select)?;
        let order = tokens.order?;
        let offset_keyword = source
            .top_level(order, source.len())
            .into_iter()
            .find(|&index| source.is_word(index, "offset"))?;
        let value = offset_keyword + 1;
        if !matches!(
            source.kind(value),
            Some(TokenKind::Number | TokenKind::Param)
        ) {
            return None;
        }
        let offset_parameter = match &offset.value {
            Expr::Value(literal) => match literal.value {
                Value::Number(..) => None,
                Value::Placeholder(_) => unshared_parameter(source.text, source.token_text(value)),
                _ => return None,
            },
            _ => return None,
        };
        let offset_last = match offset.rows {
            OffsetRows::None => value,
            OffsetRows::Row | OffsetRows::Rows => value + 1,
        };
        Some(Page {
            select,
            tokens,
            table,
            key,
            descending,
            offset_keyword,
            offset_last,
            offset_parameter,
        })
    }

    /// `key > $last` (or `(a, b) < ($1, $2)`), with new parameters for the
    /// last key; the first one takes the removed offset parameter's number.
    fn after_last_key(&self, params: &mut NewParams<'_>) -> String {
        let values: Vec<String> = self
            .key
            .iter()
            .enumerate()
            .map(|(index, key)| {
                let reuse = self.offset_parameter.filter(|_| index == 0);
                params.add(&format!("last_{}", key.name), reuse)
            })
            .collect();
        let columns: Vec<&str> = self.key.iter().map(|key| key.written).collect();
        let operator = if self.descending { "<" } else { ">" };
        match (columns.as_slice(), values.as_slice()) {
            ([column], [value]) => format!("{column} {operator} {value}"),
            _ => format!(
                "({}) {operator} ({})",
                columns.join(", "),
                values.join(", ")
            ),
        }
    }

    fn key_names(&self) -> Vec<&str> {
        self.key.iter().map(|key| key.name.as_str()).collect()
    }

    /// Removes ` OFFSET m [ROWS]`: from the end of the token before it.
    fn offset_removal(&self, source: &Source<'_>) -> Option<Edit> {
        let from = source.end(self.offset_keyword.checked_sub(1)?)?;
        Some(Edit::replace(from..source.end(self.offset_last)?, ""))
    }
}

/// The number of the `$n` written as `written`, if nothing else in the
/// statement uses it: removing the OFFSET then removes the parameter.
fn unshared_parameter(text: &str, written: &str) -> Option<usize> {
    let number: usize = written.strip_prefix('$')?.parse().ok()?;
    let uses = find_params(text)
        .into_iter()
        .filter(|placeholder| placeholder.key == PlaceholderKey::Number(number))
        .count();
    (uses == 1).then_some(number)
}

/// Whether the select list holds a window function: filtering rows
/// before it would change its values.
fn has_window(select: &Select) -> bool {
    select.projection.iter().any(|item| {
        let expr = match item {
            SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => expr,
            _ => return false,
        };
        any_node(
            expr,
            |node| matches!(node, Expr::Function(function) if function.over.is_some()),
        )
    })
}

/// `(table as the catalog is asked for it, name its columns are qualified with)`
/// of a SELECT reading one table without joins.
fn single_table(select: &Select) -> Option<(String, String)> {
    let [item] = select.from.as_slice() else {
        return None;
    };
    if !item.joins.is_empty() {
        return None;
    }
    let TableFactor::Table {
        name,
        alias,
        args: None,
        ..
    } = &item.relation
    else {
        return None;
    };
    let table = table_ref(name, alias.as_ref().map(|alias| &alias.name))?;
    let binding = table.alias.clone().unwrap_or_else(|| table.name.clone());
    Some((table.qualified_name(), binding))
}

/// The ORDER BY as plain columns of the table, without repeats, all in one
/// direction (NULLS FIRST / LAST and USING are not keyset-friendly).
fn order_key<'t>(
    items: &[OrderByExpr],
    binding: &str,
    source: &Source<'t>,
) -> Option<(Vec<KeyColumn<'t>>, bool)> {
    let mut key: Vec<KeyColumn<'t>> = Vec::new();
    let mut directions = Vec::new();
    for item in items {
        if item.options.nulls_first.is_some() || item.with_fill.is_some() {
            return None;
        }
        directions.push(match item.options.sort {
            None | Some(OrderBySort::Asc) => false,
            Some(OrderBySort::Desc) => true,
            Some(OrderBySort::Using(_)) => return None,
        });
        let column = column_ref(&item.expr)?;
        let qualified_here = match column.qualifier.as_slice() {
            [] => true,
            [.., table] => table == binding,
        };
        if !qualified_here || key.iter().any(|known| known.name == column.column) {
            return None;
        }
        let written = source.text.get(source.column_range(&item.expr)?)?;
        key.push(KeyColumn {
            name: column.column,
            written,
        });
    }
    let descending = *directions.first()?;
    directions
        .iter()
        .all(|&direction| direction == descending)
        .then_some((key, descending))
}

/// Whether a valid, non-partial unique index covers exactly `key`, and the
/// key's columns cannot be NULL (a unique index allows many NULLs; a primary
/// key's columns are NOT NULL by definition).
fn is_unique_key(catalog: &Catalog, table: &TableInfo, key: &[&str]) -> bool {
    let not_null = |name: &str| {
        catalog
            .columns_of(table)
            .any(|column| column.name == name && column.not_null)
    };
    catalog.indexes_of(table).any(|index| {
        let covers_exactly = index.columns.len() == key.len()
            && key
                .iter()
                .all(|name| index.columns.iter().any(|column| column == name));
        index.is_valid
            && index.predicate.is_none()
            && (index.is_primary || (index.is_unique && key.iter().all(|name| not_null(name))))
            && covers_exactly
    })
}
