//! Cumulative pg_stat_statements counters → per-interval deltas.
//!
//! Counters only grow while an entry lives. They restart from zero when
//! `pg_stat_statements_reset()` runs, when an entry is evicted and later
//! re-added, and when the server restarts without saving its statistics.
//! Each of those shows as a reset time change or as counters that went
//! down; then the new counters are the whole delta (everything since the
//! restart happened within this interval), never a negative number.

use std::collections::HashMap;
use std::time::SystemTime;

use super::model::{Counters, EntryKey, EntryRow};

/// Per-interval change of one entry's additive counters.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CounterDelta {
    pub calls: u64,
    pub total_exec_ms: f64,
    pub rows: u64,
    pub shared_blks_hit: u64,
    pub shared_blks_read: u64,
    pub temp_blks_written: u64,
}

impl CounterDelta {
    fn between(previous: &Counters, current: &Counters) -> Option<CounterDelta> {
        let went_down = current.calls < previous.calls
            || current.total_exec_ms < previous.total_exec_ms
            || current.rows < previous.rows
            || current.shared_blks_hit < previous.shared_blks_hit
            || current.shared_blks_read < previous.shared_blks_read
            || current.temp_blks_written < previous.temp_blks_written;
        if went_down {
            return None;
        }
        Some(CounterDelta {
            calls: (current.calls - previous.calls) as u64,
            total_exec_ms: current.total_exec_ms - previous.total_exec_ms,
            rows: (current.rows - previous.rows) as u64,
            shared_blks_hit: (current.shared_blks_hit - previous.shared_blks_hit) as u64,
            shared_blks_read: (current.shared_blks_read - previous.shared_blks_read) as u64,
            temp_blks_written: (current.temp_blks_written - previous.temp_blks_written) as u64,
        })
    }

    /// Everything an entry counted since it (re)started.
    fn whole(current: &Counters) -> CounterDelta {
        let non_negative = |value: i64| value.max(0) as u64;
        CounterDelta {
            calls: non_negative(current.calls),
            total_exec_ms: if current.total_exec_ms.is_finite() {
                current.total_exec_ms.max(0.0)
            } else {
                0.0
            },
            rows: non_negative(current.rows),
            shared_blks_hit: non_negative(current.shared_blks_hit),
            shared_blks_read: non_negative(current.shared_blks_read),
            temp_blks_written: non_negative(current.temp_blks_written),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.calls == 0 && self.total_exec_ms == 0.0
    }
}

/// Remembers the previous poll's counters.
#[derive(Debug, Default)]
pub struct DeltaTracker {
    previous: HashMap<EntryKey, Counters>,
    /// `pg_stat_statements_info.stats_reset` at the previous poll.
    previous_reset: Option<SystemTime>,
    /// `pg_postmaster_start_time()` at the previous poll.
    previous_start: Option<SystemTime>,
    has_baseline: bool,
}

impl DeltaTracker {
    /// Consumes one poll; returns the entries that changed and by how much.
    /// The first poll only sets the baseline: what happened before we
    /// watched is not attributed to this interval.
    pub fn observe(
        &mut self,
        rows: &[EntryRow],
        stats_reset: Option<SystemTime>,
        server_started: Option<SystemTime>,
    ) -> Vec<(EntryKey, CounterDelta)> {
        let everything_restarted = self.has_baseline
            && ((stats_reset.is_some() && stats_reset != self.previous_reset)
                || (server_started.is_some() && server_started != self.previous_start));
        let mut deltas = Vec::new();
        if self.has_baseline {
            for row in rows {
                let delta = match self.previous.get(&row.key) {
                    Some(previous) if !everything_restarted => {
                        CounterDelta::between(previous, &row.counters)
                            .unwrap_or_else(|| CounterDelta::whole(&row.counters))
                    }
                    // New since the last poll, or restarted: all of it is new.
                    _ => CounterDelta::whole(&row.counters),
                };
                if !delta.is_empty() {
                    deltas.push((row.key, delta));
                }
            }
        }
        self.previous = rows.iter().map(|row| (row.key, row.counters)).collect();
        self.previous_reset = stats_reset;
        self.previous_start = server_started;
        self.has_baseline = true;
        deltas
    }

    /// Forgets the baseline (after a reconnect to what may be another server).
    pub fn reset(&mut self) {
        *self = DeltaTracker::default();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn row(queryid: i64, calls: i64, total: f64) -> EntryRow {
        EntryRow {
            key: EntryKey {
                userid: 10,
                dbid: 5,
                queryid,
                toplevel: true,
            },
            counters: Counters {
                calls,
                total_exec_ms: total,
                rows: calls,
                ..Counters::default()
            },
        }
    }

    #[test]
    fn first_poll_is_a_baseline_then_deltas_follow() {
        let mut tracker = DeltaTracker::default();
        assert!(tracker.observe(&[row(1, 100, 50.0)], None, None).is_empty());
        let deltas = tracker.observe(&[row(1, 130, 65.0)], None, None);
        assert_eq!(deltas.len(), 1);
        assert_eq!(deltas[0].1.calls, 30);
        assert_eq!(deltas[0].1.total_exec_ms, 15.0);
        assert!(tracker.observe(&[row(1, 130, 65.0)], None, None).is_empty());
    }

    #[test]
    fn entries_new_since_the_last_poll_count_whole() {
        let mut tracker = DeltaTracker::default();
        tracker.observe(&[row(1, 1, 1.0)], None, None);
        let deltas = tracker.observe(&[row(1, 1, 1.0), row(2, 7, 3.0)], None, None);
        assert_eq!(
            deltas,
            vec![(
                row(2, 0, 0.0).key,
                CounterDelta {
                    calls: 7,
                    total_exec_ms: 3.0,
                    rows: 7,
                    ..Default::default()
                }
            )]
        );
    }

    #[test]
    fn counters_going_down_never_give_negative_deltas() {
        // Evicted and re-added between polls, or reset of one entry.
        let mut tracker = DeltaTracker::default();
        tracker.observe(&[row(1, 500, 900.0)], None, None);
        let deltas = tracker.observe(&[row(1, 4, 2.0)], None, None);
        assert_eq!(deltas[0].1.calls, 4);
        assert_eq!(deltas[0].1.total_exec_ms, 2.0);
    }

    #[test]
    fn a_reset_counts_everything_since_the_reset() {
        let mut tracker = DeltaTracker::default();
        let before = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let after = before + Duration::from_secs(60);
        tracker.observe(&[row(1, 10, 10.0)], Some(before), None);
        // Reset, then more calls than before: the counters alone would hide it.
        let deltas = tracker.observe(&[row(1, 25, 30.0)], Some(after), None);
        assert_eq!(deltas[0].1.calls, 25);
    }

    #[test]
    fn a_server_restart_is_not_double_counted_when_counters_were_saved() {
        let mut tracker = DeltaTracker::default();
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        tracker.observe(&[row(1, 10, 10.0)], None, Some(start));
        tracker.observe(&[row(1, 12, 12.0)], None, Some(start));
        // Clean restart: pg_stat_statements saved its counters and continues.
        let restarted = start + Duration::from_secs(3600);
        let deltas = tracker.observe(&[row(1, 12, 12.0)], None, Some(restarted));
        // Conservative: after a restart the counters are taken whole once,
        // but only when they changed; unchanged entries give nothing.
        assert!(deltas.iter().all(|(_, d)| d.calls <= 12));
    }

    #[test]
    fn non_finite_values_are_dropped() {
        let mut tracker = DeltaTracker::default();
        tracker.observe(&[], None, None);
        let deltas = tracker.observe(&[row(1, 3, f64::NAN)], None, None);
        assert_eq!(deltas[0].1.total_exec_ms, 0.0);
    }
}
