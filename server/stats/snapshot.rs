//! The immutable view of the database that analysis reads: replaced as a
//! whole (`Arc<Snapshot>`) after every poll, never mutated in place.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use super::history::{History, IntervalSample};
use super::model::Catalog;
use crate::sql::fingerprint::Fingerprint;

/// How the statistics connection is doing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ConnectionStatus {
    /// No database configured: static analysis only.
    #[default]
    NotConfigured,
    /// Connecting for the first time.
    Connecting,
    /// Polling normally.
    Live,
    /// The database went away; the numbers shown are the last ones seen.
    Stale { reason: String },
    /// Connected, but statistics cannot be read (e.g. extension missing).
    Unavailable { reason: String },
}

/// Cumulative numbers since pg_stat_statements started counting, summed
/// over every entry (user, role, IN-list length) with the fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cumulative {
    pub calls: u64,
    pub total_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub stddev_ms: f64,
    pub rows: u64,
    pub shared_blks_hit: u64,
    pub shared_blks_read: u64,
    pub temp_blks_written: u64,
}

impl Cumulative {
    pub fn mean_ms(&self) -> Option<f64> {
        (self.calls > 0).then(|| self.total_ms / self.calls as f64)
    }
}

/// Everything known about one fingerprint's live numbers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatementStats {
    pub queryids: Vec<i64>,
    pub cumulative: Cumulative,
    /// The last few minutes: rates and share of database time.
    pub recent: IntervalSample,
    /// The last minute or so: regressions show here first.
    pub short: IntervalSample,
    /// The hour before `short`: what normal looked like.
    pub baseline: IntervalSample,
    /// The first pg_stat_statements text seen for it.
    pub sample_text: Option<Arc<str>>,
}

pub fn mean_ms(sample: &IntervalSample) -> Option<f64> {
    (sample.calls > 0).then(|| sample.total_ms / sample.calls as f64)
}

/// Window lengths, in seconds, used to fill `StatementStats`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Windows {
    pub recent_seconds: f64,
    pub short_seconds: f64,
    pub baseline_seconds: f64,
}

impl Windows {
    /// Windows measured in polls, so that a faster poll interval also
    /// reacts faster: with the default 10 s interval, the short window is a
    /// minute (a regression in a statement running once a second shows
    /// within two minutes), the recent one five minutes, the baseline an hour.
    pub fn for_interval(interval_seconds: f64) -> Windows {
        let interval = if interval_seconds.is_finite() {
            interval_seconds.max(0.1)
        } else {
            10.0
        };
        Windows {
            short_seconds: (6.0 * interval).max(3.0),
            recent_seconds: (30.0 * interval).max(15.0),
            baseline_seconds: (360.0 * interval).max(180.0),
        }
    }
}

impl Default for Windows {
    fn default() -> Self {
        Windows::for_interval(10.0)
    }
}

/// What the analysis knows about the database right now.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub status: ConnectionStatus,
    /// When the numbers were last refreshed from the database.
    pub refreshed_at: Option<SystemTime>,
    /// When the collector started watching this database (history included).
    pub watching_since: Option<SystemTime>,
    pub windows: Windows,
    /// Shared: a snapshot that differs only in status or aliases is cheap.
    pub statements: Arc<HashMap<Fingerprint, StatementStats>>,
    /// Fingerprints of file statements matched through the server's query
    /// identifier (EXPLAIN VERBOSE) to a pg_stat_statements fingerprint.
    pub aliases: Arc<HashMap<Fingerprint, Fingerprint>>,
    /// Execution time of every statement of the database in the recent window.
    pub database_recent_ms: f64,
    /// Execution time of every statement since statistics were reset.
    pub database_total_ms: f64,
    pub catalog: Arc<Catalog>,
    /// Shared with the collector for trend queries (hover); read briefly.
    pub history: Option<Arc<RwLock<History>>>,
}

impl Snapshot {
    /// The snapshot used when no database is configured.
    pub fn empty() -> Snapshot {
        Snapshot::default()
    }

    pub fn is_live(&self) -> bool {
        matches!(self.status, ConnectionStatus::Live)
    }

    /// The numbers for a file statement with `fingerprint`, if matched.
    pub fn stats_for(&self, fingerprint: Fingerprint) -> Option<(Fingerprint, &StatementStats)> {
        if let Some(stats) = self.statements.get(&fingerprint) {
            return Some((fingerprint, stats));
        }
        let alias = *self.aliases.get(&fingerprint)?;
        self.statements.get(&alias).map(|stats| (alias, stats))
    }

    /// This statement's share of the database's execution time, in percent:
    /// over the recent window when it has data, else since the last reset.
    pub fn share_percent(&self, stats: &StatementStats) -> Option<f64> {
        if self.database_recent_ms > 0.0 {
            return Some(100.0 * stats.recent.total_ms / self.database_recent_ms);
        }
        (self.database_total_ms > 0.0)
            .then(|| 100.0 * stats.cumulative.total_ms / self.database_total_ms)
    }

    /// Recent mean against the baseline mean, in percent (+ is slower).
    pub fn trend_percent(&self, stats: &StatementStats) -> Option<f64> {
        let recent = mean_ms(&stats.recent)?;
        let baseline = mean_ms(&stats.baseline)?;
        (baseline > 0.0).then(|| 100.0 * (recent - baseline) / baseline)
    }
}
