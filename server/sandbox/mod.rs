//! The sandbox: proves a candidate index or rewrite on a separate database
//! (`sandbox.url`: a staging copy, or a local database with the schema and
//! sample data) before the advisor offers it.
//!
//! Protocol (DESIGN rules 4 and 5):
//! 1. Up front, from the text alone ([`admission`]): the statement must be
//!    one SELECT / WITH … SELECT or one INSERT / UPDATE / DELETE; a rewrite
//!    one query that calls nothing but its original's functions and pure
//!    built-ins; an index one CREATE INDEX. Anything else is rejected
//!    without a connection being opened.
//! 2. One transaction (REPEATABLE READ, `statement_timeout` and
//!    `lock_timeout` set locally), rolled back on every path — success,
//!    rejection, error, timeout, cancellation ([`transaction`]).
//! 3. Parameters get types from `PREPARE` (deallocated at once) and values
//!    sampled from the data, several sets ([`params`]).
//! 4. Index: `EXPLAIN (ANALYZE, BUFFERS)` of each set `runs` times (the first
//!    run warms the cache), `CREATE INDEX optischema_candidate_…`, the same
//!    again; accepted when the plan uses the index and the median time drops
//!    to `required_ratio` of what it was ([`index`]).
//! 5. Rewrite: per set, the original twice (a result that changes by itself
//!    is undecidable), the rewrite once, same columns and rows (in order when
//!    the original orders); then both timed; accepted when identical
//!    everywhere and faster by the ratio ([`rewrite`]).
//!
//! Cancellation: the caller's `watch::Receiver<bool>` turning `true` stops
//! the validation between steps and cancels the running statement on the
//! server; the rollback still runs.

mod admission;
mod error;
mod explain;
mod functions;
mod index;
mod literal;
mod measure;
mod params;
mod queries;
mod results;
mod rewrite;
mod session;
mod transaction;

use std::time::Duration;

use tokio::sync::watch;
use tokio_postgres::Client;

use crate::advisor::model::{IndexCandidate, RewriteCandidate, Verdict};
use crate::db::ConnSpec;
use session::Session;

pub use error::{SandboxError, Step, Subject};

/// How long and how often the sandbox measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SandboxLimits {
    /// Set locally in the sandbox transaction; a statement that hits it
    /// ends the validation with [`SandboxError::Timeout`].
    pub statement_timeout: Duration,
    /// How long DDL may wait for a lock before giving up.
    pub lock_timeout: Duration,
    /// EXPLAIN ANALYZE runs per parameter set; the first only warms the cache.
    pub runs: usize,
    /// How many different parameter sets to try.
    pub parameter_sets: usize,
    /// The candidate must take at most this share of the original's time.
    pub required_ratio: f64,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        SandboxLimits {
            statement_timeout: Duration::from_secs(30),
            lock_timeout: Duration::from_secs(1),
            runs: 5,
            parameter_sets: 3,
            required_ratio: 0.8,
        }
    }
}

/// The sandbox database and how to measure on it.
#[derive(Debug, Clone)]
pub struct Sandbox {
    spec: ConnSpec,
    limits: SandboxLimits,
}

impl Sandbox {
    pub fn new(spec: ConnSpec, limits: SandboxLimits) -> Sandbox {
        Sandbox { spec, limits }
    }

    pub fn limits(&self) -> &SandboxLimits {
        &self.limits
    }

    /// Opens a connection for several validations in a row.
    pub async fn connect(&self) -> Result<SandboxConnection, SandboxError> {
        Ok(SandboxConnection {
            session: Session::open(&self.spec, &self.limits).await?,
            limits: self.limits,
        })
    }

    /// Validates `candidate` for `statement` on a connection of its own,
    /// closed afterwards. Refused candidates never open one.
    pub async fn validate_index(
        &self,
        statement: &str,
        candidate: &IndexCandidate,
        cancel: &watch::Receiver<bool>,
    ) -> Result<Verdict, SandboxError> {
        match index::admit(statement, candidate) {
            Ok(trial) => self.connect().await?.run_index(&trial, cancel).await,
            Err(reason) => Ok(refused(reason)),
        }
    }

    /// Validates a rewrite of `original` on a connection of its own, closed
    /// afterwards. Refused rewrites never open one.
    pub async fn validate_rewrite(
        &self,
        original: &str,
        rewritten: &RewriteCandidate,
        cancel: &watch::Receiver<bool>,
    ) -> Result<Verdict, SandboxError> {
        match rewrite::admit(original, rewritten) {
            Ok(trial) => self.connect().await?.run_rewrite(&trial, cancel).await,
            Err(reason) => Ok(refused(reason)),
        }
    }
}

/// A sandbox connection that validates one candidate after another. After a
/// failure that leaves it unusable ([`SandboxConnection::is_broken`]),
/// validations fail with [`SandboxError::ConnectionLost`]: connect again.
pub struct SandboxConnection {
    session: Session,
    limits: SandboxLimits,
}

impl SandboxConnection {
    /// Like [`Sandbox::validate_index`], on this connection.
    pub async fn validate_index(
        &self,
        statement: &str,
        candidate: &IndexCandidate,
        cancel: &watch::Receiver<bool>,
    ) -> Result<Verdict, SandboxError> {
        match index::admit(statement, candidate) {
            Ok(trial) => self.run_index(&trial, cancel).await,
            Err(reason) => Ok(refused(reason)),
        }
    }

    /// Like [`Sandbox::validate_rewrite`], on this connection.
    pub async fn validate_rewrite(
        &self,
        original: &str,
        rewritten: &RewriteCandidate,
        cancel: &watch::Receiver<bool>,
    ) -> Result<Verdict, SandboxError> {
        match rewrite::admit(original, rewritten) {
            Ok(trial) => self.run_rewrite(&trial, cancel).await,
            Err(reason) => Ok(refused(reason)),
        }
    }

    /// The underlying client, to inspect the session afterwards (`doctor`,
    /// tests: no open transaction, no prepared statement, no index).
    pub fn client(&self) -> &Client {
        self.session.client()
    }

    pub fn is_broken(&self) -> bool {
        self.session.is_broken()
    }

    async fn run_index(
        &self,
        trial: &index::IndexTrial,
        cancel: &watch::Receiver<bool>,
    ) -> Result<Verdict, SandboxError> {
        index::validate(&self.session, trial, &self.limits, cancel).await
    }

    async fn run_rewrite(
        &self,
        trial: &rewrite::RewriteTrial,
        cancel: &watch::Receiver<bool>,
    ) -> Result<Verdict, SandboxError> {
        rewrite::validate(&self.session, trial, &self.limits, cancel).await
    }
}

/// A candidate refused before anything ran (logged, as DESIGN rule 5 asks).
fn refused(reason: String) -> Verdict {
    tracing::info!(%reason, "candidate refused before reaching the sandbox");
    Verdict::Rejected {
        reason: format!("not run in the sandbox: {reason}"),
    }
}
