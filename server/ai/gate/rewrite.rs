//! Rewrites from a model: exactly one query (`SELECT`, `WITH … SELECT`,
//! `VALUES`, set operations) that reads only what the statement reads,
//! calls only what it may, and keeps the statement's parameters.

use pg_query::NodeEnum;
use sqlparser::ast::Statement;

use super::Original;
use super::tree::parse_single;
use crate::advisor::model::RewriteCandidate;
use crate::sql::ast::parse_statement;

/// Longer rewrites are not read.
pub const MAX_REWRITE_BYTES: usize = 32 * 1024;

/// `RewriteCandidate::source` for the model's rewrites.
pub const SOURCE: &str = "ai";

/// Checks one rewrite; the reason when it is refused.
pub fn gate_rewrite(
    text: &str,
    original: &Original,
    model: &str,
) -> Result<RewriteCandidate, String> {
    if !original.is_query {
        return Err("the statement is not a query; only queries are rewritten".into());
    }
    if text.len() > MAX_REWRITE_BYTES {
        return Err(format!("it is longer than {MAX_REWRITE_BYTES} bytes"));
    }
    let parsed = parse_single(text)?;
    match parsed.top() {
        Some(NodeEnum::SelectStmt(_)) if !parsed.is_utility => {}
        other => {
            return Err(format!(
                "it is {}, not a SELECT",
                super::statement_kind(other)
            ));
        }
    }
    let contents = &parsed.contents;
    if contents.modifies_data {
        return Err("it modifies data (INSERT, UPDATE, DELETE or MERGE inside WITH)".into());
    }
    if contents.select_into {
        return Err("it is SELECT INTO, which creates a table".into());
    }
    if contents.locks_rows {
        return Err("it locks rows (FOR UPDATE / FOR SHARE)".into());
    }
    if contents.samples_tables {
        return Err("it samples tables (TABLESAMPLE), so its rows vary".into());
    }
    if let Some(foreign) = contents
        .relations
        .iter()
        .find(|relation| !original.reads(relation))
    {
        return Err(format!(
            "it reads {}, which the statement does not read",
            foreign.qualified()
        ));
    }
    if let Some(reason) = original
        .allowed
        .refuse_any(&contents.functions, &contents.operators)
    {
        return Err(reason);
    }
    if parsed.params != original.params {
        return Err(format!(
            "it uses the parameters {}, the statement {}: a rewrite must keep them all, \
             and add none",
            list_params(&parsed.params),
            list_params(&original.params)
        ));
    }
    if !matches!(parse_statement(&parsed.text), Some(Statement::Query(_))) {
        return Err("sqlparser cannot read it as a single query".into());
    }
    Ok(RewriteCandidate {
        source: SOURCE.to_owned(),
        summary: format!("AI rewrite ({model})"),
        text: parsed.text,
    })
}

fn list_params(params: &std::collections::BTreeSet<u32>) -> String {
    if params.is_empty() {
        return "none".to_owned();
    }
    let names: Vec<String> = params.iter().map(|n| format!("${n}")).collect();
    names.join(", ")
}
