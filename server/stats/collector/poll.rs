//! One poll: counters → deltas → history → a new snapshot.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::sql::fingerprint::{Fingerprint, fingerprint};
use crate::stats::aggregate::{cumulative_by_fingerprint, interval_by_fingerprint};
use crate::stats::delta::DeltaTracker;
use crate::stats::history::History;
use crate::stats::model::{Catalog, EntryRow};
use crate::stats::snapshot::{ConnectionStatus, Snapshot, StatementStats, Windows};
use crate::stats::source::{SourceError, StatsSource};

/// Beyond this many remembered queryids, forget the ones no longer listed
/// (pg_stat_statements evicts entries; their ids would otherwise pile up).
const MAX_REMEMBERED_QUERYIDS: usize = 50_000;

pub fn unix_seconds(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// Fingerprints of the statements the collector itself runs: they are not
/// the user's workload and must not count toward the database's time.
fn own_fingerprints() -> std::collections::HashSet<Fingerprint> {
    crate::stats::source::sql::ALL
        .iter()
        .map(|sql| fingerprint(sql.text))
        .collect()
}

/// The rows that are the user's workload: none of the collector's own queries.
fn workload_rows(
    rows: Vec<EntryRow>,
    fingerprint_of: &HashMap<i64, Fingerprint>,
    own: &std::collections::HashSet<Fingerprint>,
) -> Vec<EntryRow> {
    rows.into_iter()
        .filter(|row| {
            fingerprint_of
                .get(&row.key.queryid)
                .is_none_or(|fingerprint| !own.contains(fingerprint))
        })
        .collect()
}

/// What the collector keeps between polls of one database.
pub struct PollState {
    pub tracker: DeltaTracker,
    /// queryid → fingerprint of its text (texts are fetched once per queryid).
    pub fingerprint_of: HashMap<i64, Fingerprint>,
    /// The first text seen per fingerprint, for hovers.
    pub sample_text: HashMap<Fingerprint, Arc<str>>,
    pub history: Arc<RwLock<History>>,
    pub catalog: Arc<Catalog>,
    pub polls: u64,
    pub last_poll: Option<SystemTime>,
    pub watching_since: SystemTime,
    pub windows: Windows,
    own: std::collections::HashSet<Fingerprint>,
}

impl PollState {
    pub fn new(history: History, windows: Windows) -> PollState {
        PollState {
            tracker: DeltaTracker::default(),
            fingerprint_of: HashMap::new(),
            sample_text: HashMap::new(),
            history: Arc::new(RwLock::new(history)),
            catalog: Arc::new(Catalog::default()),
            polls: 0,
            last_poll: None,
            watching_since: SystemTime::now(),
            windows,
            own: own_fingerprints(),
        }
    }

    /// Learns the fingerprints of queryids not seen before.
    async fn learn_texts(
        &mut self,
        source: &StatsSource,
        rows: &[EntryRow],
    ) -> Result<(), SourceError> {
        let mut unknown: Vec<i64> = rows
            .iter()
            .map(|row| row.key.queryid)
            .filter(|queryid| !self.fingerprint_of.contains_key(queryid))
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        if unknown.is_empty() {
            return Ok(());
        }
        let texts = source.texts(&unknown).await?;
        for (queryid, text) in texts {
            let fingerprint = fingerprint(&text);
            self.fingerprint_of.insert(queryid, fingerprint);
            self.sample_text
                .entry(fingerprint)
                .or_insert_with(|| Arc::from(text.as_str()));
        }
        if self.fingerprint_of.len() > MAX_REMEMBERED_QUERYIDS {
            let listed: std::collections::HashSet<i64> =
                rows.iter().map(|r| r.key.queryid).collect();
            self.fingerprint_of
                .retain(|queryid, _| listed.contains(queryid));
        }
        Ok(())
    }

    /// Reads everything for one poll and builds the next snapshot.
    pub async fn poll(
        &mut self,
        source: &StatsSource,
        refresh_catalog: bool,
    ) -> Result<Snapshot, SourceError> {
        // Top-level statements only: a nested entry is a statement inside a
        // function or one of our own EXPLAINs, recorded under the explained
        // statement's queryid, which must not show as a call of it.
        let rows: Vec<EntryRow> = source
            .entries()
            .await?
            .into_iter()
            .filter(|row| row.key.toplevel)
            .collect();
        let reset = source.stats_reset().await?;
        let started = source.postmaster_start_time().await.ok();
        self.learn_texts(source, &rows).await?;
        let rows = workload_rows(rows, &self.fingerprint_of, &self.own);
        if refresh_catalog || self.polls == 0 {
            self.catalog = Arc::new(source.catalog().await?);
        }
        let now = SystemTime::now();
        let elapsed = self
            .last_poll
            .and_then(|last| now.duration_since(last).ok())
            .map_or(0.0, |elapsed| elapsed.as_secs_f64());
        let deltas = self.tracker.observe(&rows, reset, started);
        let samples = interval_by_fingerprint(&deltas, &self.fingerprint_of);
        {
            let mut history = write(&self.history);
            history.record_poll(unix_seconds(now), elapsed, &samples);
        }
        self.polls += 1;
        self.last_poll = Some(now);
        Ok(self.snapshot(&rows, now))
    }

    /// The snapshot for the current state: cumulative numbers from this
    /// poll's rows, windows from the history.
    pub fn snapshot(&self, rows: &[EntryRow], now: SystemTime) -> Snapshot {
        let now_seconds = unix_seconds(now);
        let windows = self.windows;
        let history = read(&self.history);
        // Windows end just after now so that this poll's interval counts.
        let end = now_seconds + 1;
        let short_start = end - windows.short_seconds as i64;
        let mut statements = HashMap::new();
        let mut database_recent_ms = 0.0;
        let mut database_total_ms = 0.0;
        for (fingerprint, (queryids, cumulative)) in
            cumulative_by_fingerprint(rows, &self.fingerprint_of)
        {
            let recent = history.window(fingerprint, end - windows.recent_seconds as i64, end);
            let short = history.window(fingerprint, short_start, end);
            let baseline = history.window(
                fingerprint,
                short_start - windows.baseline_seconds as i64,
                short_start,
            );
            database_recent_ms += recent.total_ms;
            database_total_ms += cumulative.total_ms;
            statements.insert(
                fingerprint,
                StatementStats {
                    queryids,
                    cumulative,
                    recent,
                    short,
                    baseline,
                    sample_text: self.sample_text.get(&fingerprint).cloned(),
                },
            );
        }
        Snapshot {
            status: ConnectionStatus::Live,
            refreshed_at: Some(now),
            watching_since: Some(self.watching_since),
            windows,
            statements: Arc::new(statements),
            aliases: Arc::default(),
            database_recent_ms,
            database_total_ms,
            catalog: self.catalog.clone(),
            history: Some(self.history.clone()),
        }
    }
}

// The history lock is only held for in-memory work; a poisoned lock means a
// panic already happened elsewhere, and the data is still whole.
pub fn read(history: &RwLock<History>) -> std::sync::RwLockReadGuard<'_, History> {
    history
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn write(history: &RwLock<History>) -> std::sync::RwLockWriteGuard<'_, History> {
    history
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
