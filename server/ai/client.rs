//! The HTTP client for any OpenAI-compatible chat-completions endpoint.
//!
//! Reliability: a connect timeout and a whole-response timeout; retries
//! with exponential backoff and jitter on 429, 5xx and failed connects,
//! honouring `Retry-After`; at most [`MAX_CONCURRENT_REQUESTS`] requests at
//! once; a per-minute budget that fails fast instead of queueing; and
//! cancellation that drops the request in flight.
//!
//! The API key is read once, from the environment variable named by
//! `ai.apiKeyEnv`, and only ever placed in the `Authorization` header.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use tokio::sync::{Semaphore, watch};

use super::answer::{RawSuggestion, parse_answer};
use super::budget::Budget;
use super::cancel::until_cancelled;
use super::completion::{describe_error_body, parse_completion};
use super::context::AiContext;
use super::endpoint::{endpoint_url, shown_endpoint};
use super::error::{AiError, redact};
use super::prompt::{ResponseFormat, request_body};
use super::retry::{RetryPolicy, parse_retry_after};
use crate::config::AiSettings;

/// How long establishing a connection may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Requests in flight at once, across all statements.
pub const MAX_CONCURRENT_REQUESTS: usize = 2;
/// Larger responses are refused (an answer is a few kilobytes).
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// The API key: kept out of every `Debug` and `Display`.
struct ApiKey(String);

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A client for one endpoint and model.
pub struct AiClient {
    http: reqwest::Client,
    url: Url,
    /// The endpoint as shown in messages (no user info, no query).
    shown_endpoint: String,
    model: String,
    api_key: Option<ApiKey>,
    api_key_env: String,
    timeout: Duration,
    retry: RetryPolicy,
    permits: Semaphore,
    budget: Budget,
    /// The strictest answer format this endpoint accepted so far.
    format: Mutex<ResponseFormat>,
}

impl fmt::Debug for AiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AiClient")
            .field("endpoint", &self.shown_endpoint)
            .field("model", &self.model)
            .field("api_key", &self.api_key)
            .field("api_key_env", &self.api_key_env)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// One attempt's failure, and what to do about it.
enum Attempt {
    /// Worth retrying (429, 5xx, no connection), after the server's delay if it named one.
    Retry {
        error: AiError,
        retry_after: Option<Duration>,
    },
    /// HTTP 400 about `response_format`: try a looser format.
    FormatRejected(AiError),
    Fail(AiError),
}

impl AiClient {
    /// A client for `settings`; `Ok(None)` when AI is not configured. The
    /// key is read from the environment variable `settings.api_key_env`;
    /// when it is unset, requests go without `Authorization` (local servers
    /// such as Ollama need none).
    pub fn new(settings: &AiSettings) -> Result<Option<AiClient>, AiError> {
        let key = std::env::var(&settings.api_key_env)
            .ok()
            .filter(|key| !key.trim().is_empty());
        AiClient::with_key(settings, key)
    }

    /// Like [`AiClient::new`] with the key given (tests, embedders).
    pub fn with_key(
        settings: &AiSettings,
        key: Option<String>,
    ) -> Result<Option<AiClient>, AiError> {
        let (Some(base_url), Some(model)) = (&settings.base_url, &settings.model) else {
            return Ok(None);
        };
        let url = endpoint_url(base_url)?;
        let timeout = Duration::try_from_secs_f64(settings.timeout_seconds)
            .ok()
            .filter(|timeout| !timeout.is_zero())
            .unwrap_or(Duration::from_secs(60));
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(timeout)
            .build()
            .map_err(|error| AiError::Settings(format!("cannot set up HTTP: {error}")))?;
        Ok(Some(AiClient {
            http,
            shown_endpoint: shown_endpoint(&url),
            url,
            model: model.clone(),
            api_key: key.map(ApiKey),
            api_key_env: settings.api_key_env.clone(),
            timeout,
            retry: RetryPolicy::default(),
            permits: Semaphore::new(MAX_CONCURRENT_REQUESTS),
            budget: Budget::new(settings.max_requests_per_minute),
            format: Mutex::new(ResponseFormat::JsonSchema),
        }))
    }

    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> AiClient {
        self.retry = retry;
        self
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    /// The endpoint requests go to, as shown to users.
    pub fn endpoint(&self) -> &str {
        &self.shown_endpoint
    }

    /// Asks the model about `context`. Returns the parsed, *ungated* answer.
    /// `cancel` turning `true` drops the request at once.
    pub async fn suggest(
        &self,
        context: &AiContext,
        cancel: &watch::Receiver<bool>,
    ) -> Result<RawSuggestion, AiError> {
        until_cancelled(cancel, self.suggest_with_retries(context)).await
    }

    async fn suggest_with_retries(&self, context: &AiContext) -> Result<RawSuggestion, AiError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AiError::Cancelled)?;
        let mut format = self.current_format();
        let mut retries = 0;
        loop {
            if !self.budget.try_take(Instant::now()) {
                return Err(AiError::Budget {
                    per_minute: self.budget.per_minute(),
                });
            }
            let body = request_body(&self.model, context, format).to_string();
            tracing::debug!(
                endpoint = %self.shown_endpoint,
                model = %self.model,
                ?format,
                "asking the model"
            );
            let (error, retry_after) = match self.attempt(body).await {
                Ok(suggestion) => return Ok(suggestion),
                Err(Attempt::Fail(error)) => return Err(error),
                Err(Attempt::FormatRejected(error)) => {
                    let Some(looser) = format.fallback() else {
                        return Err(error);
                    };
                    tracing::info!(
                        endpoint = %self.shown_endpoint,
                        from = ?format,
                        to = ?looser,
                        "the endpoint rejects the answer format; trying a looser one"
                    );
                    format = looser;
                    *self.format.lock().unwrap_or_else(|p| p.into_inner()) = looser;
                    continue;
                }
                Err(Attempt::Retry { error, retry_after }) => (error, retry_after),
            };
            if retries >= self.retry.max_retries {
                return Err(error);
            }
            let delay = match retry_after {
                None => self.retry.backoff(retries),
                Some(asked) => match self.retry.server_delay(asked) {
                    Some(delay) => delay,
                    None => return Err(with_wait_note(error, asked)),
                },
            };
            retries += 1;
            tracing::warn!(
                %error,
                retry = retries,
                delay_ms = delay.as_millis() as u64,
                "AI request failed; retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    fn current_format(&self) -> ResponseFormat {
        *self.format.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn attempt(&self, body: String) -> Result<RawSuggestion, Attempt> {
        let mut request = self
            .http
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(key) = &self.api_key {
            // reqwest marks the header sensitive: it is never logged.
            request = request.bearer_auth(&key.0);
        }
        let mut response = request
            .send()
            .await
            .map_err(|error| self.send_failure(&error))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let body = self.read_body(&mut response).await.map_err(Attempt::Fail)?;
        if status.is_success() {
            return self.answer_from(&body).map_err(Attempt::Fail);
        }
        let error = AiError::Http {
            status: status.as_u16(),
            message: self.error_message(status, &body),
        };
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            Err(Attempt::Retry { error, retry_after })
        } else if status == StatusCode::BAD_REQUEST && mentions_response_format(&body) {
            Err(Attempt::FormatRejected(error))
        } else {
            Err(Attempt::Fail(error))
        }
    }

    fn send_failure(&self, error: &reqwest::Error) -> Attempt {
        if error.is_timeout() && !error.is_connect() {
            return Attempt::Fail(AiError::Timeout {
                seconds: self.timeout.as_secs_f64(),
            });
        }
        let unreachable = AiError::Unreachable {
            endpoint: self.shown_endpoint.clone(),
            detail: self.secret_free(&root_cause(error)),
        };
        if error.is_connect() {
            Attempt::Retry {
                error: unreachable,
                retry_after: None,
            }
        } else {
            Attempt::Fail(unreachable)
        }
    }

    /// The body, up to [`MAX_RESPONSE_BYTES`].
    async fn read_body(&self, response: &mut reqwest::Response) -> Result<Vec<u8>, AiError> {
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                        return Err(AiError::InvalidAnswer(format!(
                            "the response is larger than {} kB",
                            MAX_RESPONSE_BYTES / 1024
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(error) if error.is_timeout() => {
                    return Err(AiError::Timeout {
                        seconds: self.timeout.as_secs_f64(),
                    });
                }
                Err(error) => {
                    return Err(AiError::Unreachable {
                        endpoint: self.shown_endpoint.clone(),
                        detail: self.secret_free(&root_cause(&error)),
                    });
                }
            }
        }
    }

    fn answer_from(&self, body: &[u8]) -> Result<RawSuggestion, AiError> {
        let invalid = |message: String| AiError::InvalidAnswer(self.secret_free(&message));
        let completion = parse_completion(body).map_err(invalid)?;
        // A hostile endpoint knows the key; it must not reach logs through the answer.
        let content = match &self.api_key {
            Some(key) => completion.content.replace(&key.0, "<redacted>"),
            None => completion.content,
        };
        parse_answer(&content).map_err(|error| {
            if completion.truncated {
                invalid(format!("{error} (the model stopped at its length limit)"))
            } else {
                invalid(error)
            }
        })
    }

    fn error_message(&self, status: StatusCode, body: &[u8]) -> String {
        let message = self.secret_free(&describe_error_body(body));
        let hint = match (status, &self.api_key) {
            (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN, None) => format!(
                " (no API key was sent: the environment variable {} is not set)",
                self.api_key_env
            ),
            (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN, Some(_)) => {
                format!(
                    " (check the key in the environment variable {})",
                    self.api_key_env
                )
            }
            _ => String::new(),
        };
        format!("{message}{hint}")
    }

    fn secret_free(&self, text: &str) -> String {
        redact(text, self.api_key.as_ref().map(|key| key.0.as_str()))
    }
}

/// The innermost cause (e.g. "Connection refused (os error 111)"): reqwest's
/// own message only repeats the URL.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

fn mentions_response_format(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body).to_ascii_lowercase();
    [
        "response_format",
        "json_schema",
        "json_object",
        "response format",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

fn with_wait_note(error: AiError, asked: Duration) -> AiError {
    match error {
        AiError::Http { status, message } => AiError::Http {
            status,
            message: format!("{message} (the server asks to wait {} s)", asked.as_secs()),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(base_url: &str) -> AiSettings {
        AiSettings {
            base_url: Some(base_url.into()),
            model: Some("m".into()),
            ..AiSettings::default()
        }
    }

    #[test]
    fn off_unless_configured() {
        assert!(AiClient::new(&AiSettings::default()).unwrap().is_none());
    }

    #[test]
    fn the_key_comes_from_the_named_environment_variable_and_is_never_shown() {
        let Ok(value) = std::env::var("PATH") else {
            return;
        };
        let mut with_env = settings("http://127.0.0.1:9/v1");
        with_env.api_key_env = "PATH".into();
        let client = AiClient::new(&with_env).unwrap().unwrap();
        assert_eq!(
            client.api_key.as_ref().map(|key| key.0.as_str()),
            Some(value.as_str())
        );
        let shown = format!("{client:?}");
        assert!(!shown.contains(&value), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn response_format_complaints_are_recognized() {
        assert!(mentions_response_format(
            br#"{"error":{"message":"Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model."}}"#
        ));
        assert!(!mentions_response_format(br#"{"error":"model not found"}"#));
    }
}
