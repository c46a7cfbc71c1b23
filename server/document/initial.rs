//! A whole text's first analysis, which for a large file must use every
//! core: the grammar (PostgreSQL's, under a process-wide lock) checks the
//! statements on a thread of its own while workers run the rest of the
//! analysis (which assumes no syntax error), and both start on the first
//! statements while this thread is still splitting the rest. The few
//! statements the grammar rejects are then analysed again with their error.

use std::ops::Range;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use super::{Statement, text_hash};
use crate::analysis::statement::{StatementAnalysis, analyze_checked};
use crate::sql::grammar::{self, SyntaxError};
use crate::sql::split::{Splitter, StatementSpan, split};

/// Texts shorter than this are analysed on the calling thread: starting
/// threads would cost more than they save.
pub(super) const PARALLEL_BYTES: usize = 32 * 1024;
/// Statements handed out at once.
const CHUNK: usize = 64;

/// Splits `text` and analyses every statement.
pub(super) fn split_and_analyze(text: &str) -> Vec<Statement> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if text.len() < PARALLEL_BYTES || threads == 1 {
        let spans = split(text);
        let texts: Vec<&str> = spans.iter().map(|span| &text[span.range.clone()]).collect();
        let errors = grammar::check_all(&texts);
        return spans
            .into_iter()
            .zip(texts)
            .zip(errors)
            .map(|((span, statement), error)| Statement {
                analysis: Arc::new(analyze_checked(statement, error)),
                text_hash: text_hash(statement),
                span,
            })
            .collect();
    }
    split_and_analyze_parallel(text, threads)
}

/// A chunk of statements: its place in the order and their ranges.
type Chunk = (usize, Vec<Range<usize>>);

/// A chunk analysed without the grammar: (analysis, text hash) per statement.
type Analysed = (usize, Vec<(Arc<StatementAnalysis>, u64)>);

fn split_and_analyze_parallel(text: &str, threads: usize) -> Vec<Statement> {
    let (to_grammar, for_grammar) = mpsc::channel::<Chunk>();
    let (to_workers, for_workers) = mpsc::channel::<Chunk>();
    let for_workers = Mutex::new(for_workers);
    let (spans, mut analysed, errors) = std::thread::scope(|scope| {
        let grammar = scope.spawn(|| check_chunks(text, for_grammar));
        let workers: Vec<_> = (1..threads)
            .map(|_| scope.spawn(|| analyze_chunks(text, &for_workers)))
            .collect();
        let spans = split_in_chunks(text, &[to_grammar, to_workers]);
        // Done splitting: this thread joins the workers.
        let mut analysed = analyze_chunks(text, &for_workers);
        for worker in workers {
            analysed.extend(join(worker));
        }
        (spans, analysed, join(grammar))
    });
    analysed.sort_unstable_by_key(|(chunk, _)| *chunk);
    spans
        .into_iter()
        .zip(analysed.into_iter().flat_map(|(_, chunk)| chunk))
        .zip(errors)
        .map(|((span, (analysis, text_hash)), error)| {
            let analysis = match error {
                None => analysis,
                error => Arc::new(analyze_checked(&text[span.range.clone()], error)),
            };
            Statement {
                span,
                analysis,
                text_hash,
            }
        })
        .collect()
}

/// Splits `text`, sending every `CHUNK` statements' ranges to each of
/// `consumers` as soon as they are known; returns every span.
fn split_in_chunks(text: &str, consumers: &[Sender<Chunk>]) -> Vec<StatementSpan> {
    let mut spans = Vec::new();
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut chunks = 0;
    let mut send = |chunk: Vec<Range<usize>>| {
        for consumer in consumers {
            // A consumer only stops early by panicking, which `join` re-raises.
            let _ = consumer.send((chunks, chunk.clone()));
        }
        chunks += 1;
    };
    for span in Splitter::new(text) {
        chunk.push(span.range.clone());
        spans.push(span);
        if chunk.len() == CHUNK {
            send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)));
        }
    }
    if !chunk.is_empty() {
        send(chunk);
    }
    spans
}

/// The grammar's verdict on every statement, in order (chunks arrive in order).
fn check_chunks(text: &str, chunks: Receiver<Chunk>) -> Vec<Option<SyntaxError>> {
    let mut errors = Vec::new();
    for (_, ranges) in chunks {
        let texts: Vec<&str> = ranges.into_iter().map(|range| &text[range]).collect();
        errors.extend(grammar::check_all(&texts));
    }
    errors
}

/// `analyze_checked(…, None)` for the chunks this worker takes, until there
/// are no more.
fn analyze_chunks(text: &str, chunks: &Mutex<Receiver<Chunk>>) -> Vec<Analysed> {
    let mut done = Vec::new();
    loop {
        // A poisoned lock only means another worker panicked; its panic is
        // re-raised when it is joined.
        let next = chunks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .recv();
        let Ok((index, ranges)) = next else {
            return done;
        };
        let analysed = ranges
            .into_iter()
            .map(|range| {
                let statement = &text[range];
                (
                    Arc::new(analyze_checked(statement, None)),
                    text_hash(statement),
                )
            })
            .collect();
        done.push((index, analysed));
    }
}

/// A worker's result. A panic in analysis is a bug; it is re-raised on this
/// thread so the caller's panic boundary reports it.
fn join<T>(worker: std::thread::ScopedJoinHandle<'_, T>) -> T {
    worker
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}
