//! The security boundary between a model's answer and everything else
//! (DESIGN rule 5): the answer is hostile input until this says otherwise.
//!
//! Only a single `CREATE INDEX` per index entry and a single query as the
//! rewrite pass, decided by parsing — PostgreSQL's own grammar, libpg_query's
//! full parse tree and sqlparser — never by string matching. Everything
//! else is dropped with its reason, logged. Passing here makes a candidate
//! eligible for the sandbox, nothing more: it is still offered only if the
//! sandbox validates it.
//!
//! Rules, for both kinds:
//! - exactly one statement by every reading (splitter, grammar, parse tree);
//!   no psql meta-commands; bounded length, token count and nesting;
//! - only the tables the statement reads (CTE names resolved by scope);
//! - function calls: the statement's own or side-effect-free built-ins,
//!   and never the deny list (`pg_sleep*`, `dblink*`, `lo_*`, file access,
//!   `set_config`, backend signals, advisory locks, sequences, `txid_*`,
//!   `pg_notify`, `query_to_xml*`, …) — see [`calls`];
//! - operators: the statement's own or common built-ins;
//! - parameters: only the statement's `$n`.
//!
//! Indexes besides: `CREATE [UNIQUE] INDEX` on one table, built-in access
//! method, no tablespace, no subquery; normalized (see [`index`]).
//! Rewrites besides: a query that writes nothing (no data-modifying
//! `WITH`, no `SELECT INTO`), locks nothing (no `FOR UPDATE`/`SHARE`), does
//! not sample, and uses exactly the statement's parameters; the statement
//! itself must be a query.

mod calls;
mod index;
mod rewrite;
mod tree;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use pg_query::NodeEnum;
use serde::{Deserialize, Serialize};

use self::calls::Allowed;
use self::tree::{Relation, parse_single};
use super::answer::RawSuggestion;
use crate::advisor::model::{IndexCandidate, Origin, RewriteCandidate};

pub use self::index::MAX_INDEX_BYTES;
pub use self::rewrite::{MAX_REWRITE_BYTES, SOURCE as REWRITE_SOURCE};

/// At most this many index entries of one answer are considered.
pub const MAX_INDEXES: usize = 5;
/// Dropped texts are kept (and logged) up to this many characters.
const MAX_DROPPED_CHARS: usize = 500;

/// What passed the gate, and what did not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatedSuggestion {
    pub model: String,
    /// The model's explanation (plain text, cleaned), for the action.
    pub explanation: String,
    pub indexes: Vec<IndexCandidate>,
    pub rewrite: Option<RewriteCandidate>,
    pub dropped: Vec<Dropped>,
}

impl GatedSuggestion {
    /// The origin to give every candidate of this suggestion.
    pub fn origin(&self) -> Origin {
        Origin::Ai {
            model: self.model.clone(),
            explanation: self.explanation.clone(),
        }
    }
}

/// A part of the answer that did not pass, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    /// The text, cut to a few hundred characters.
    pub text: String,
    pub reason: String,
}

/// What the statement the model was asked about allows.
#[derive(Debug, Clone)]
pub struct Original {
    relations: BTreeSet<Relation>,
    allowed: Allowed,
    params: BTreeSet<u32>,
    is_query: bool,
}

impl Original {
    /// Reads the statement as sent to the model (`AiContext::statement`).
    pub fn parse(statement: &str) -> Result<Original, String> {
        let parsed = parse_single(statement)?;
        let is_query = matches!(parsed.top(), Some(NodeEnum::SelectStmt(_)));
        let contents = parsed.contents;
        Ok(Original {
            relations: contents.relations,
            allowed: Allowed {
                functions: contents.functions,
                operators: contents.operators,
            },
            params: parsed.params,
            is_query,
        })
    }

    /// Whether `relation` may be one the statement reads (an unqualified
    /// name matches any schema: the search path decides, as for the statement).
    fn reads(&self, relation: &Relation) -> bool {
        self.relations.iter().any(|known| known.may_be(relation))
    }
}

/// Checks a raw answer against `original_statement` — the statement
/// exactly as sent to the model (`AiContext::statement`, so its `$n`
/// numbering is the answer's). Never fails: what does not pass is in
/// `dropped`, and logged.
pub fn gate(raw: RawSuggestion, original_statement: &str, model: &str) -> GatedSuggestion {
    let mut gated = GatedSuggestion {
        model: model.to_owned(),
        explanation: raw.explanation,
        indexes: Vec::new(),
        rewrite: None,
        dropped: Vec::new(),
    };
    let original = match Original::parse(original_statement) {
        Ok(original) => original,
        Err(reason) => {
            let reason = format!("the statement itself cannot be checked: {reason}");
            for text in raw.indexes.iter().chain(&raw.rewrite) {
                drop_with_reason(&mut gated, model, text, reason.clone());
            }
            return gated;
        }
    };
    for (position, text) in raw.indexes.iter().enumerate() {
        if position >= MAX_INDEXES {
            drop_with_reason(
                &mut gated,
                model,
                text,
                format!("only the first {MAX_INDEXES} indexes of an answer are considered"),
            );
            continue;
        }
        match index::gate_index(text, &original) {
            Ok(candidate) if gated.indexes.contains(&candidate) => {
                drop_with_reason(
                    &mut gated,
                    model,
                    text,
                    "it repeats an earlier index".into(),
                );
            }
            Ok(candidate) => gated.indexes.push(candidate),
            Err(reason) => drop_with_reason(&mut gated, model, text, reason),
        }
    }
    if let Some(text) = &raw.rewrite {
        match rewrite::gate_rewrite(text, &original, model) {
            Ok(candidate) => gated.rewrite = Some(candidate),
            Err(reason) => drop_with_reason(&mut gated, model, text, reason),
        }
    }
    gated
}

fn drop_with_reason(gated: &mut GatedSuggestion, model: &str, text: &str, reason: String) {
    let mut shown: String = text.chars().take(MAX_DROPPED_CHARS).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    tracing::warn!(model, %reason, text = %shown, "dropped a model suggestion");
    gated.dropped.push(Dropped {
        text: shown,
        reason,
    });
}

/// A statement's kind in words, for reasons.
fn statement_kind(node: Option<&NodeEnum>) -> String {
    let name = match node {
        Some(NodeEnum::SelectStmt(_)) => "a SELECT",
        Some(NodeEnum::InsertStmt(_)) => "an INSERT",
        Some(NodeEnum::UpdateStmt(_)) => "an UPDATE",
        Some(NodeEnum::DeleteStmt(_)) => "a DELETE",
        Some(NodeEnum::MergeStmt(_)) => "a MERGE",
        Some(NodeEnum::IndexStmt(_)) => "a CREATE INDEX",
        Some(NodeEnum::DropStmt(_)) => "a DROP",
        Some(NodeEnum::TruncateStmt(_)) => "a TRUNCATE",
        Some(NodeEnum::CopyStmt(_)) => "a COPY",
        Some(NodeEnum::VariableSetStmt(_)) => "a SET",
        Some(NodeEnum::ExplainStmt(_)) => "an EXPLAIN",
        Some(NodeEnum::CreateStmt(_)) => "a CREATE TABLE",
        Some(NodeEnum::CreateTableAsStmt(_)) => "a CREATE TABLE AS",
        Some(NodeEnum::AlterTableStmt(_)) => "an ALTER TABLE",
        Some(NodeEnum::DoStmt(_)) => "a DO block",
        Some(NodeEnum::CallStmt(_)) => "a CALL",
        Some(NodeEnum::CreateFunctionStmt(_)) => "a CREATE FUNCTION",
        Some(NodeEnum::TransactionStmt(_)) => "a transaction command",
        Some(_) => "another kind of statement",
        None => "no statement",
    };
    name.to_owned()
}
