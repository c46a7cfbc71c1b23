//! Connects the statistics collector to the server: starts it from the
//! settings, restarts it when they change, and turns its events into
//! snapshots, re-published diagnostics, refreshed code lenses and messages.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tower_lsp_server::ls_types::{MessageType, Uri};

use super::publish;
use super::state::ServerState;
use crate::config::Settings;
use crate::db::ConnSpec;
use crate::stats::collector::{self, CollectorConfig, CollectorEvent, CollectorHandle};
use crate::stats::snapshot::Snapshot;
use crate::stats::store::HistoryStore;

/// The running collector and what it was started with.
pub struct RunningCollector {
    handle: CollectorHandle,
    key: String,
}

/// Where to connect: the settings' URL, else `DATABASE_URL` / `PG*`.
fn connection(settings: &Settings) -> Result<Option<ConnSpec>, String> {
    match &settings.database_url {
        Some(url) => ConnSpec::parse(url)
            .map(Some)
            .map_err(|e| format!("database.url: {e}")),
        None => {
            ConnSpec::from_environment().map_err(|e| format!("DATABASE_URL / PG* variables: {e}"))
        }
    }
}

fn collector_config(settings: &Settings, spec: ConnSpec) -> CollectorConfig {
    let seconds = settings.stats_interval_seconds;
    let interval = if seconds.is_finite() {
        seconds.clamp(0.2, 3600.0)
    } else {
        10.0
    };
    CollectorConfig {
        spec,
        interval: Duration::from_secs_f64(interval),
        catalog_refresh: Duration::from_secs_f64(if settings.catalog_refresh_seconds.is_finite() {
            settings.catalog_refresh_seconds.clamp(1.0, 86_400.0)
        } else {
            60.0
        }),
        history_dir: settings
            .history_dir
            .clone()
            .or_else(HistoryStore::default_dir),
    }
}

/// Rebuilds the advisor for `settings` (no I/O: connections open on use).
pub fn refresh_advisor(
    state: &ServerState,
    settings: &Settings,
    spec: Option<ConnSpec>,
) -> Result<(), String> {
    // The advisor keeps its analyses: rebuild it only when what it works
    // with changed (a password shows only as its length).
    let key = format!(
        "{:?} {:?} {:?} {:?} {:?} {}",
        spec.as_ref().map(|spec| spec.redacted()),
        spec.as_ref().map(|spec| spec.password().map(str::len)),
        settings
            .sandbox_url
            .as_ref()
            .map(|url| ConnSpec::parse(url).map(|s| s.redacted()).ok()),
        settings.ai,
        settings.thresholds,
        settings.advisor_min_improvement_percent
    );
    let previous = state.swap_advisor_key(key.clone());
    if previous == key && state.advisor().is_some() {
        return Ok(());
    }
    match super::advice::advisor_for(settings, spec) {
        Ok(advisor) => {
            state.set_advisor(advisor);
            Ok(())
        }
        Err(message) => {
            state.set_advisor(None);
            Err(message)
        }
    }
}

/// The advisor as soon as `initialize` knows the settings, so that code
/// actions are there before the collector has started.
pub fn initial_advisor(state: &ServerState) {
    let settings = state.settings();
    let spec = connection(&settings).ok().flatten();
    if let Err(message) = refresh_advisor(state, &settings, spec) {
        state.defer_message(format!("OptiSchema: {message}"));
    }
}

/// Starts, restarts or stops the collector to match the current settings.
pub async fn reconcile(state: &Arc<ServerState>) {
    let settings = state.settings();
    let spec = match connection(&settings) {
        Ok(spec) => spec,
        Err(message) => {
            state
                .client
                .show_message(MessageType::ERROR, format!("OptiSchema: {message}"))
                .await;
            None
        }
    };
    if let Err(message) = refresh_advisor(state, &settings, spec.clone()) {
        state
            .client
            .show_message(MessageType::ERROR, format!("OptiSchema: {message}"))
            .await;
    }
    let desired = spec.map(|spec| collector_config(&settings, spec));
    // The key covers everything the collector was started with; the
    // password-free rendering keeps secrets out of it.
    let key = desired.as_ref().map(|config| {
        format!(
            "{} {:?} {:?} {:?}",
            config.spec.redacted(),
            config.spec.password().map(|p| p.len()),
            config.interval,
            config.history_dir
        )
    });
    let mut running = state.collector.lock().await;
    if key.is_some() && running.as_ref().map(|r| &r.key) == key.as_ref() {
        return;
    }
    if let Some(previous) = running.take() {
        previous.handle.stop().await;
    }
    let Some((config, key)) = desired.zip(key) else {
        state.set_snapshot(Arc::new(Snapshot::empty()));
        state.tell_once_no_database().await;
        return;
    };
    tracing::info!("collecting statistics from {}", config.spec.redacted());
    let (events, receiver) = mpsc::unbounded_channel();
    let handle = collector::spawn(config, events);
    tokio::spawn(handle_events(state.clone(), receiver));
    *running = Some(RunningCollector { handle, key });
}

/// Stops the collector (saving its history), e.g. at shutdown.
pub async fn stop(state: &ServerState) {
    if let Some(running) = state.collector.lock().await.take() {
        running.handle.stop().await;
    }
}

async fn handle_events(
    state: Arc<ServerState>,
    mut events: mpsc::UnboundedReceiver<CollectorEvent>,
) {
    while let Some(event) = events.recv().await {
        match event {
            CollectorEvent::Snapshot(snapshot) => apply_snapshot(&state, snapshot).await,
            CollectorEvent::Problem(message) => {
                state
                    .client
                    .show_message(MessageType::WARNING, message)
                    .await
            }
            CollectorEvent::Notice(message) => {
                state
                    .client
                    .show_message(MessageType::WARNING, message)
                    .await
            }
            CollectorEvent::Recovered(message) => {
                state.client.show_message(MessageType::INFO, message).await
            }
        }
    }
}

/// Installs a snapshot and refreshes what shows its numbers: diagnostics of
/// documents whose numbers changed, and code lenses when any did.
async fn apply_snapshot(state: &Arc<ServerState>, snapshot: Arc<Snapshot>) {
    let previous = state.snapshot();
    // Identifier matches found earlier stay with the new numbers.
    let aliases = super::queryid_match::aliases_for(state, &snapshot);
    let snapshot = if aliases.is_empty() {
        snapshot
    } else {
        Arc::new(Snapshot {
            aliases: Arc::new(aliases),
            ..Snapshot::clone(&snapshot)
        })
    };
    state.set_snapshot(snapshot.clone());
    super::queryid_match::schedule(state, &snapshot);
    let indexes_appeared = super::impact::observe(state, &snapshot);
    let changed: Vec<Uri> = state
        .documents
        .iter()
        .filter(|entry| {
            let status_changed = previous.status != snapshot.status;
            status_changed
                || indexes_appeared
                || entry.value().statements().iter().any(|statement| {
                    let fingerprint = statement.analysis.fingerprint;
                    previous.stats_for(fingerprint).map(|(_, s)| s)
                        != snapshot.stats_for(fingerprint).map(|(_, s)| s)
                })
        })
        .map(|entry| entry.key().clone())
        .collect();
    if changed.is_empty() {
        return;
    }
    for uri in changed {
        publish::publish_current(state, uri).await;
    }
    if state.client_supports_lens_refresh() {
        let _ = state.client.code_lens_refresh().await;
    }
}
