//! Index candidates from a model: exactly one `CREATE [UNIQUE] INDEX` on a
//! table the statement reads, normalized to the plain form the sandbox
//! builds inside its transaction.
//!
//! Normalization drops what does not change which queries an index can
//! serve, or cannot work in a rolled-back transaction: the name,
//! `CONCURRENTLY` (the migration adds it back), `IF NOT EXISTS`, `UNIQUE`
//! (a constraint is a data-model decision, not a performance fix — the
//! lookups are served the same) and `NULLS NOT DISTINCT` with it, and
//! `WITH (…)` storage parameters. A `TABLESPACE` is refused: where data
//! lives is the operator's choice. Key columns, operator classes,
//! ordering, `INCLUDE`, the access method and a partial index's `WHERE` stay.
//!
//! The normalized text is printed by PostgreSQL's own deparser from the
//! checked tree, so it says exactly what was checked; it must then read
//! back as an index by both parsers.

use pg_query::NodeEnum;
use pg_query::protobuf::{self, IndexStmt};
use sqlparser::ast::{Expr, Statement};

use super::Original;
use super::tree::{Parsed, Relation, deparse, parse_single};
use crate::advisor::model::IndexCandidate;
use crate::sql::ast::parse_statement;

/// Longer index definitions are not read.
pub const MAX_INDEX_BYTES: usize = 4 * 1024;

/// PostgreSQL's built-in access methods; extensions' (bloom, hnsw, …) may
/// not exist in the sandbox.
const ACCESS_METHODS: &[&str] = &["btree", "hash", "gin", "gist", "spgist", "brin"];

/// Checks one index definition; the reason when it is refused.
pub fn gate_index(text: &str, original: &Original) -> Result<IndexCandidate, String> {
    if text.len() > MAX_INDEX_BYTES {
        return Err(format!("it is longer than {MAX_INDEX_BYTES} bytes"));
    }
    let parsed = parse_single(text)?;
    let index = index_statement(&parsed)?;
    let relation = checked_relation(index, original)?;
    check_contents(&parsed, original)?;
    let definition = normalized(&parsed)?;

    // What is handed on is the normalized text: check it in full again.
    let again = parse_single(&definition)
        .map_err(|reason| format!("its normalized form is refused: {reason}"))?;
    let normal = index_statement(&again)?;
    checked_relation(normal, original)?;
    check_contents(&again, original)?;
    let Some(Statement::CreateIndex(create)) = parse_statement(&again.text) else {
        return Err("sqlparser cannot read it as CREATE INDEX".into());
    };
    if create.columns.len() != normal.index_params.len() {
        return Err("PostgreSQL's parser and sqlparser read its columns differently".into());
    }
    let columns = normal
        .index_params
        .iter()
        .zip(&create.columns)
        .map(|(param, column)| match &param.node {
            Some(NodeEnum::IndexElem(element)) if !element.name.is_empty() => element.name.clone(),
            _ => match &column.column.expr {
                Expr::Nested(inner) => format!("({inner})"),
                expr => format!("({expr})"),
            },
        })
        .collect();
    Ok(IndexCandidate {
        table: relation.qualified(),
        columns,
        definition,
    })
}

fn index_statement(parsed: &Parsed) -> Result<&IndexStmt, String> {
    match parsed.top() {
        Some(NodeEnum::IndexStmt(index)) if parsed.is_utility => Ok(index),
        other => Err(format!(
            "it is {}, not a CREATE INDEX",
            super::statement_kind(other)
        )),
    }
}

fn checked_relation(index: &IndexStmt, original: &Original) -> Result<Relation, String> {
    let relation = index
        .relation
        .as_ref()
        .map(|range_var| Relation {
            schema: if range_var.catalogname.is_empty() {
                range_var.schemaname.clone()
            } else {
                format!("{}.{}", range_var.catalogname, range_var.schemaname)
            },
            name: range_var.relname.clone(),
        })
        .ok_or("it names no table")?;
    if !original.reads(&relation) {
        return Err(format!(
            "it is on {}, which the statement does not read",
            relation.qualified()
        ));
    }
    if !index.table_space.is_empty() {
        return Err("it names a tablespace".into());
    }
    if !ACCESS_METHODS.contains(&index.access_method.as_str()) {
        return Err(format!(
            "it uses the access method {}, which is not built into PostgreSQL",
            index.access_method
        ));
    }
    Ok(relation)
}

fn check_contents(parsed: &Parsed, original: &Original) -> Result<(), String> {
    let contents = &parsed.contents;
    if contents.modifies_data || contents.has_subquery {
        return Err("it holds a subquery".into());
    }
    // The index's own table, and nothing else.
    if contents.relations.len() > 1 {
        return Err("it names more than one table".into());
    }
    if let Some(reason) = original
        .allowed
        .refuse_any(&contents.functions, &contents.operators)
    {
        return Err(reason);
    }
    if let Some(param) = parsed.params.difference(&original.params).next() {
        return Err(format!(
            "it uses ${param}, which the statement does not have"
        ));
    }
    Ok(())
}

/// The plain definition, printed by PostgreSQL's deparser from the tree
/// with the dropped parts cleared.
fn normalized(parsed: &Parsed) -> Result<String, String> {
    let mut tree: protobuf::ParseResult = parsed.tree.clone();
    let node = tree
        .stmts
        .first_mut()
        .and_then(|statement| statement.stmt.as_mut())
        .and_then(|node| node.node.as_mut());
    let Some(NodeEnum::IndexStmt(index)) = node else {
        return Err("it is not a CREATE INDEX".into());
    };
    index.idxname.clear();
    index.concurrent = false;
    index.if_not_exists = false;
    index.unique = false;
    index.nulls_not_distinct = false;
    index.options.clear();
    if index.access_method == "btree" {
        // The default: printed without `USING btree`, like rule-based candidates.
        index.access_method.clear();
    }
    deparse(&tree)
}
