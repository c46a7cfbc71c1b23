//! An open document: its text, version and statements with their analyses.
//!
//! Edits re-split only the region they touch and re-analyse only statements
//! whose text changed; every other statement keeps its `Arc`'d analysis.

mod resplit;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::analysis::statement::{StatementAnalysis, analyze_checked, analyze_statement};
use crate::sql::grammar;
use crate::sql::split::{StatementSpan, split};
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
        let spans = split(&text);
        let analyses = analyze_all(&text, &spans);
        let statements = spans
            .into_iter()
            .zip(analyses)
            .map(|(span, analysis)| Statement {
                text_hash: text_hash(&text[span.range.clone()]),
                span,
                analysis,
            })
            .collect();
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

/// Analyses every span. PostgreSQL's grammar runs under a process-wide lock,
/// so for large files it checks all statements on a thread of its own while
/// the rest of the analysis (which assumes no syntax error) runs on every
/// core; the few statements the grammar rejects are analysed again with
/// their error.
fn analyze_all(text: &str, spans: &[StatementSpan]) -> Vec<Arc<StatementAnalysis>> {
    const PARALLEL_THRESHOLD: usize = 256;
    let texts: Vec<&str> = spans.iter().map(|span| &text[span.range.clone()]).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if texts.len() < PARALLEL_THRESHOLD || threads == 1 {
        let errors = grammar::check_all(&texts);
        return texts
            .iter()
            .zip(errors)
            .map(|(text, error)| Arc::new(analyze_checked(text, error)))
            .collect();
    }
    let (mut analyses, errors) = std::thread::scope(|scope| {
        let grammar = scope.spawn(|| grammar::check_all(&texts));
        let analyses = analyze_parallel(&texts, threads);
        (analyses, join(grammar))
    });
    for (index, error) in errors.into_iter().enumerate() {
        if error.is_some() {
            analyses[index] = Arc::new(analyze_checked(texts[index], error));
        }
    }
    analyses
}

/// `analyze_checked(text, None)` for every text on `threads` threads, which
/// take small chunks in turn so that none idles while another has work.
fn analyze_parallel(texts: &[&str], threads: usize) -> Vec<Arc<StatementAnalysis>> {
    const CHUNK: usize = 64;
    let next_chunk = AtomicUsize::new(0);
    let chunks = texts.len().div_ceil(CHUNK);
    let worker = || {
        let mut done = Vec::new();
        loop {
            let chunk = next_chunk.fetch_add(1, Ordering::Relaxed);
            if chunk >= chunks {
                return done;
            }
            let start = chunk * CHUNK;
            let analysed: Vec<Arc<StatementAnalysis>> = texts
                [start..(start + CHUNK).min(texts.len())]
                .iter()
                .map(|text| Arc::new(analyze_checked(text, None)))
                .collect();
            done.push((chunk, analysed));
        }
    };
    let mut chunks_done: Vec<(usize, Vec<Arc<StatementAnalysis>>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(worker)).collect();
        workers.into_iter().flat_map(join).collect()
    });
    chunks_done.sort_unstable_by_key(|(chunk, _)| *chunk);
    chunks_done
        .into_iter()
        .flat_map(|(_, analysed)| analysed)
        .collect()
}

/// A worker's result. A panic in analysis is a bug; it is re-raised on this
/// thread so the caller's panic boundary reports it.
fn join<T>(worker: std::thread::ScopedJoinHandle<'_, T>) -> T {
    worker
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(test)]
mod tests;
