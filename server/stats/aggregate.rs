//! Many pg_stat_statements entries, one statement: entries that share a
//! fingerprint (other users and roles, other IN-list lengths, literal and
//! parameter forms) are summed into one set of numbers.

use std::collections::HashMap;

use super::delta::CounterDelta;
use super::history::IntervalSample;
use super::model::{EntryKey, EntryRow};
use super::snapshot::Cumulative;
use crate::sql::fingerprint::Fingerprint;

/// Cumulative numbers and the queryids behind them, per fingerprint.
pub fn cumulative_by_fingerprint(
    rows: &[EntryRow],
    fingerprint_of: &HashMap<i64, Fingerprint>,
) -> HashMap<Fingerprint, (Vec<i64>, Cumulative)> {
    let mut groups: HashMap<Fingerprint, Vec<&EntryRow>> = HashMap::new();
    for row in rows {
        if let Some(fingerprint) = fingerprint_of.get(&row.key.queryid) {
            groups.entry(*fingerprint).or_default().push(row);
        }
    }
    groups
        .into_iter()
        .map(|(fingerprint, rows)| {
            let mut queryids: Vec<i64> = rows.iter().map(|row| row.key.queryid).collect();
            queryids.sort_unstable();
            queryids.dedup();
            (fingerprint, (queryids, combine(&rows)))
        })
        .collect()
}

fn non_negative(value: i64) -> u64 {
    value.max(0) as u64
}

fn finite(value: f64) -> f64 {
    if value.is_finite() { value } else { 0.0 }
}

/// Sums counters; min/max over entries; standard deviation pooled from
/// each entry's mean and (population) deviation, as if all calls were one set.
fn combine(rows: &[&EntryRow]) -> Cumulative {
    let mut total = Cumulative {
        min_ms: f64::INFINITY,
        ..Cumulative::default()
    };
    let mut sum_of_squares = 0.0;
    for row in rows {
        let counters = &row.counters;
        let calls = non_negative(counters.calls);
        total.calls += calls;
        total.total_ms += finite(counters.total_exec_ms).max(0.0);
        total.rows += non_negative(counters.rows);
        total.shared_blks_hit += non_negative(counters.shared_blks_hit);
        total.shared_blks_read += non_negative(counters.shared_blks_read);
        total.temp_blks_written += non_negative(counters.temp_blks_written);
        if calls > 0 {
            total.min_ms = total.min_ms.min(finite(counters.min_exec_ms));
            total.max_ms = total.max_ms.max(finite(counters.max_exec_ms));
            let mean = finite(counters.mean_exec_ms);
            let stddev = finite(counters.stddev_exec_ms);
            sum_of_squares += calls as f64 * (stddev * stddev + mean * mean);
        }
    }
    if total.calls == 0 {
        total.min_ms = 0.0;
        return total;
    }
    let calls = total.calls as f64;
    let mean = total.total_ms / calls;
    total.stddev_ms = (sum_of_squares / calls - mean * mean).max(0.0).sqrt();
    total
}

/// One poll's deltas summed per fingerprint (entries without a known text
/// yet are left out until their text is fetched).
pub fn interval_by_fingerprint(
    deltas: &[(EntryKey, CounterDelta)],
    fingerprint_of: &HashMap<i64, Fingerprint>,
) -> Vec<(Fingerprint, IntervalSample)> {
    let mut sums: HashMap<Fingerprint, IntervalSample> = HashMap::new();
    for (key, delta) in deltas {
        let Some(fingerprint) = fingerprint_of.get(&key.queryid) else {
            continue;
        };
        let sample = sums.entry(*fingerprint).or_default();
        sample.calls += delta.calls;
        sample.total_ms += delta.total_exec_ms;
        sample.rows += delta.rows;
        sample.shared_blks_hit += delta.shared_blks_hit;
        sample.shared_blks_read += delta.shared_blks_read;
        sample.temp_blks_written += delta.temp_blks_written;
    }
    let mut samples: Vec<_> = sums.into_iter().collect();
    samples.sort_by_key(|(fingerprint, _)| *fingerprint);
    samples
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::model::Counters;

    fn row(userid: u32, queryid: i64, calls: i64, mean: f64, stddev: f64) -> EntryRow {
        EntryRow {
            key: EntryKey {
                userid,
                dbid: 1,
                queryid,
                toplevel: true,
            },
            counters: Counters {
                calls,
                total_exec_ms: calls as f64 * mean,
                min_exec_ms: mean - stddev,
                max_exec_ms: mean + stddev,
                mean_exec_ms: mean,
                stddev_exec_ms: stddev,
                rows: calls,
                ..Counters::default()
            },
        }
    }

    #[test]
    fn entries_with_one_fingerprint_are_summed_across_users_and_queryids() {
        let fingerprint = Fingerprint(7);
        let other = Fingerprint(8);
        let map = HashMap::from([(100, fingerprint), (101, fingerprint), (200, other)]);
        let rows = [
            row(10, 100, 10, 2.0, 0.0),
            row(11, 100, 30, 2.0, 0.0),
            row(10, 101, 60, 4.0, 0.0),
            row(10, 200, 5, 50.0, 1.0),
            row(10, 999, 5, 50.0, 1.0), // text not known yet: not attributed
        ];
        let groups = cumulative_by_fingerprint(&rows, &map);
        let (queryids, total) = &groups[&fingerprint];
        assert_eq!(queryids, &vec![100, 101]);
        assert_eq!(total.calls, 100);
        assert_eq!(total.mean_ms(), Some(3.2));
        // Two groups of constant latency (2 ms ×40, 4 ms ×60) → σ = √0.96.
        assert!((total.stddev_ms - 0.96f64.sqrt()).abs() < 1e-9);
        assert_eq!(groups[&other].1.calls, 5);
        assert_eq!(groups.len(), 2);
    }

    #[test]
    fn interval_samples_sum_deltas_per_fingerprint() {
        let map = HashMap::from([(1, Fingerprint(1)), (2, Fingerprint(1))]);
        let key = |queryid| EntryKey {
            userid: 1,
            dbid: 1,
            queryid,
            toplevel: true,
        };
        let delta = |calls, ms| CounterDelta {
            calls,
            total_exec_ms: ms,
            ..CounterDelta::default()
        };
        let samples = interval_by_fingerprint(
            &[
                (key(1), delta(3, 6.0)),
                (key(2), delta(1, 4.0)),
                (key(3), delta(9, 9.0)),
            ],
            &map,
        );
        assert_eq!(samples.len(), 1);
        assert_eq!(samples[0].1.calls, 4);
        assert_eq!(samples[0].1.total_ms, 10.0);
    }
}
