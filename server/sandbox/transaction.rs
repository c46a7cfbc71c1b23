//! The sandbox transaction: everything a validation does happens between
//! `BEGIN` and a `ROLLBACK` that runs on every path — success, rejection,
//! SQL error, timeout and cancellation. Rust has no async destructor, so the
//! guard is a function that runs the body and then always rolls back; if
//! the whole validation future is dropped instead, the session stays marked
//! dirty and the next validation rolls back first (and a connection owned by
//! a single validation is simply closed, which aborts the transaction).

use tokio::sync::watch;

use crate::sandbox::SandboxLimits;
use crate::sandbox::error::{SandboxError, Step};
use crate::sandbox::literal::bind_text;
use crate::sandbox::queries;
use crate::sandbox::session::Session;

/// Runs `body` inside a rolled-back transaction with the limits set locally.
/// The body's error wins over a cleanup error (which is logged): it says
/// what went wrong first.
pub(super) async fn rolled_back<T>(
    session: &Session,
    limits: &SandboxLimits,
    cancel: &watch::Receiver<bool>,
    body: impl AsyncFnOnce() -> Result<T, SandboxError>,
) -> Result<T, SandboxError> {
    if session.is_dirty() {
        clean_up(session).await?;
    }
    session.set_dirty(true);
    let outcome = match begin(session, limits, cancel).await {
        Ok(()) => body().await,
        Err(error) => Err(error),
    };
    let cleaned = clean_up(session).await;
    match (outcome, cleaned) {
        (Ok(value), Ok(())) => Ok(value),
        (Ok(_), Err(error)) => Err(error),
        (Err(error), Ok(())) => Err(error),
        (Err(error), Err(cleanup)) => {
            tracing::warn!(%cleanup, "sandbox cleanup failed after an error");
            Err(error)
        }
    }
}

async fn begin(
    session: &Session,
    limits: &SandboxLimits,
    cancel: &watch::Receiver<bool>,
) -> Result<(), SandboxError> {
    session.run(Step::Begin, queries::BEGIN, cancel).await?;
    let statement_timeout = limits.statement_timeout.as_millis().max(1).to_string();
    let lock_timeout = limits.lock_timeout.as_millis().max(1).to_string();
    let set_limits = bind_text(queries::SET_LIMITS, &[&statement_timeout, &lock_timeout]);
    session.run(Step::SetLimits, &set_limits, cancel).await?;
    Ok(())
}

/// `ROLLBACK`, then `DEALLOCATE` if a statement may still be prepared
/// (prepared statements outlive a rollback). A broken connection is left
/// alone: closing it does both.
async fn clean_up(session: &Session) -> Result<(), SandboxError> {
    if session.is_broken() {
        return Ok(());
    }
    match session.run_to_end(Step::RollBack, queries::ROLLBACK).await {
        Ok(_) => {}
        // A cancel request that arrived just as the cancelled statement
        // ended lands on the ROLLBACK instead; the second attempt stands.
        Err(SandboxError::Cancelled { .. }) => {
            session
                .run_to_end(Step::RollBack, queries::ROLLBACK)
                .await?;
        }
        Err(error) => return Err(error),
    }
    if session.is_prepared() {
        match session
            .run_to_end(Step::Deallocate, queries::DEALLOCATE)
            .await
        {
            // Outside a transaction a failed DEALLOCATE harms nothing: the
            // statement was never prepared.
            Ok(_) | Err(SandboxError::Query { .. }) => session.set_prepared(false),
            Err(error) => return Err(error),
        }
    }
    session.set_dirty(false);
    Ok(())
}
