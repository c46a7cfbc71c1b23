//! Code lenses: a one-line summary above each matched statement.

use std::ops::Range;

use super::diagnostics::statement_anchor;
use super::format::{count, duration_ms, trend};
use crate::document::Document;
use crate::stats::snapshot::{Snapshot, StatementStats, mean_ms};

/// A lens: where it goes and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct Lens {
    pub range: Range<usize>,
    pub title: String,
}

/// Calls per minute over the recent window (shorter while the collector has
/// not watched that long).
pub fn calls_per_minute(stats: &StatementStats, snapshot: &Snapshot) -> Option<f64> {
    let watched = match (snapshot.watching_since, snapshot.refreshed_at) {
        (Some(since), Some(now)) => now.duration_since(since).ok()?.as_secs_f64(),
        _ => return None,
    };
    let window = snapshot.windows.recent_seconds.min(watched);
    (window >= 1.0).then(|| stats.recent.calls as f64 * 60.0 / window)
}

/// The lens title, e.g. `12.3 ms avg · 1.2k calls/min · 34% of DB time · ▲18%`.
pub fn summary(stats: &StatementStats, snapshot: &Snapshot) -> String {
    let mean = mean_ms(&stats.recent).or(stats.cumulative.mean_ms());
    let mut parts = vec![match mean {
        Some(mean) => format!("{} avg", duration_ms(mean)),
        None => "no calls yet".to_string(),
    }];
    match calls_per_minute(stats, snapshot) {
        Some(rate) => parts.push(format!("{} calls/min", count(rate))),
        None => parts.push(format!("{} calls", count(stats.cumulative.calls as f64))),
    }
    if let Some(share) = snapshot.share_percent(stats) {
        parts.push(format!("{share:.0}% of DB time"));
    }
    if let Some(percent) = snapshot.trend_percent(stats) {
        parts.push(trend(percent));
    }
    parts.join(" · ")
}

pub fn lenses(document: &Document, snapshot: &Snapshot) -> Vec<Lens> {
    document
        .statements()
        .iter()
        .filter_map(|statement| {
            let (_, stats) = snapshot.stats_for(statement.analysis.fingerprint)?;
            let anchor = statement_anchor(document, statement);
            let base = statement.span.range.start;
            Some(Lens {
                range: base + anchor.start..base + anchor.end,
                title: summary(stats, snapshot),
            })
        })
        .collect()
}
