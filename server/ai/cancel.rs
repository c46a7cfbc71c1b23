//! Cancellation: the caller's `watch::Receiver<bool>` turning `true` (the
//! user moved on) drops the work in flight — the same signal the sandbox takes.

use std::future::Future;

use tokio::sync::watch;

use super::error::AiError;

/// Resolves once `cancel` is `true`; never, if its sender is dropped first.
pub async fn cancelled(cancel: &watch::Receiver<bool>) {
    let mut cancel = cancel.clone();
    loop {
        if *cancel.borrow_and_update() {
            return;
        }
        if cancel.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Runs `work` unless `cancel` comes first; the work is then dropped,
/// which aborts any HTTP request it has in flight.
pub async fn until_cancelled<T>(
    cancel: &watch::Receiver<bool>,
    work: impl Future<Output = Result<T, AiError>>,
) -> Result<T, AiError> {
    if *cancel.borrow() {
        return Err(AiError::Cancelled);
    }
    tokio::select! {
        biased;
        () = cancelled(cancel) => Err(AiError::Cancelled),
        result = work => result,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn cancelling_drops_the_work() {
        let (sender, receiver) = watch::channel(false);
        let work = async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(())
        };
        let cancel_soon = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = sender.send(true);
        };
        let (result, ()) = tokio::join!(until_cancelled(&receiver, work), cancel_soon);
        assert_eq!(result, Err(AiError::Cancelled));
    }

    #[tokio::test]
    async fn a_dropped_sender_never_cancels() {
        let (sender, receiver) = watch::channel(false);
        drop(sender);
        let result = until_cancelled(&receiver, async { Ok(7) }).await;
        assert_eq!(result, Ok(7));
    }

    #[tokio::test]
    async fn already_cancelled_work_does_not_start() {
        let (_sender, receiver) = watch::channel(true);
        let result: Result<(), AiError> =
            until_cancelled(&receiver, async { panic!("must not run") }).await;
        assert_eq!(result, Err(AiError::Cancelled));
    }
}
