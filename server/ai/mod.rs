//! AI suggestions: an OpenAI-compatible model proposes indexes and a
//! rewrite for a slow statement; the gate lets through only what may reach
//! the sandbox (DESIGN rule 5); the cache keeps the gated answer.
//!
//! Off unless `ai.baseUrl` and `ai.model` are set; nothing else depends on it.
//! What leaves the machine is listed in [`context`].
//!
//! Settings (`optischema.toml`; the same keys in the editor's settings):
//!
//! ```toml
//! # OpenAI: the key is read from $OPENAI_API_KEY, never from a file.
//! [ai]
//! baseUrl = "https://api.openai.com/v1"
//! model = "gpt-4o-mini"
//!
//! # A local server: Ollama (`ollama serve`) …
//! [ai]
//! baseUrl = "http://localhost:11434/v1"
//! model = "qwen2.5-coder:7b"
//!
//! # … or llama.cpp (`llama-server -m model.gguf --port 8080`).
//! [ai]
//! baseUrl = "http://localhost:8080/v1"
//! model = "local"
//! ```
//!
//! Also `ai.apiKeyEnv` (the variable holding the key, default
//! `OPENAI_API_KEY`; unset means no `Authorization` header, which local
//! servers accept), `ai.sendLiterals` (default off), `ai.timeoutSeconds`
//! (default 60) and `ai.maxRequestsPerMinute` (default 20).
//!
//! Flow: [`AiContext::build`] → [`Service::suggestions_for`] (cache, else
//! [`client::AiClient::suggest`] → [`answer`] → [`gate::gate`] → cache) →
//! [`GatedSuggestion`], whose candidates go to the sandbox like rule-based
//! ones. Everything here runs in background tasks; request handlers only
//! read [`Service::cached`].

pub mod answer;
pub mod budget;
pub mod cache;
pub mod cancel;
pub mod client;
pub mod completion;
pub mod context;
pub mod endpoint;
pub mod error;
pub mod gate;
pub mod literals;
pub mod prompt;
pub mod report;
pub mod retry;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

pub use self::answer::RawSuggestion;
pub use self::cache::{CacheKey, SuggestionCache};
use self::cancel::until_cancelled;
pub use self::client::AiClient;
pub use self::context::{AiContext, StatsContext, TableContext};
pub use self::error::{AiError, AiErrorKind};
pub use self::gate::{Dropped, GatedSuggestion, gate};
use self::literals::restore_literals;
use self::report::FailureReporter;
use crate::config::AiSettings;
use crate::sql::fingerprint::Fingerprint;

/// Client, gate and cache together: one per configured endpoint and model.
pub struct Service {
    client: AiClient,
    cache: SuggestionCache,
    reporter: FailureReporter,
    /// One model call per key at a time: a second asker waits for the
    /// first and then finds the cache filled.
    in_flight: Mutex<HashMap<CacheKey, Arc<tokio::sync::Mutex<()>>>>,
}

impl Service {
    /// The service for `settings`; `Ok(None)` when AI is off. `cache_dir`
    /// `None` means the user's cache directory (see [`SuggestionCache::default_dir`]).
    pub fn new(
        settings: &AiSettings,
        cache_dir: Option<PathBuf>,
    ) -> Result<Option<Service>, AiError> {
        let Some(client) = AiClient::new(settings)? else {
            return Ok(None);
        };
        let dir = cache_dir.or_else(SuggestionCache::default_dir);
        Ok(Some(Service::with_parts(client, SuggestionCache::new(dir))))
    }

    pub fn with_parts(client: AiClient, cache: SuggestionCache) -> Service {
        Service {
            client,
            cache,
            reporter: FailureReporter::new(),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    pub fn client(&self) -> &AiClient {
        &self.client
    }

    /// The cache key for a statement with `fingerprint` described by `context`.
    pub fn cache_key(&self, fingerprint: Fingerprint, context: &AiContext) -> CacheKey {
        CacheKey::new(fingerprint, context, self.client.model())
    }

    /// What is already known, from memory only: safe in a request handler.
    pub fn cached(&self, key: &CacheKey, context: &AiContext) -> Option<GatedSuggestion> {
        self.cache
            .get_in_memory(key)
            .map(|gated| for_statement(&gated, context))
    }

    /// Gated suggestions for the statement `context` describes: from the
    /// cache (memory, then disk), else from the model, gated and cached.
    /// Candidates come back in the form of the statement the caller passed
    /// to [`AiContext::build`] — literals put back where the model saw
    /// parameters. `cancel` turning `true` stops the work.
    ///
    /// On an error, [`Service::failure_message`] says whether to tell the user.
    pub async fn suggestions_for(
        &self,
        key: &CacheKey,
        context: &AiContext,
        cancel: &watch::Receiver<bool>,
    ) -> Result<GatedSuggestion, AiError> {
        let turn = self.turn_for(key);
        let result = until_cancelled(cancel, async {
            let _turn = turn.lock().await;
            self.cached_or_asked(key, context, cancel).await
        })
        .await;
        self.finish_turn(key, turn);
        let gated = result?;
        self.reporter.success();
        Ok(for_statement(&gated, context))
    }

    async fn cached_or_asked(
        &self,
        key: &CacheKey,
        context: &AiContext,
        cancel: &watch::Receiver<bool>,
    ) -> Result<Arc<GatedSuggestion>, AiError> {
        if let Some(found) = self.blocking(|service| service.cache.get(key)) {
            tracing::debug!(fingerprint = %key.fingerprint, "AI suggestion from the cache");
            return Ok(found);
        }
        let raw = self.client.suggest(context, cancel).await?;
        let original = context.statement.clone();
        let key = *key;
        Ok(self.blocking(move |service| {
            let gated = gate(raw, &original, service.client.model());
            service.cache.put(key, gated)
        }))
    }

    /// Runs blocking work (disk, libpg_query) so that the async worker's
    /// other tasks move elsewhere meanwhile.
    fn blocking<T>(&self, work: impl FnOnce(&Service) -> T) -> T {
        // `block_in_place` keeps `&self` usable without an `Arc<Service>`;
        // on a current-thread runtime it is not available, so run inline.
        match tokio::runtime::Handle::try_current().map(|handle| handle.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => {
                tokio::task::block_in_place(|| work(self))
            }
            _ => work(self),
        }
    }

    fn turn_for(&self, key: &CacheKey) -> Arc<tokio::sync::Mutex<()>> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        in_flight.entry(*key).or_default().clone()
    }

    fn finish_turn(&self, key: &CacheKey, turn: Arc<tokio::sync::Mutex<()>>) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        drop(turn);
        // Only the map holds it now: nobody else is waiting for this key.
        if in_flight
            .get(key)
            .is_some_and(|turn| Arc::strong_count(turn) == 1)
        {
            in_flight.remove(key);
        }
    }

    /// The message to show for `error`, only the first time such a failure
    /// happens since the last success (`None` otherwise, and for cancellations).
    pub fn failure_message(&self, error: &AiError) -> Option<String> {
        self.reporter.failure(error)
    }
}

/// A cached suggestion in the caller's statement's terms: literals the
/// model saw as parameters put back into the rewrite and index texts.
fn for_statement(gated: &GatedSuggestion, context: &AiContext) -> GatedSuggestion {
    let mut shaped = gated.clone();
    if context.literals.is_empty() {
        return shaped;
    }
    let restore = |text: &mut String| *text = restore_literals(text, &context.literals);
    if let Some(rewrite) = &mut shaped.rewrite {
        restore(&mut rewrite.text);
    }
    for index in &mut shaped.indexes {
        restore(&mut index.definition);
        index.columns.iter_mut().for_each(restore);
    }
    shaped
}
