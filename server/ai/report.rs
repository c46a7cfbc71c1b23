//! Failures reach the user once, in words — not once per request.
//!
//! The first failure of each kind (unreachable, timeout, HTTP 401, budget,
//! …) gets a message; repeats stay quiet until a request succeeds again.
//! Cancellations are never told: the user caused them by moving on.

use std::collections::HashSet;
use std::sync::Mutex;

use super::error::{AiError, AiErrorKind};

#[derive(Debug, Default)]
pub struct FailureReporter {
    told: Mutex<HashSet<AiErrorKind>>,
}

impl FailureReporter {
    pub fn new() -> FailureReporter {
        FailureReporter::default()
    }

    /// The message to show for `error`, or `None` when this kind of
    /// failure was already told since the last success.
    pub fn failure(&self, error: &AiError) -> Option<String> {
        if *error == AiError::Cancelled {
            return None;
        }
        let mut told = self.told.lock().unwrap_or_else(|p| p.into_inner());
        told.insert(error.kind())
            .then(|| format!("AI suggestions are unavailable: {error}"))
    }

    /// A request worked: the next failure of any kind is told again.
    pub fn success(&self) {
        self.told.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_told_once_until_a_success() {
        let reporter = FailureReporter::new();
        let timeout = AiError::Timeout { seconds: 5.0 };
        let unauthorized = AiError::Http {
            status: 401,
            message: "bad key".into(),
        };
        let message = reporter.failure(&timeout).unwrap();
        assert!(message.contains("did not answer within 5 s"), "{message}");
        assert_eq!(reporter.failure(&timeout), None);
        assert!(reporter.failure(&unauthorized).is_some());
        assert_eq!(reporter.failure(&unauthorized), None);
        reporter.success();
        assert!(reporter.failure(&timeout).is_some());
    }

    #[test]
    fn cancellations_are_never_told() {
        let reporter = FailureReporter::new();
        assert_eq!(reporter.failure(&AiError::Cancelled), None);
    }
}
