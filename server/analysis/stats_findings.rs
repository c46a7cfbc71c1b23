//! Diagnostics from live numbers: slow, hot, regressed, spilling and
//! cache-missing statements. Thresholds come from settings; every message
//! carries the numbers that triggered it.

use std::ops::Range;

use super::catalog::CodeInfo;
use super::finding::{Finding, Severity};
use super::format::{count, duration_ms, grouped};
use crate::config::Thresholds;
use crate::stats::snapshot::{Snapshot, StatementStats, mean_ms};

pub const SLOW_STATEMENT: &str = "slow-statement";
pub const HOT_STATEMENT: &str = "hot-statement";
pub const LATENCY_REGRESSION: &str = "latency-regression";
pub const TEMP_SPILL: &str = "temp-spill";
pub const LOW_CACHE_HIT: &str = "low-cache-hit";

pub const CODES: &[CodeInfo] = &[
    CodeInfo {
        code: SLOW_STATEMENT,
        default_severity: Severity::Warning,
        summary: "The statement's mean execution time is above `thresholds.slowMeanMs`.",
    },
    CodeInfo {
        code: HOT_STATEMENT,
        default_severity: Severity::Info,
        summary: "The statement takes more than `thresholds.hotSharePercent` of the database's execution time.",
    },
    CodeInfo {
        code: LATENCY_REGRESSION,
        default_severity: Severity::Warning,
        summary: "The statement's recent mean latency is clearly above its baseline.",
    },
    CodeInfo {
        code: TEMP_SPILL,
        default_severity: Severity::Warning,
        summary: "The statement writes temporary files: sorts or hashes spill to disk.",
    },
    CodeInfo {
        code: LOW_CACHE_HIT,
        default_severity: Severity::Info,
        summary: "Most of the statement's blocks come from disk rather than shared buffers.",
    },
];

/// Below this much database time in the window, shares mean little.
const HOT_MIN_DATABASE_MS: f64 = 500.0;
/// A regression must also be this large in absolute terms (noise on
/// sub-millisecond statements is not a regression).
const REGRESSION_MIN_DELTA_MS: f64 = 0.5;
/// Cache ratios over fewer blocks than this are noise.
const CACHE_MIN_BLOCKS: u64 = 1_000;

fn finding(code: &'static str, range: &Range<usize>, message: String) -> Finding {
    let severity = CODES
        .iter()
        .find(|info| info.code == code)
        .map_or(Severity::Warning, |info| info.default_severity);
    Finding {
        code,
        severity,
        range: range.clone(),
        message,
    }
}

/// Findings for one matched statement; `range` is where to put them
/// (relative to the statement: its first keyword).
pub fn statement_findings(
    stats: &StatementStats,
    snapshot: &Snapshot,
    thresholds: &Thresholds,
    range: Range<usize>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    slow(stats, thresholds, &range, &mut out);
    hot(stats, snapshot, thresholds, &range, &mut out);
    regression(stats, snapshot, thresholds, &range, &mut out);
    temp_spill(stats, thresholds, &range, &mut out);
    cache(stats, thresholds, &range, &mut out);
    out
}

fn slow(
    stats: &StatementStats,
    thresholds: &Thresholds,
    range: &Range<usize>,
    out: &mut Vec<Finding>,
) {
    // Recent behaviour when there is any, else the long-run average.
    let (mean, calls, when) = match mean_ms(&stats.recent) {
        Some(mean) => (mean, stats.recent.calls, "recently"),
        None => match stats.cumulative.mean_ms() {
            Some(mean) => (mean, stats.cumulative.calls, "since statistics were reset"),
            None => return,
        },
    };
    if mean > thresholds.slow_mean_ms {
        out.push(finding(
            SLOW_STATEMENT,
            range,
            format!(
                "slow: mean {} over {} call(s) {when} (threshold {}); max {}",
                duration_ms(mean),
                grouped(calls),
                duration_ms(thresholds.slow_mean_ms),
                duration_ms(stats.cumulative.max_ms)
            ),
        ));
    }
}

fn hot(
    stats: &StatementStats,
    snapshot: &Snapshot,
    thresholds: &Thresholds,
    range: &Range<usize>,
    out: &mut Vec<Finding>,
) {
    let recent = snapshot.database_recent_ms > 0.0;
    let (own_ms, database_ms) = if recent {
        (stats.recent.total_ms, snapshot.database_recent_ms)
    } else {
        (stats.cumulative.total_ms, snapshot.database_total_ms)
    };
    if database_ms < HOT_MIN_DATABASE_MS {
        return;
    }
    let share = 100.0 * own_ms / database_ms;
    if share >= thresholds.hot_share_percent {
        let window = if recent {
            format!(
                "in the last {}",
                duration_ms(snapshot.windows.recent_seconds * 1000.0)
            )
        } else {
            "since statistics were reset".to_string()
        };
        out.push(finding(
            HOT_STATEMENT,
            range,
            format!(
                "hot: {share:.0}% of the database's execution time {window} ({} of {})",
                duration_ms(own_ms),
                duration_ms(database_ms)
            ),
        ));
    }
}

fn regression(
    stats: &StatementStats,
    snapshot: &Snapshot,
    thresholds: &Thresholds,
    range: &Range<usize>,
    out: &mut Vec<Finding>,
) {
    let enough = |calls: u64| calls >= thresholds.regression_min_calls;
    if !enough(stats.short.calls) || !enough(stats.baseline.calls) {
        return;
    }
    let (Some(now), Some(before)) = (mean_ms(&stats.short), mean_ms(&stats.baseline)) else {
        return;
    };
    let limit = before * (1.0 + thresholds.regression_percent / 100.0);
    if now > limit && now - before >= REGRESSION_MIN_DELTA_MS {
        out.push(finding(
            LATENCY_REGRESSION,
            range,
            format!(
                "latency regression: mean {} over the last {} ({} calls), up {:.0}% from {} over the {} before ({} calls)",
                duration_ms(now),
                duration_ms(snapshot.windows.short_seconds * 1000.0),
                grouped(stats.short.calls),
                100.0 * (now - before) / before,
                duration_ms(before),
                duration_ms(snapshot.windows.baseline_seconds * 1000.0),
                grouped(stats.baseline.calls)
            ),
        ));
    }
}

fn temp_spill(
    stats: &StatementStats,
    thresholds: &Thresholds,
    range: &Range<usize>,
    out: &mut Vec<Finding>,
) {
    let cumulative = &stats.cumulative;
    if cumulative.calls == 0 || cumulative.temp_blks_written == 0 {
        return;
    }
    let per_call = cumulative.temp_blks_written as f64 / cumulative.calls as f64;
    if per_call > thresholds.temp_blocks_per_call {
        out.push(finding(
            TEMP_SPILL,
            range,
            format!(
                "spills to disk: {} temp blocks written per call ({} in total over {} calls); a sort or hash does not fit in work_mem — an index that provides the order, or more work_mem for this query, avoids it",
                count(per_call),
                grouped(cumulative.temp_blks_written),
                grouped(cumulative.calls)
            ),
        ));
    }
}

fn cache(
    stats: &StatementStats,
    thresholds: &Thresholds,
    range: &Range<usize>,
    out: &mut Vec<Finding>,
) {
    let hit = stats.cumulative.shared_blks_hit;
    let read = stats.cumulative.shared_blks_read;
    let total = hit + read;
    if total < CACHE_MIN_BLOCKS {
        return;
    }
    let ratio = 100.0 * hit as f64 / total as f64;
    if ratio < thresholds.cache_hit_percent {
        out.push(finding(
            LOW_CACHE_HIT,
            range,
            format!(
                "low cache hit ratio: {ratio:.1}% of {} shared blocks were in shared buffers ({} read from disk or the OS cache)",
                grouped(total),
                grouped(read)
            ),
        ));
    }
}
