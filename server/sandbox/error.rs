//! What can go wrong in the sandbox, and at which step.

use std::fmt;

use tokio_postgres::error::SqlState;

use crate::db::ConnectError;
use crate::db::error_text::with_causes;

/// A step of the validation protocol; errors name the one that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Begin,
    SetLimits,
    /// `PREPARE` + `pg_prepared_statements`: the parameters' types.
    ParameterTypes(Subject),
    SampleParameters,
    /// One EXPLAIN ANALYZE series; `set` counts from 1.
    Measure {
        subject: Subject,
        set: usize,
    },
    /// Fetching a statement's rows to compare them; `set` counts from 1.
    FetchRows {
        subject: Subject,
        set: usize,
    },
    CreateIndex,
    RollBack,
    Deallocate,
}

/// Which statement a step works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Original,
    /// The original after the candidate index was built.
    WithIndex,
    Rewrite,
}

impl Step {
    /// Whether the step runs the candidate itself (building the index,
    /// planning or running the rewrite): its SQL errors reject the candidate
    /// instead of failing the validation.
    pub fn runs_candidate(self) -> bool {
        match self {
            Step::CreateIndex => true,
            Step::ParameterTypes(subject)
            | Step::Measure { subject, .. }
            | Step::FetchRows { subject, .. } => subject == Subject::Rewrite,
            _ => false,
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Subject::Original => "the original statement",
            Subject::WithIndex => "the original statement with the candidate index",
            Subject::Rewrite => "the rewritten statement",
        })
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Begin => f.write_str("starting the sandbox transaction"),
            Step::SetLimits => f.write_str("setting statement_timeout and lock_timeout"),
            Step::ParameterTypes(subject) => {
                write!(f, "preparing {subject} to learn its parameter types")
            }
            Step::SampleParameters => f.write_str("sampling parameter values from the data"),
            Step::Measure { subject, set } => {
                write!(f, "timing {subject} (parameter set {set})")
            }
            Step::FetchRows { subject, set } => {
                write!(f, "fetching the rows of {subject} (parameter set {set})")
            }
            Step::CreateIndex => f.write_str("creating the candidate index"),
            Step::RollBack => f.write_str("rolling back the sandbox transaction"),
            Step::Deallocate => f.write_str("deallocating the prepared statement"),
        }
    }
}

/// Why a validation could not be completed. A candidate that was tried and
/// found wanting is not an error but a [`Verdict`](crate::advisor::model::Verdict).
#[derive(Debug, Clone, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot connect to the sandbox database: {0}")]
    Connect(#[from] ConnectError),
    /// `statement_timeout` or `lock_timeout` ended a statement (or the server
    /// stopped answering).
    #[error("timed out while {step}: {detail}")]
    Timeout { step: Step, detail: String },
    #[error("cancelled while {step}")]
    Cancelled { step: Step },
    #[error("{step} failed in the sandbox: {message}")]
    Query { step: Step, message: String },
    /// The connection broke or was given up after an earlier failure.
    #[error("lost the sandbox connection while {step}: {detail}")]
    ConnectionLost { step: Step, detail: String },
}

impl SandboxError {
    /// Sorts a tokio-postgres error from `step`: a cancel request (ours, or
    /// an administrator's) cancels, a statement or lock timeout times out,
    /// and an error without a server message means the connection broke.
    pub(super) fn from_postgres(step: Step, error: &tokio_postgres::Error) -> SandboxError {
        let Some(db_error) = error.as_db_error() else {
            return SandboxError::ConnectionLost {
                step,
                detail: with_causes(error),
            };
        };
        let message = db_error.message().to_owned();
        let code = db_error.code();
        if *code == SqlState::QUERY_CANCELED && message.contains("user request") {
            SandboxError::Cancelled { step }
        } else if *code == SqlState::QUERY_CANCELED || *code == SqlState::LOCK_NOT_AVAILABLE {
            SandboxError::Timeout {
                step,
                detail: message,
            }
        } else {
            let mut message = message;
            if let Some(detail) = db_error.detail() {
                message.push_str(&format!(" ({detail})"));
            }
            SandboxError::Query { step, message }
        }
    }

    /// The step the error happened in, if it is tied to one.
    pub fn step(&self) -> Option<Step> {
        match self {
            SandboxError::Connect(_) => None,
            SandboxError::Timeout { step, .. }
            | SandboxError::Cancelled { step }
            | SandboxError::Query { step, .. }
            | SandboxError::ConnectionLost { step, .. } => Some(*step),
        }
    }
}
