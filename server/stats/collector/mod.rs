//! The statistics collector: a background task that polls pg_stat_statements
//! on a read-only session, keeps history, and hands out snapshots.
//!
//! It reconnects with capped exponential backoff and reports each problem
//! once (not on every poll); the last numbers stay available, marked stale.

mod backoff;
mod poll;
mod reporter;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::db::ConnSpec;
use crate::stats::history::History;
use crate::stats::snapshot::{ConnectionStatus, Snapshot, Windows};
use crate::stats::source::StatsSource;
use crate::stats::store::HistoryStore;

use backoff::Backoff;
pub use poll::{PollState, unix_seconds};
use reporter::Reporter;

/// Save history about once a minute (and when stopping).
const SAVE_SECONDS: f64 = 60.0;
/// Prune and downsample about every ten minutes.
const PRUNE_SECONDS: f64 = 600.0;

/// What the collector needs.
#[derive(Debug, Clone)]
pub struct CollectorConfig {
    pub spec: ConnSpec,
    pub interval: Duration,
    /// Where history is kept; `None` disables persistence.
    pub history_dir: Option<PathBuf>,
    /// How often to re-read the catalog (it changes rarely and costs more
    /// than a poll on large schemas).
    pub catalog_refresh: Duration,
}

/// What the collector tells the server.
#[derive(Debug, Clone)]
pub enum CollectorEvent {
    /// New numbers (or a new status).
    Snapshot(Arc<Snapshot>),
    /// Something the user should know once, e.g. the database is down.
    Problem(String),
    /// A problem went away.
    Recovered(String),
    /// A non-fatal note, e.g. missing privileges.
    Notice(String),
}

/// A running collector; stopping it saves the history.
pub struct CollectorHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl CollectorHandle {
    /// Stops the collector and waits until it has saved its history.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Starts the collector; events arrive on `events`.
pub fn spawn(
    config: CollectorConfig,
    events: mpsc::UnboundedSender<CollectorEvent>,
) -> CollectorHandle {
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(run(config, Reporter::new(events), stopped));
    CollectorHandle { stop, task }
}

/// Sleeps for `duration` unless asked to stop; returns whether to stop.
async fn sleep_or_stop(duration: Duration, stopped: &mut watch::Receiver<bool>) -> bool {
    if *stopped.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(duration) => false,
        _ = stopped.changed() => true,
    }
}

fn every(interval: Duration, seconds: f64) -> u64 {
    ((seconds / interval.as_secs_f64().max(0.001)).round() as u64).max(1)
}

async fn run(config: CollectorConfig, mut reporter: Reporter, mut stopped: watch::Receiver<bool>) {
    let windows = Windows::for_interval(config.interval.as_secs_f64());
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    let mut state: Option<(
        PollState,
        Option<HistoryStore>,
        crate::stats::model::DatabaseIdentity,
    )> = None;
    let mut last_snapshot = Arc::new(Snapshot {
        status: ConnectionStatus::Connecting,
        windows,
        ..Snapshot::empty()
    });
    reporter.snapshot(&last_snapshot);
    loop {
        let source = match StatsSource::connect(&config.spec).await {
            Ok(source) => source,
            Err(error) => {
                let reason = error.to_string();
                let status = match last_snapshot.status {
                    ConnectionStatus::Live | ConnectionStatus::Stale { .. } => {
                        ConnectionStatus::Stale {
                            reason: reason.clone(),
                        }
                    }
                    _ => ConnectionStatus::Unavailable {
                        reason: reason.clone(),
                    },
                };
                last_snapshot = with_status(&last_snapshot, status);
                reporter.problem(&format!(
                    "OptiSchema cannot read statistics from {}: {reason}",
                    config.spec.redacted()
                ));
                reporter.snapshot(&last_snapshot);
                if sleep_or_stop(backoff.next_delay(), &mut stopped).await {
                    break;
                }
                continue;
            }
        };
        for warning in source.warnings() {
            reporter.notice(&format!("OptiSchema: {warning}"));
        }
        let identity = source.identity().clone();
        if state
            .as_ref()
            .is_none_or(|(_, _, known)| *known != identity)
        {
            if let Some((old, store, _)) = state.take() {
                save(&old, store.as_ref());
            }
            state = Some(open_state(&config, &identity, windows, &mut reporter));
        }
        let Some((poll_state, store, _)) = state.as_mut() else {
            break;
        };
        // A reconnect may reach a restarted server: its counters are
        // compared afresh against the last ones seen.
        match poll_loop(
            &config,
            &source,
            poll_state,
            store.as_ref(),
            &mut reporter,
            &mut last_snapshot,
            &mut backoff,
            &mut stopped,
        )
        .await
        {
            LoopEnd::Stopped => break,
            LoopEnd::Failed(reason) => {
                last_snapshot = with_status(
                    &last_snapshot,
                    ConnectionStatus::Stale {
                        reason: reason.clone(),
                    },
                );
                reporter.problem(&format!(
                    "OptiSchema lost the statistics connection to {}: {reason}; showing the last numbers and reconnecting",
                    config.spec.redacted()
                ));
                reporter.snapshot(&last_snapshot);
                if sleep_or_stop(backoff.next_delay(), &mut stopped).await {
                    break;
                }
            }
        }
    }
    if let Some((poll_state, store, _)) = state {
        save(&poll_state, store.as_ref());
    }
}

/// The same numbers under a new status (rare: only when the connection changes).
fn with_status(snapshot: &Arc<Snapshot>, status: ConnectionStatus) -> Arc<Snapshot> {
    Arc::new(Snapshot {
        status,
        ..Snapshot::clone(snapshot)
    })
}

enum LoopEnd {
    Stopped,
    Failed(String),
}

#[allow(clippy::too_many_arguments)]
async fn poll_loop(
    config: &CollectorConfig,
    source: &StatsSource,
    state: &mut PollState,
    store: Option<&HistoryStore>,
    reporter: &mut Reporter,
    last_snapshot: &mut Arc<Snapshot>,
    backoff: &mut Backoff,
    stopped: &mut watch::Receiver<bool>,
) -> LoopEnd {
    let catalog_every = every(config.interval, config.catalog_refresh.as_secs_f64());
    let save_every = every(config.interval, SAVE_SECONDS);
    let prune_every = every(config.interval, PRUNE_SECONDS);
    let mut polls_here = 0u64;
    loop {
        let refresh_catalog = polls_here.is_multiple_of(catalog_every);
        match state.poll(source, refresh_catalog).await {
            Ok(snapshot) => {
                backoff.reset();
                reporter.recovered(&format!(
                    "OptiSchema is reading statistics from {}",
                    config.spec.redacted()
                ));
                *last_snapshot = Arc::new(snapshot);
                reporter.snapshot(last_snapshot);
            }
            Err(error) => return LoopEnd::Failed(error.to_string()),
        }
        polls_here += 1;
        if state.polls.is_multiple_of(save_every) {
            save(state, store);
        }
        if state.polls.is_multiple_of(prune_every) {
            poll::write(&state.history).prune(unix_seconds(std::time::SystemTime::now()));
        }
        if sleep_or_stop(config.interval, stopped).await {
            return LoopEnd::Stopped;
        }
    }
}

/// Loads this database's history from disk (or starts empty, saying why).
fn open_state(
    config: &CollectorConfig,
    identity: &crate::stats::model::DatabaseIdentity,
    windows: Windows,
    reporter: &mut Reporter,
) -> (
    PollState,
    Option<HistoryStore>,
    crate::stats::model::DatabaseIdentity,
) {
    let store =
        config
            .history_dir
            .as_ref()
            .and_then(|dir| match HistoryStore::open(dir, identity) {
                Ok(store) => Some(store),
                Err(error) => {
                    reporter.notice(&format!("OptiSchema keeps trends in memory only: {error}"));
                    None
                }
            });
    let history = match store.as_ref().map(HistoryStore::load) {
        Some(Ok(history)) => history,
        Some(Err(error)) => {
            reporter.notice(&format!("OptiSchema started a new trend history: {error}"));
            History::new()
        }
        None => History::new(),
    };
    (PollState::new(history, windows), store, identity.clone())
}

fn save(state: &PollState, store: Option<&HistoryStore>) {
    let Some(store) = store else {
        return;
    };
    let history = poll::read(&state.history);
    if let Err(error) = store.save(&history) {
        tracing::warn!(
            "could not save trend history to {}: {error}",
            store.path().display()
        );
    }
}
