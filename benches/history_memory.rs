//! Statement history in its worst case: `cargo bench --bench history_memory`.
//!
//! Fills a `History` with 5,000 statements, every one of them active in
//! every 10-second poll for 14 days (recorded in time order, as the
//! collector does), then measures
//! - resident memory before and after (VmRSS, and the peak VmHWM) and
//!   `approx_memory_bytes`,
//! - recording one more poll of 5,000 samples (median of 300),
//! - `window` and `series` queries over each statement,
//! - `HistoryStore` save (full, then incremental), file size, open and load,
//!
//! and prints a Markdown table, also written to `target/history_memory.md`.
//! `HISTORY_BENCH_STATEMENTS=500 HISTORY_BENCH_DAYS=2` runs a smaller case.
//!
//! Per-poll numbers are drawn per statement from realistic ranges: 1–200
//! calls, 0.05–50 ms per call, 1–100 rows and 3–300 buffer hits per call, a
//! few reads, temp blocks for one statement in twenty.

#[path = "support/measure.rs"]
mod measure;
#[path = "support/rng.rs"]
#[allow(dead_code)]
mod rng;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use measure::{mib, resident_memory, show};
use rng::Rng;

use optischema::sql::fingerprint::Fingerprint;
use optischema::stats::history::{History, IntervalSample};
use optischema::stats::model::DatabaseIdentity;
use optischema::stats::store::HistoryStore;

const INTERVAL: i64 = 10;
const DAY: i64 = 86_400;
/// A round start, so the tier boundaries are easy to read in a debugger.
const START: i64 = 1_700_000_000 - 1_700_000_000 % (7 * DAY);

/// One statement's typical numbers per call.
struct Profile {
    calls: u64,
    us_per_call: f64,
    rows_per_call: u64,
    hits_per_call: u64,
    spills: bool,
}

fn profiles(statements: u64, rng: &mut Rng) -> Vec<(Fingerprint, Profile)> {
    (0..statements)
        .map(|n| {
            let profile = Profile {
                calls: rng.log_uniform(1.0, 200.0) as u64,
                us_per_call: rng.log_uniform(50.0, 50_000.0),
                rows_per_call: rng.log_uniform(1.0, 100.0) as u64,
                hits_per_call: rng.log_uniform(3.0, 300.0) as u64,
                spills: n % 20 == 0,
            };
            (Fingerprint(n.wrapping_mul(0x9e37_79b9_7f4a_7c15)), profile)
        })
        .collect()
}

/// Fills `samples` with one poll's deltas: each statement's typical numbers
/// jittered by ±50 % (all from one random draw per statement).
fn poll_samples(
    profiles: &[(Fingerprint, Profile)],
    rng: &mut Rng,
    samples: &mut Vec<(Fingerprint, IntervalSample)>,
) {
    samples.clear();
    for (fingerprint, profile) in profiles {
        let random = rng.next_u64();
        let jitter = 0.5 + (random & 0xff) as f64 / 255.0;
        let calls = ((profile.calls as f64 * jitter) as u64).max(1);
        samples.push((
            *fingerprint,
            IntervalSample {
                calls,
                total_ms: calls as f64 * profile.us_per_call * jitter / 1000.0,
                rows: calls * profile.rows_per_call,
                shared_blks_hit: calls * profile.hits_per_call,
                shared_blks_read: (random >> 8) & 0x7,
                temp_blks_written: if profile.spills { calls * 16 } else { 0 },
            },
        ));
    }
}

fn median(mut durations: Vec<Duration>) -> Duration {
    durations.sort();
    durations[durations.len() / 2]
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

struct Bench {
    history: History,
    profiles: Vec<(Fingerprint, Profile)>,
    rng: Rng,
    samples: Vec<(Fingerprint, IntervalSample)>,
    at: i64,
}

impl Bench {
    /// Records the next poll; returns how long `record_poll` took.
    fn poll(&mut self) -> Duration {
        self.at += INTERVAL;
        poll_samples(&self.profiles, &mut self.rng, &mut self.samples);
        let started = Instant::now();
        self.history
            .record_poll(self.at, INTERVAL as f64, &self.samples);
        started.elapsed()
    }
}

/// Average time of `query` over every statement.
fn per_statement(bench: &Bench, mut query: impl FnMut(&History, Fingerprint)) -> Duration {
    let started = Instant::now();
    for (fingerprint, _) in &bench.profiles {
        query(&bench.history, *fingerprint);
    }
    started.elapsed() / bench.profiles.len() as u32
}

fn main() {
    let statements = env_number("HISTORY_BENCH_STATEMENTS", 5000);
    let days = env_number("HISTORY_BENCH_DAYS", 14) as i64;
    let (rss_before, _) = resident_memory();
    let mut rng = Rng::new(0x0b7f_5c3e_a11d_2024);
    let mut bench = Bench {
        history: History::new(),
        profiles: profiles(statements, &mut rng),
        rng,
        samples: Vec::with_capacity(statements as usize),
        at: START,
    };

    let polls = days * DAY / INTERVAL;
    let started = Instant::now();
    for poll in 0..polls {
        bench.poll();
        if poll % (DAY / INTERVAL) == 0 && poll > 0 {
            eprintln!(
                "day {} recorded, {}",
                poll / (DAY / INTERVAL),
                show(started.elapsed())
            );
        }
    }
    let fill = started.elapsed();
    let (rss_after, peak) = resident_memory();
    let approx = bench.history.approx_memory_bytes() as u64;

    let record: Vec<Duration> = (0..300).map(|_| bench.poll()).collect();
    let record_max = *record.iter().max().unwrap_or(&Duration::ZERO);
    let record_median = median(record);

    let now = bench.at;
    let window_hour = per_statement(&bench, |h, f| {
        black_box(h.window(f, now - 3600, now));
    });
    let window_day = per_statement(&bench, |h, f| {
        black_box(h.window(f, now - DAY, now));
    });
    let window_all = per_statement(&bench, |h, f| {
        black_box(h.window(f, now - days * DAY, now));
    });
    let series_hour = per_statement(&bench, |h, f| {
        black_box(h.series(f, now - 3600, now, 60));
    });
    let series_all = per_statement(&bench, |h, f| {
        black_box(h.series(f, now - days * DAY, now, 84));
    });

    let dir = tempfile::tempdir().expect("temporary directory");
    let identity = DatabaseIdentity {
        system_identifier: "7300000000000000000".to_string(),
        database: "bench".to_string(),
    };
    let store = HistoryStore::open(dir.path(), &identity).expect("open store");
    let timed_save = |history: &History| {
        let started = Instant::now();
        store.save(history).expect("save");
        started.elapsed()
    };
    let save_full = timed_save(&bench.history);
    let size_full = file_size(store.path());
    bench.poll();
    let save_one_poll = timed_save(&bench.history);
    for _ in 0..30 {
        bench.poll();
    }
    let save_five_minutes = timed_save(&bench.history);
    // Past the next 10-minute boundary: chunks move between tiers too.
    for _ in 0..60 {
        bench.poll();
    }
    let save_ten_minutes = timed_save(&bench.history);
    let size_after = file_size(store.path());
    let stored_values = store.stored_values().unwrap_or(0);
    drop(store);

    let started = Instant::now();
    let store = HistoryStore::open(dir.path(), &identity).expect("reopen store");
    let open = started.elapsed();
    let started = Instant::now();
    let loaded = store.load().expect("load");
    let load = started.elapsed();
    let now = bench.at;
    let same = bench.profiles.iter().all(|(fingerprint, _)| {
        loaded.window(*fingerprint, 0, now + 1) == bench.history.window(*fingerprint, 0, now + 1)
    });
    assert!(same, "the loaded history differs from the saved one");
    let (_, peak_end) = resident_memory();

    let mut table = String::new();
    let mut row = |what: &str, value: String| {
        let _ = writeln!(table, "| {what} | {value} |");
    };
    row(
        "workload",
        format!(
            "{statements} statements × {days} days of {INTERVAL}-s polls, all active in every poll"
        ),
    );
    row("fill (record every poll in time order)", show(fill));
    row("RSS before", mib(rss_before));
    row("RSS after fill", mib(rss_after));
    row("peak RSS during fill (VmHWM)", mib(peak));
    row("`approx_memory_bytes`", mib(approx));
    row(
        "`approx_memory_bytes` per statement",
        format!("{} bytes", approx / statements.max(1)),
    );
    row(
        "`record_poll` of one poll (median / max of 300)",
        format!("{} / {}", show(record_median), show(record_max)),
    );
    row("`window` last hour (per statement)", show(window_hour));
    row("`window` last 24 h", show(window_day));
    row(&format!("`window` last {days} days"), show(window_all));
    row("`series` last hour, 60 buckets", show(series_hour));
    row(
        &format!("`series` last {days} days, 84 buckets"),
        show(series_all),
    );
    row("`save` full (new file)", show(save_full));
    row("file size after full save", mib(size_full));
    row("`save` after 1 poll", show(save_one_poll));
    row("`save` after 30 polls (5 min)", show(save_five_minutes));
    row(
        "`save` after 60 more polls (10 min, with downsampling)",
        show(save_ten_minutes),
    );
    row(
        "file size after the incremental saves",
        format!("{} ({stored_values} stored values)", mib(size_after)),
    );
    row("`open` (with integrity check)", show(open));
    row("`load`", show(load));
    row("peak RSS at the end (two histories loaded)", mib(peak_end));

    let report = format!("| measure | value |\n|---|---|\n{table}");
    println!("{report}");
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/history_memory.md");
    if let Err(error) = std::fs::write(&target, &report) {
        eprintln!("could not write {}: {error}", target.display());
    }
}

fn file_size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map_or(0, |metadata| metadata.len())
}
