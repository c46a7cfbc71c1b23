//! An open document: its text, version and statements with their analyses.
//!
//! Edits re-split only the region they touch and re-analyse only statements
//! whose text changed; every other statement keeps its `Arc`'d analysis.

mod initial;
mod resplit;

use std::collections::HashMap;
use std::sync::Arc;

use crate::analysis::statement::{StatementAnalysis, analyze_statement};
use crate::sql::split::StatementSpan;
use crate::text::edit::{TextChange, apply_change};
use crate::text::{LineIndex, PositionEncoding};

/// One statement of a document.
#[derive(Debug, Clone)]
pub struct Statement {
    pub span: StatementSpan,
    pub analysis: Arc<StatementAnalysis>,
    /// Hash of the statement's text: an edit reuses the analysis of a
    /// removed statement whose text hashed the same.
    text_hash: u64,
}

fn text_hash(text: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    // In-memory only, so std's hasher (fixed keys via Default) is fine here.
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(text)
}

#[derive(Debug, Clone)]
pub struct Document {
    text: String,
    version: i32,
    line_index: LineIndex,
    statements: Vec<Statement>,
}

/// What an edit cost: how many statements had to be analysed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EditOutcome {
    pub analyzed: usize,
}

impl Document {
    /// Splits and analyses a whole text, using every core for large files.
    pub fn new(text: String, version: i32) -> Document {
        let statements = initial::split_and_analyze(&text);
        Document {
            line_index: LineIndex::new(&text),
            text,
            version,
            statements,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn version(&self) -> i32 {
        self.version
    }

    pub fn line_index(&self) -> &LineIndex {
        &self.line_index
    }

    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    pub fn statement_text(&self, statement: &Statement) -> &str {
        &self.text[statement.span.range.clone()]
    }

    /// The statement whose text contains `offset` (or ends right at it).
    pub fn statement_at(&self, offset: usize) -> Option<&Statement> {
        let index = self
            .statements
            .partition_point(|statement| statement.span.range.end < offset);
        self.statements
            .get(index)
            .filter(|statement| statement.span.range.start <= offset)
    }

    /// Applies the editor's changes in order and moves to `version`.
    pub fn apply_changes(
        &mut self,
        changes: &[TextChange],
        version: i32,
        encoding: PositionEncoding,
    ) -> EditOutcome {
        let mut outcome = EditOutcome::default();
        for change in changes {
            let edit = apply_change(&mut self.text, &self.line_index, change, encoding);
            self.line_index
                .apply_edit(&self.text, edit.old.clone(), edit.new_len);
            outcome.analyzed += self.resplit_after(&edit);
        }
        self.version = version;
        outcome
    }

    /// Re-splits around `edit` and re-analyses what changed; returns how many
    /// statements were analysed.
    fn resplit_after(&mut self, edit: &crate::text::edit::ByteEdit) -> usize {
        let old_spans: Vec<&StatementSpan> = self.statements.iter().map(|s| &s.span).collect();
        let plan = resplit::plan(&old_spans, &self.text, edit);
        let removed: Vec<Statement> = self
            .statements
            .splice(plan.replaced.clone(), std::iter::empty())
            .collect();
        let reusable: HashMap<u64, Arc<StatementAnalysis>> = removed
            .into_iter()
            .map(|statement| (statement.text_hash, statement.analysis))
            .collect();
        let mut analyzed = 0;
        let inserted: Vec<Statement> = plan
            .new_spans
            .into_iter()
            .map(|span| {
                let text = &self.text[span.range.clone()];
                let hash = text_hash(text);
                let analysis = reusable.get(&hash).cloned().unwrap_or_else(|| {
                    analyzed += 1;
                    Arc::new(analyze_statement(text))
                });
                Statement {
                    span,
                    analysis,
                    text_hash: hash,
                }
            })
            .collect();
        let delta = edit.delta();
        let start = plan.replaced.start;
        for statement in &mut self.statements[start..] {
            statement.span = statement.span.shifted(delta);
        }
        self.statements.splice(start..start, inserted);
        analyzed
    }
}

#[cfg(test)]
mod tests;
