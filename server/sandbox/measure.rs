//! Timing a statement with `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`.
//!
//! EXPLAIN ANALYZE executes the statement, so each run sits in a savepoint
//! that is rolled back: an UPDATE or DELETE sees the same rows every time,
//! and nothing it does survives even inside the sandbox transaction.

use std::collections::BTreeSet;

use tokio::sync::watch;

use crate::advisor::model::Evidence;

use crate::sandbox::error::{SandboxError, Step};
use crate::sandbox::explain::{self, median};
use crate::sandbox::queries;
use crate::sandbox::session::{Session, first_column};

/// The outcome of one series of runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Median "Execution Time" of the runs that count.
    pub median_ms: f64,
    /// How many runs count (the first, which warms the cache, does not).
    pub runs: usize,
    /// Indexes any counted run's plan used.
    pub index_names: BTreeSet<String>,
}

/// Runs `statement` (parameters already bound) `runs` times and keeps the
/// median. With two or more runs the first one only warms the cache.
pub async fn time_statement(
    session: &Session,
    statement: &str,
    runs: usize,
    step: Step,
    cancel: &watch::Receiver<bool>,
) -> Result<Timing, SandboxError> {
    let explain = format!("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}");
    let runs = runs.max(1);
    let mut times = Vec::with_capacity(runs);
    let mut index_names = BTreeSet::new();
    for run in 0..runs {
        session.run(step, queries::SAVEPOINT, cancel).await?;
        let output = first_column(&session.run(step, &explain, cancel).await?);
        session
            .run(step, queries::ROLLBACK_TO_SAVEPOINT, cancel)
            .await?;
        let json = output.into_iter().flatten().next().unwrap_or_default();
        let parsed =
            explain::parse(&json).map_err(|message| SandboxError::Query { step, message })?;
        if run == 0 && runs > 1 {
            continue;
        }
        times.push(parsed.execution_ms);
        index_names.extend(parsed.index_names);
    }
    Ok(Timing {
        median_ms: median(&times).unwrap_or(0.0),
        runs: times.len(),
        index_names,
    })
}

/// Before and after, summarized over parameter sets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// The mean of the per-set medians: a typical execution's time.
    pub before_ms: f64,
    pub after_ms: f64,
    /// Counted runs per set (the fewest, should they differ).
    pub runs: usize,
    pub parameter_sets: usize,
}

impl Comparison {
    pub fn new(before: &[Timing], after: &[Timing]) -> Comparison {
        Comparison {
            before_ms: typical_ms(before),
            after_ms: typical_ms(after),
            runs: before
                .iter()
                .chain(after)
                .map(|timing| timing.runs)
                .min()
                .unwrap_or(0),
            parameter_sets: before.len(),
        }
    }

    /// Whether after is at most `required_ratio` of before.
    pub fn is_faster(&self, required_ratio: f64) -> bool {
        self.before_ms > 0.0 && self.after_ms <= self.before_ms * required_ratio
    }

    pub fn evidence(&self, rows_compared: Option<u64>) -> Evidence {
        Evidence::SandboxTiming {
            before_ms: self.before_ms,
            after_ms: self.after_ms,
            runs: self.runs,
            parameter_sets: self.parameter_sets,
            rows_compared,
        }
    }
}

fn typical_ms(timings: &[Timing]) -> f64 {
    if timings.is_empty() {
        return 0.0;
    }
    timings.iter().map(|timing| timing.median_ms).sum::<f64>() / timings.len() as f64
}
