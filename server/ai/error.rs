//! What can go wrong when asking the model, in words a user can act on.
//!
//! No message ever contains the API key: the key travels only in the
//! `Authorization` header, and text that comes back from the endpoint is
//! passed through [`redact`] before it is kept.

use thiserror::Error;

/// A failed AI request.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AiError {
    /// The settings cannot work (e.g. the base URL is not a URL).
    #[error("AI settings: {0}")]
    Settings(String),
    /// No connection could be made.
    #[error("cannot reach the model endpoint {endpoint}: {detail}")]
    Unreachable { endpoint: String, detail: String },
    /// The endpoint did not answer in time.
    #[error("the model endpoint did not answer within {seconds} s")]
    Timeout { seconds: f64 },
    /// The endpoint answered with an error status.
    #[error("the model endpoint answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    /// The answer arrived but cannot be used.
    #[error("the model's answer cannot be used: {0}")]
    InvalidAnswer(String),
    /// `ai.maxRequestsPerMinute` is used up; nothing was sent.
    #[error(
        "the AI request budget ({per_minute} per minute, ai.maxRequestsPerMinute) is used up; \
         suggestions resume within a minute"
    )]
    Budget { per_minute: u32 },
    /// The user moved on before the answer came.
    #[error("the AI request was cancelled")]
    Cancelled,
}

/// Failures grouped the way a user sees them: one message per kind until a
/// request succeeds again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AiErrorKind {
    Settings,
    Unreachable,
    Timeout,
    Http(u16),
    InvalidAnswer,
    Budget,
    Cancelled,
}

impl AiError {
    pub fn kind(&self) -> AiErrorKind {
        match self {
            AiError::Settings(_) => AiErrorKind::Settings,
            AiError::Unreachable { .. } => AiErrorKind::Unreachable,
            AiError::Timeout { .. } => AiErrorKind::Timeout,
            AiError::Http { status, .. } => AiErrorKind::Http(*status),
            AiError::InvalidAnswer(_) => AiErrorKind::InvalidAnswer,
            AiError::Budget { .. } => AiErrorKind::Budget,
            AiError::Cancelled => AiErrorKind::Cancelled,
        }
    }
}

/// At most this many characters of a server's own error message are kept.
const MAX_MESSAGE_CHARS: usize = 300;

/// Text from the endpoint made safe to show: the key removed wherever it
/// appears (some servers echo it back), control characters replaced, and
/// cut to a short line.
pub fn redact(text: &str, secret: Option<&str>) -> String {
    let without_secret = match secret {
        Some(secret) if !secret.is_empty() => text.replace(secret, "<redacted>"),
        _ => text.to_owned(),
    };
    let mut line: String = without_secret
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE_CHARS)
        .collect();
    if without_secret.chars().count() > MAX_MESSAGE_CHARS {
        line.push('…');
    }
    line.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_removes_the_secret_and_control_characters() {
        let text = "Incorrect API key provided: sk-test-123.\n\u{1b}[31mbye";
        let shown = redact(text, Some("sk-test-123"));
        assert!(!shown.contains("sk-test-123"), "{shown}");
        assert!(
            !shown.contains('\n') && !shown.contains('\u{1b}'),
            "{shown}"
        );
    }

    #[test]
    fn redact_cuts_long_messages() {
        let shown = redact(&"x".repeat(10_000), None);
        assert!(shown.chars().count() <= MAX_MESSAGE_CHARS + 1);
        assert!(shown.ends_with('…'));
    }
}
