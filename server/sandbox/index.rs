//! Validating an index candidate: time the statement, build the index in
//! the sandbox transaction, time it again, roll back.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::watch;

use crate::advisor::model::{IndexCandidate, Verdict};
use crate::sandbox::SandboxLimits;
use crate::sandbox::admission::{Admitted, admit_index, admit_measurable};
use crate::sandbox::error::{SandboxError, Step, Subject};
use crate::sandbox::measure::{Comparison, Timing, time_statement};
use crate::sandbox::params::{bind_set, parameter_types, sample_sets};
use crate::sandbox::session::Session;
use crate::sandbox::transaction::rolled_back;

/// Candidate indexes get unique names (per process and call), so plans can
/// be searched for them and two validations never collide.
static NEXT_INDEX: AtomicU64 = AtomicU64::new(1);

/// An index validation that passed the up-front checks.
pub struct IndexTrial {
    statement: Admitted,
    index_name: String,
    create_index: String,
}

/// The up-front checks; `Err` is the reason to reject.
pub fn admit(statement: &str, candidate: &IndexCandidate) -> Result<IndexTrial, String> {
    let statement = admit_measurable(statement)?;
    let index_name = format!(
        "optischema_candidate_{}_{}",
        std::process::id(),
        NEXT_INDEX.fetch_add(1, Ordering::Relaxed)
    );
    let create_index = admit_index(&candidate.definition, &index_name)?;
    Ok(IndexTrial {
        statement,
        index_name,
        create_index,
    })
}

/// Runs the protocol on `session`. SQL errors while building the index
/// reject the candidate; other failures are errors.
pub async fn validate(
    session: &Session,
    trial: &IndexTrial,
    limits: &SandboxLimits,
    cancel: &watch::Receiver<bool>,
) -> Result<Verdict, SandboxError> {
    let measured = rolled_back(session, limits, cancel, async || {
        measure(session, trial, limits, cancel).await
    })
    .await;
    let (before, after) = match measured {
        Ok(timings) => timings,
        Err(SandboxError::Query { step, message }) if step.runs_candidate() => {
            return Ok(Verdict::Rejected {
                reason: format!("the index cannot be built: {message}"),
            });
        }
        Err(error) => return Err(error),
    };
    Ok(judge(trial, &before, &after, limits))
}

/// Timings of every parameter set without, then with, the index.
async fn measure(
    session: &Session,
    trial: &IndexTrial,
    limits: &SandboxLimits,
    cancel: &watch::Receiver<bool>,
) -> Result<(Vec<Timing>, Vec<Timing>), SandboxError> {
    let statement = &trial.statement;
    let types = parameter_types(session, statement, &[], Subject::Original, cancel).await?;
    let sets = sample_sets(session, statement, &types, limits.parameter_sets, cancel).await?;
    let bound: Vec<String> = sets
        .iter()
        .map(|set| bind_set(&statement.text, &types, set))
        .collect();
    let mut before = Vec::with_capacity(bound.len());
    for (index, text) in bound.iter().enumerate() {
        let step = Step::Measure {
            subject: Subject::Original,
            set: index + 1,
        };
        before.push(time_statement(session, text, limits.runs, step, cancel).await?);
    }
    session
        .run(Step::CreateIndex, &trial.create_index, cancel)
        .await?;
    let mut after = Vec::with_capacity(bound.len());
    for (index, text) in bound.iter().enumerate() {
        let step = Step::Measure {
            subject: Subject::WithIndex,
            set: index + 1,
        };
        after.push(time_statement(session, text, limits.runs, step, cancel).await?);
    }
    Ok((before, after))
}

/// Accepted when the plan uses the index and the typical time improves by
/// the required ratio.
fn judge(
    trial: &IndexTrial,
    before: &[Timing],
    after: &[Timing],
    limits: &SandboxLimits,
) -> Verdict {
    let comparison = Comparison::new(before, after);
    let used = after
        .iter()
        .any(|timing| timing.index_names.contains(&trial.index_name));
    let numbers = format!(
        "median {:.3} ms before, {:.3} ms with the index, over {} parameter set(s)",
        comparison.before_ms, comparison.after_ms, comparison.parameter_sets
    );
    if !used {
        return Verdict::Rejected {
            reason: format!("the planner does not use the index ({numbers})"),
        };
    }
    if !comparison.is_faster(limits.required_ratio) {
        return Verdict::Rejected {
            reason: format!(
                "not faster enough: {numbers}; needs at most {:.0} % of the time",
                limits.required_ratio * 100.0
            ),
        };
    }
    Verdict::Accepted {
        evidence: comparison.evidence(None),
    }
}
