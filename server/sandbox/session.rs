//! One sandbox connection: every statement goes through [`Session::run`],
//! which honours cancellation (by asking the server to cancel the running
//! statement) and a client-side deadline, and remembers when the connection
//! can no longer be trusted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio_postgres::{CancelToken, Client, SimpleQueryMessage};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::db::{self, ConnSpec, ConnectError, SessionPurpose, tls};
use crate::sandbox::SandboxLimits;
use crate::sandbox::error::{SandboxError, Step};
use crate::sandbox::queries;

/// How long sending a cancel request, and then the cancelled statement's
/// end, may each take before the connection is given up.
const CANCEL_GRACE: Duration = Duration::from_secs(5);
/// Added to `statement_timeout` for the client-side deadline, which only
/// matters when the server or the network stops answering.
const DEADLINE_SLACK: Duration = Duration::from_secs(10);

pub(super) struct Session {
    client: Client,
    cancel_token: CancelToken,
    tls: MakeRustlsConnect,
    deadline: Duration,
    /// A statement could not be stopped, or the connection failed: nothing
    /// more may be sent. Dropping the connection ends the server session,
    /// which aborts its transaction and forgets its prepared statements.
    broken: AtomicBool,
    /// A validation began and has not rolled back yet (its future may have
    /// been dropped): roll back before the next one.
    dirty: AtomicBool,
    /// `PREPARE` was sent and `DEALLOCATE` has not succeeded yet.
    prepared: AtomicBool,
}

/// Why a running statement was interrupted.
enum Interruption {
    Cancelled,
    Deadline,
}

impl Session {
    pub(super) async fn open(
        spec: &ConnSpec,
        limits: &SandboxLimits,
    ) -> Result<Session, SandboxError> {
        let purpose = SessionPurpose::Sandbox {
            statement_timeout: limits.statement_timeout,
            lock_timeout: limits.lock_timeout,
        };
        let client = db::connect(spec, purpose).await?;
        let tls = tls::tls_setup(spec).map_err(|error| ConnectError::tls_setup(spec, &error))?;
        Ok(Session {
            cancel_token: client.cancel_token(),
            client,
            tls: tls.connector,
            deadline: limits.statement_timeout + DEADLINE_SLACK,
            broken: AtomicBool::new(false),
            dirty: AtomicBool::new(false),
            prepared: AtomicBool::new(false),
        })
    }

    pub(super) fn client(&self) -> &Client {
        &self.client
    }

    pub(super) fn is_broken(&self) -> bool {
        self.broken.load(Ordering::SeqCst) || self.client.is_closed()
    }

    /// Runs `sql` (one or more statements, simple protocol). Cancellation
    /// asks the server to stop the statement and waits for it to end, so a
    /// late cancel cannot hit the ROLLBACK that follows.
    pub(super) async fn run(
        &self,
        step: Step,
        sql: &str,
        cancel: &watch::Receiver<bool>,
    ) -> Result<Vec<SimpleQueryMessage>, SandboxError> {
        if self.is_broken() {
            return Err(SandboxError::ConnectionLost {
                step,
                detail: "an earlier failure left the connection unusable".into(),
            });
        }
        if *cancel.borrow() {
            return Err(SandboxError::Cancelled { step });
        }
        let query = self.client.simple_query(sql);
        tokio::pin!(query);
        let mut watcher = cancel.clone();
        let interruption = tokio::select! {
            result = &mut query => return result.map_err(|error| self.failure(step, &error)),
            () = cancellation(&mut watcher) => Interruption::Cancelled,
            () = tokio::time::sleep(self.deadline) => Interruption::Deadline,
        };
        let request = self.cancel_token.cancel_query(self.tls.clone());
        match tokio::time::timeout(CANCEL_GRACE, request).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "could not cancel the sandbox statement"),
            Err(_) => tracing::warn!("the sandbox's cancel request timed out"),
        }
        if tokio::time::timeout(CANCEL_GRACE, &mut query)
            .await
            .is_err()
        {
            self.broken.store(true, Ordering::SeqCst);
        }
        Err(match interruption {
            Interruption::Cancelled => SandboxError::Cancelled { step },
            Interruption::Deadline => SandboxError::Timeout {
                step,
                detail: format!("no answer within {} s", self.deadline.as_secs()),
            },
        })
    }

    /// Like [`Session::run`], for cleanup that must not be cancelled.
    pub(super) async fn run_to_end(
        &self,
        step: Step,
        sql: &str,
    ) -> Result<Vec<SimpleQueryMessage>, SandboxError> {
        let (_keep_open, never) = watch::channel(false);
        self.run(step, sql, &never).await
    }

    /// Runs `sql` inside a savepoint, for steps whose failure is tolerable
    /// (sampling): a failed statement is rolled back to the savepoint and
    /// reported as `None`, leaving the transaction usable. Cancellation and
    /// lost connections are still errors.
    pub(super) async fn run_tolerant(
        &self,
        step: Step,
        sql: &str,
        cancel: &watch::Receiver<bool>,
    ) -> Result<Option<Vec<SimpleQueryMessage>>, SandboxError> {
        self.run(step, queries::SAVEPOINT, cancel).await?;
        match self.run(step, sql, cancel).await {
            Ok(messages) => {
                self.run(step, queries::RELEASE_SAVEPOINT, cancel).await?;
                Ok(Some(messages))
            }
            Err(
                SandboxError::Query { message, .. }
                | SandboxError::Timeout {
                    detail: message, ..
                },
            ) => {
                tracing::debug!(%step, %message, "tolerated sandbox failure");
                self.run(step, queries::ROLLBACK_TO_SAVEPOINT, cancel)
                    .await?;
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// The first column of every row `sql` returns.
    pub(super) async fn column(
        &self,
        step: Step,
        sql: &str,
        cancel: &watch::Receiver<bool>,
    ) -> Result<Vec<Option<String>>, SandboxError> {
        Ok(first_column(&self.run(step, sql, cancel).await?))
    }

    fn failure(&self, step: Step, error: &tokio_postgres::Error) -> SandboxError {
        let error = SandboxError::from_postgres(step, error);
        if matches!(error, SandboxError::ConnectionLost { .. }) {
            self.broken.store(true, Ordering::SeqCst);
        }
        error
    }

    pub(super) fn set_dirty(&self, dirty: bool) {
        self.dirty.store(dirty, Ordering::SeqCst);
    }

    pub(super) fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::SeqCst)
    }

    pub(super) fn set_prepared(&self, prepared: bool) {
        self.prepared.store(prepared, Ordering::SeqCst);
    }

    pub(super) fn is_prepared(&self) -> bool {
        self.prepared.load(Ordering::SeqCst)
    }
}

/// The first column of every row in `messages`.
pub(super) fn first_column(messages: &[SimpleQueryMessage]) -> Vec<Option<String>> {
    messages
        .iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => Some(row.try_get(0).ok().flatten().map(str::to_owned)),
            _ => None,
        })
        .collect()
}

/// Resolves once `watcher` says "cancel"; never if its sender is dropped
/// without cancelling.
async fn cancellation(watcher: &mut watch::Receiver<bool>) {
    if watcher.wait_for(|&cancelled| cancelled).await.is_err() {
        std::future::pending::<()>().await;
    }
}
