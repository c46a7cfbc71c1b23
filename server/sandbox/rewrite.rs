//! Validating a rewrite: same results for every parameter set, and faster.
//!
//! Per parameter set the original runs twice — if its own result changes,
//! rows cannot be compared and the verdict is undecidable — then the rewrite
//! runs once and must return the same columns and the same rows (as a
//! multiset, or as a sequence when the original has ORDER BY). Only then are
//! both timed. The transaction is REPEATABLE READ, so all runs see one snapshot.

use tokio::sync::watch;

use crate::advisor::model::{RewriteCandidate, Verdict};
use crate::sandbox::SandboxLimits;
use crate::sandbox::admission::{Admitted, StatementKind, admit_measurable, admit_rewrite};
use crate::sandbox::error::{SandboxError, Step, Subject};
use crate::sandbox::measure::{Comparison, time_statement};
use crate::sandbox::params::{ParameterSet, bind_set, parameter_types, sample_sets};
use crate::sandbox::results::{ResultSet, compare};
use crate::sandbox::session::Session;
use crate::sandbox::transaction::rolled_back;

/// More rows than this are not compared (they are held in memory).
const MAX_COMPARED_ROWS: usize = 1_000_000;

/// A rewrite validation that passed the up-front checks.
pub struct RewriteTrial {
    original: Admitted,
    rewrite: Admitted,
}

/// The up-front checks; `Err` is the reason to reject. Nothing is sent to
/// the database before they pass.
pub fn admit(original: &str, candidate: &RewriteCandidate) -> Result<RewriteTrial, String> {
    let original = admit_measurable(original)?;
    if original.kind == StatementKind::Modify {
        return Err("only queries are compared row for row; the original modifies data".into());
    }
    let rewrite = admit_rewrite(&original, &candidate.text)?;
    Ok(RewriteTrial { original, rewrite })
}

/// Runs the protocol on `session`. SQL errors of the rewrite reject it;
/// other failures are errors.
pub async fn validate(
    session: &Session,
    trial: &RewriteTrial,
    limits: &SandboxLimits,
    cancel: &watch::Receiver<bool>,
) -> Result<Verdict, SandboxError> {
    let examined = rolled_back(session, limits, cancel, async || {
        examine(session, trial, limits, cancel).await
    })
    .await;
    match examined {
        Err(SandboxError::Query { step, message }) if step.runs_candidate() => {
            Ok(Verdict::Rejected {
                reason: format!("the rewrite fails in the sandbox: {message}"),
            })
        }
        other => other,
    }
}

async fn examine(
    session: &Session,
    trial: &RewriteTrial,
    limits: &SandboxLimits,
    cancel: &watch::Receiver<bool>,
) -> Result<Verdict, SandboxError> {
    let (original, rewrite) = (&trial.original, &trial.rewrite);
    let types = parameter_types(session, original, &[], Subject::Original, cancel).await?;
    // Planning the rewrite with the original's types finds its semantic
    // errors (unknown columns, type mismatches) before it runs at all.
    parameter_types(session, rewrite, &types, Subject::Rewrite, cancel).await?;
    let sets = sample_sets(session, original, &types, limits.parameter_sets, cancel).await?;

    let mut rows_compared = 0u64;
    for (index, set) in sets.iter().enumerate() {
        match compare_results(session, trial, &types, set, index + 1, cancel).await? {
            Ok(rows) => rows_compared += rows,
            Err(verdict) => return Ok(verdict),
        }
    }

    let (mut before, mut after) = (Vec::new(), Vec::new());
    for (index, set) in sets.iter().enumerate() {
        let set_number = index + 1;
        let timed = |subject| Step::Measure {
            subject,
            set: set_number,
        };
        let original_sql = bind_set(&original.text, &types, set);
        let rewrite_sql = bind_set(&rewrite.text, &types, set);
        before.push(
            time_statement(
                session,
                &original_sql,
                limits.runs,
                timed(Subject::Original),
                cancel,
            )
            .await?,
        );
        after.push(
            time_statement(
                session,
                &rewrite_sql,
                limits.runs,
                timed(Subject::Rewrite),
                cancel,
            )
            .await?,
        );
    }
    let comparison = Comparison::new(&before, &after);
    if !comparison.is_faster(limits.required_ratio) {
        return Ok(Verdict::Rejected {
            reason: format!(
                "not faster: median {:.3} ms for the original, {:.3} ms for the rewrite \
                 (same results for {} parameter set(s)); needs at most {:.0} % of the time",
                comparison.before_ms,
                comparison.after_ms,
                comparison.parameter_sets,
                limits.required_ratio * 100.0
            ),
        });
    }
    Ok(Verdict::Accepted {
        evidence: comparison.evidence(Some(rows_compared)),
    })
}

/// One parameter set: `Ok(Ok(rows))` when the rewrite returned the same
/// `rows` rows, `Ok(Err(verdict))` when that already decides.
async fn compare_results(
    session: &Session,
    trial: &RewriteTrial,
    types: &[String],
    set: &ParameterSet,
    set_number: usize,
    cancel: &watch::Receiver<bool>,
) -> Result<Result<u64, Verdict>, SandboxError> {
    let ordered = matches!(trial.original.kind, StatementKind::Query { ordered: true });
    let original_sql = bind_set(&trial.original.text, types, set);
    let fetch_original = Step::FetchRows {
        subject: Subject::Original,
        set: set_number,
    };
    let first = fetch(session, &original_sql, fetch_original, cancel).await?;
    if first.rows.len() > MAX_COMPARED_ROWS {
        return Ok(Err(Verdict::Undecidable {
            reason: format!(
                "the statement returns {} rows for parameter set {set_number}; \
                 more than {MAX_COMPARED_ROWS} are not compared",
                first.rows.len()
            ),
        }));
    }
    let second = fetch(session, &original_sql, fetch_original, cancel).await?;
    if let Some(difference) = compare(&first, &second, ordered) {
        return Ok(Err(Verdict::Undecidable {
            reason: format!(
                "the statement's own result changes between runs ({difference} for parameter \
                 set {set_number}): ORDER BY with ties under LIMIT, random() or the clock make \
                 its rows impossible to compare"
            ),
        }));
    }
    let rewritten = fetch(
        session,
        &bind_set(&trial.rewrite.text, types, set),
        Step::FetchRows {
            subject: Subject::Rewrite,
            set: set_number,
        },
        cancel,
    )
    .await?;
    if let Some(difference) = compare(&first, &rewritten, ordered) {
        let example = difference
            .example()
            .map(|example| format!("; {example}"))
            .unwrap_or_default();
        return Ok(Err(Verdict::Rejected {
            reason: format!("the rewrite {difference} for parameter set {set_number}{example}"),
        }));
    }
    Ok(Ok(first.rows.len() as u64))
}

async fn fetch(
    session: &Session,
    sql: &str,
    step: Step,
    cancel: &watch::Receiver<bool>,
) -> Result<ResultSet, SandboxError> {
    Ok(ResultSet::from_messages(
        &session.run(step, sql, cancel).await?,
    ))
}
