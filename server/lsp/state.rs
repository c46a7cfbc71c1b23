//! The server's shared state. Handlers take what they need and never hold a
//! `DashMap` guard or a lock across an `.await`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use dashmap::DashMap;
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::{MessageType, Uri};

use crate::advisor::service::Advisor;
use crate::analysis::diagnostics::AdviceView;
use crate::config::{Settings, SettingsLayer};
use crate::document::Document;
use crate::sql::fingerprint::Fingerprint;
use crate::stats::snapshot::Snapshot;
use crate::text::PositionEncoding;

/// Where settings come from, lowest precedence first.
#[derive(Debug, Default)]
pub struct SettingsSources {
    pub file: Option<SettingsLayer>,
    pub initialization_options: SettingsLayer,
    pub workspace_configuration: SettingsLayer,
}

impl SettingsSources {
    pub fn effective(&self) -> Settings {
        let layers = self
            .file
            .iter()
            .chain([&self.initialization_options, &self.workspace_configuration]);
        Settings::from_layers(layers)
    }
}

pub struct ServerState {
    pub client: Client,
    /// Where `publishDiagnostics` goes, bypassing tower-lsp (see `output`).
    pub output: super::output::Output,
    pub documents: DashMap<Uri, Arc<Document>>,
    pub encoding: OnceLock<PositionEncoding>,
    pub workspace_root: OnceLock<Option<PathBuf>>,
    pub sources: Mutex<SettingsSources>,
    /// Messages for the user found before the client may be told (`initialize`).
    deferred_messages: Mutex<Vec<String>>,
    /// Whether the client answers `workspace/configuration`.
    pub client_supports_configuration: AtomicBool,
    /// Whether the client accepts `workspace/codeLens/refresh`.
    pub client_supports_lens_refresh: AtomicBool,
    /// The statistics collector, when a database is configured.
    pub collector: tokio::sync::Mutex<Option<super::stats_link::RunningCollector>>,
    told_no_database: AtomicBool,
    settings: RwLock<Arc<Settings>>,
    snapshot: RwLock<Arc<Snapshot>>,
    advice: RwLock<Arc<AdviceView>>,
    /// The advisor for the current settings (None until initialized).
    pub advisor: RwLock<Option<Arc<Advisor>>>,
    /// Query identifiers of file statements, by statement text hash.
    pub queryid_cache: DashMap<u64, super::queryid_match::KnownIdentifiers>,
    /// Whether a round of identifier lookups is running.
    pub queryid_round_running: AtomicBool,
    /// Applied indexes whose appearance in the catalog is watched.
    pub watched_indexes: Mutex<Vec<super::impact::WatchedIndex>>,
    /// What the advisor was built from (see `stats_link::refresh_advisor`).
    advisor_key: Mutex<String>,
    /// Analyses under way: fingerprint → progress token and cancel switch.
    pub running_analyses: DashMap<Fingerprint, (String, tokio::sync::watch::Sender<bool>)>,
    /// Whether the client shows `$/progress` (window.workDoneProgress).
    pub client_supports_progress: AtomicBool,
    /// Whether workspace edits may create files (resourceOperations: create).
    pub client_supports_create_files: AtomicBool,
}

impl ServerState {
    pub fn new(client: Client, output: super::output::Output) -> ServerState {
        ServerState {
            client,
            output,
            documents: DashMap::new(),
            encoding: OnceLock::new(),
            workspace_root: OnceLock::new(),
            sources: Mutex::new(SettingsSources::default()),
            deferred_messages: Mutex::new(Vec::new()),
            client_supports_configuration: AtomicBool::new(false),
            client_supports_lens_refresh: AtomicBool::new(false),
            collector: tokio::sync::Mutex::new(None),
            told_no_database: AtomicBool::new(false),
            settings: RwLock::new(Arc::new(Settings::default())),
            snapshot: RwLock::new(Arc::new(Snapshot::empty())),
            advice: RwLock::new(Arc::new(AdviceView::default())),
            advisor: RwLock::new(None),
            advisor_key: Mutex::new(String::new()),
            watched_indexes: Mutex::new(Vec::new()),
            queryid_cache: DashMap::new(),
            queryid_round_running: AtomicBool::new(false),
            running_analyses: DashMap::new(),
            client_supports_progress: AtomicBool::new(false),
            client_supports_create_files: AtomicBool::new(false),
        }
    }

    pub fn encoding(&self) -> PositionEncoding {
        self.encoding.get().copied().unwrap_or_default()
    }

    pub fn workspace_root(&self) -> Option<PathBuf> {
        self.workspace_root.get().cloned().flatten()
    }

    pub fn settings(&self) -> Arc<Settings> {
        read(&self.settings).clone()
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        read(&self.snapshot).clone()
    }

    pub fn set_snapshot(&self, snapshot: Arc<Snapshot>) {
        *write(&self.snapshot) = snapshot;
    }

    pub fn advice(&self) -> Arc<AdviceView> {
        read(&self.advice).clone()
    }

    /// Replaces the advisor's findings for one statement.
    pub fn set_advice(
        &self,
        fingerprint: Fingerprint,
        findings: Vec<crate::analysis::finding::Finding>,
    ) {
        let mut guard = write(&self.advice);
        let mut view = AdviceView::clone(&guard);
        view.findings.insert(fingerprint, findings);
        *guard = Arc::new(view);
    }

    /// Records the impact of an applied index for its statement's hover.
    pub fn set_impact(
        &self,
        fingerprint: Fingerprint,
        applied: crate::analysis::diagnostics::AppliedIndex,
    ) {
        let mut guard = write(&self.advice);
        let mut view = AdviceView::clone(&guard);
        view.impacts.insert(fingerprint, applied);
        *guard = Arc::new(view);
    }

    pub fn advisor(&self) -> Option<Arc<Advisor>> {
        read(&self.advisor).clone()
    }

    /// Stores the advisor's key and returns the previous one.
    pub fn swap_advisor_key(&self, key: String) -> String {
        std::mem::replace(&mut *lock(&self.advisor_key), key)
    }

    pub fn set_advisor(&self, advisor: Option<Arc<Advisor>>) {
        *write(&self.advisor) = advisor;
    }

    /// Recomputes the effective settings from their sources; returns them.
    pub fn refresh_settings(&self) -> Arc<Settings> {
        let effective = Arc::new(lock(&self.sources).effective());
        *write(&self.settings) = effective.clone();
        effective
    }

    /// Keeps a message to show once the client is initialized.
    pub fn defer_message(&self, message: String) {
        tracing::warn!("{message}");
        lock(&self.deferred_messages).push(message);
    }

    pub fn take_deferred_messages(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.deferred_messages))
    }

    pub fn client_supports_lens_refresh(&self) -> bool {
        self.client_supports_lens_refresh.load(Ordering::Relaxed)
    }

    /// Says once per session that only static analysis runs, and how to connect.
    pub async fn tell_once_no_database(&self) {
        if self.told_no_database.swap(true, Ordering::Relaxed) {
            return;
        }
        self.client
            .show_message(
                MessageType::INFO,
                "OptiSchema: no database configured, so only static analysis runs. For live \
                 pg_stat_statements numbers set `optischema.database.url` (editor settings or \
                 optischema.toml), or DATABASE_URL / PGHOST, PGDATABASE, PGUSER for the editor.",
            )
            .await;
    }

    /// A cheap copy-on-write snapshot of one document.
    pub fn document(&self, uri: &Uri) -> Option<Arc<Document>> {
        self.documents.get(uri).map(|entry| entry.value().clone())
    }
}

// Locks are only held for plain assignments; a poisoned lock means a panic
// elsewhere already happened, and the data (an `Arc` swap) is still whole.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
