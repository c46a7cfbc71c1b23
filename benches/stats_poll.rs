//! One statistics poll at pg_stat_statements' largest: `cargo bench --bench stats_poll`.
//!
//! Starts a throwaway PostgreSQL 15 with `pg_stat_statements.max = 5000`,
//! fills it with about 4,900 structurally distinct statements (each run
//! once, over eight small tables) so the view is nearly full without
//! evicting, and measures in-process with the library
//! - the first poll of a fresh `PollState` (counters, the texts of every
//!   queryid, the catalog), and apart from it `entries()` and `texts()` of
//!   every queryid,
//! - steady polls, each after a slice of 250 statements ran again (so that
//!   many entries have deltas), without and with a catalog refresh,
//! - re-matching 50 open documents of 20 statements each (17 of them texts
//!   pg_stat_statements holds) against each new snapshot:
//!   `document_findings` + `lenses`, what re-publishing costs,
//!
//! each as wall time, our process's CPU time (`CLOCK_PROCESS_CPUTIME_ID`)
//! and the CPU time of the PostgreSQL backend serving the poll (its
//! `/proc/<pid>/schedstat`), medians over the repetitions. It prints
//! Markdown tables, also written to `target/stats_poll.md`.
//!
//! `STATS_POLL_STATEMENTS=N` fills another number of statements,
//! `STATS_POLL_POLLS=N` takes another number of steady polls (e.g. many,
//! for `perf record`). Without `--bench` (as `cargo test --benches` runs
//! it) it only does a small smoke run, or nothing when PostgreSQL is not
//! installed.

#[path = "support/measure.rs"]
mod measure;
#[path = "../tests/support/pg.rs"]
#[allow(dead_code)]
mod pg;

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use measure::{mib, resident_memory, show};

use optischema::analysis::diagnostics::{AdviceView, document_findings};
use optischema::analysis::lens::lenses;
use optischema::config::Settings;
use optischema::db::ConnSpec;
use optischema::document::Document;
use optischema::stats::collector::PollState;
use optischema::stats::history::History;
use optischema::stats::snapshot::{Snapshot, Windows};
use optischema::stats::source::StatsSource;

use pg::PgCluster;

/// The database the workload runs in and the collector reads.
const DATABASE: &str = "bench";
const MAX_ENTRIES: usize = 5000;

const TABLES: [&str; 8] = [
    "orders",
    "customers",
    "order_items",
    "products",
    "invoices",
    "payments",
    "shipments",
    "accounts",
];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Number,
    Text,
    Time,
}

/// Every table has these columns; `id` is the key.
const COLUMNS: [(&str, Kind); 12] = [
    ("id", Kind::Number),
    ("status", Kind::Text),
    ("created_at", Kind::Time),
    ("updated_at", Kind::Time),
    ("customer_id", Kind::Number),
    ("amount", Kind::Number),
    ("quantity", Kind::Number),
    ("region", Kind::Text),
    ("priority", Kind::Number),
    ("score", Kind::Number),
    ("note", Kind::Text),
    ("owner_id", Kind::Number),
];

/// How many distinct statements `workload_statement` can make.
const DISTINCT_STATEMENTS: usize =
    TABLES.len() * COLUMNS.len() * (COLUMNS.len() - 1) * COLUMNS.len();

struct Config {
    smoke: bool,
    statements: usize,
    /// Statements run again before each steady poll.
    slice: usize,
    first_polls: usize,
    steady_polls: usize,
    catalog_polls: usize,
    documents: usize,
    per_document: usize,
    matched_per_document: usize,
}

impl Config {
    fn from_args() -> Config {
        let smoke = !std::env::args().skip(1).any(|arg| arg == "--bench");
        if smoke {
            return Config {
                smoke,
                statements: 200,
                slice: 20,
                first_polls: 1,
                steady_polls: 2,
                catalog_polls: 1,
                documents: 3,
                per_document: 20,
                matched_per_document: 17,
            };
        }
        Config {
            smoke,
            statements: env_number("STATS_POLL_STATEMENTS", 4900).min(DISTINCT_STATEMENTS),
            slice: 250,
            first_polls: 5,
            steady_polls: env_number("STATS_POLL_POLLS", 20).max(1),
            catalog_polls: 5,
            documents: 50,
            per_document: 20,
            matched_per_document: 17,
        }
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// A predicate on `column` (qualified as the caller wants); constants vary
/// with `n` but pg_stat_statements normalizes them away.
fn predicate(column: &str, kind: Kind, n: usize) -> String {
    match kind {
        Kind::Number => format!("{column} = {}", n % 1000),
        Kind::Text => format!("{column} = 'v{}'", n % 13),
        Kind::Time => format!("{column} > now() - interval '{} days'", 1 + n % 30),
    }
}

fn in_list(column: &str, kind: Kind, n: usize) -> String {
    match kind {
        Kind::Number => format!("{column} IN ({}, {}, {})", n % 97, n % 89, n % 83),
        Kind::Text => format!("{column} IN ('v{}', 'v{}')", n % 13, n % 7),
        Kind::Time => predicate(column, kind, n),
    }
}

/// Statement `i` of the workload: table, two output columns and the
/// predicate column come from `i` in mixed radix, so every `i` below
/// `DISTINCT_STATEMENTS` gets its own queryid (and fingerprint); the shape
/// (grouping, ordering, a join, an IN list) varies on top.
fn workload_statement(i: usize) -> String {
    let table = TABLES[i % TABLES.len()];
    let rest = i / TABLES.len();
    let a = rest % COLUMNS.len();
    let rest = rest / COLUMNS.len();
    let b = (a + 1 + rest % (COLUMNS.len() - 1)) % COLUMNS.len();
    let rest = rest / (COLUMNS.len() - 1);
    let (p, kind) = COLUMNS[rest % COLUMNS.len()];
    let (a, b) = (COLUMNS[a].0, COLUMNS[b].0);
    match (i / 7) % 6 {
        0 => format!(
            "SELECT {a}, {b} FROM {table} WHERE {}",
            predicate(p, kind, i)
        ),
        1 => format!(
            "SELECT {a}, {b}, count(*) AS n FROM {table} WHERE {} GROUP BY {a}, {b}",
            predicate(p, kind, i)
        ),
        2 => format!(
            "SELECT id, {a}, {b} FROM {table} WHERE {} ORDER BY {a} DESC, id LIMIT 50",
            predicate(p, kind, i)
        ),
        3 => {
            let other = TABLES[(i / TABLES.len() + 1 + i) % TABLES.len()];
            format!(
                "SELECT o.{a}, o.{b}, x.status, x.created_at FROM {table} o JOIN {other} x ON x.id = o.owner_id WHERE {}",
                predicate(&format!("o.{p}"), kind, i)
            )
        }
        4 => format!(
            "SELECT {a}, {b} FROM {table} WHERE {} AND id > {}",
            in_list(p, kind, i),
            i % 500
        ),
        _ => format!(
            "SELECT DISTINCT {a}, {b} FROM {table} WHERE {} AND {a} IS NOT NULL",
            predicate(p, kind, i)
        ),
    }
}

fn script(statements: impl Iterator<Item = usize>) -> String {
    let mut script = String::new();
    for i in statements {
        let _ = writeln!(script, "{};", workload_statement(i));
    }
    script
}

fn schema() -> String {
    let mut sql = String::from("CREATE EXTENSION pg_stat_statements;\n");
    for table in TABLES {
        let columns: Vec<String> = COLUMNS
            .iter()
            .map(|&(name, kind)| {
                let ty = match (name, kind) {
                    ("id", _) => "bigint PRIMARY KEY",
                    (_, Kind::Number) => "bigint",
                    (_, Kind::Text) => "text",
                    (_, Kind::Time) => "timestamptz",
                };
                format!("{name} {ty}")
            })
            .collect();
        let values: Vec<String> = COLUMNS
            .iter()
            .map(|&(name, kind)| match (name, kind) {
                ("id", _) => "g".to_string(),
                (_, Kind::Number) => "g % 97".to_string(),
                (_, Kind::Text) => "'v' || g % 13".to_string(),
                (_, Kind::Time) => "now() - g * interval '1 minute'".to_string(),
            })
            .collect();
        let _ = writeln!(sql, "CREATE TABLE {table} ({});", columns.join(", "));
        let _ = writeln!(
            sql,
            "INSERT INTO {table} SELECT {} FROM generate_series(1, 500) g;",
            values.join(", ")
        );
    }
    sql.push_str("ANALYZE;\n");
    sql
}

/// The documents an editor has open: each a comment, `matched` texts that
/// pg_stat_statements holds (so they match by fingerprint) and a few
/// statements it never saw, some with lint findings.
fn documents(config: &Config, held: &[&str]) -> Vec<Document> {
    let unmatched = [
        "SELECT * FROM orders WHERE note LIKE '%refund%'",
        "UPDATE accounts SET status = 'closed'",
        "SELECT id FROM customers WHERE region = NULL ORDER BY random()",
        "DELETE FROM sessions WHERE created_at < now() - interval '30 days'",
    ];
    (0..config.documents)
        .map(|d| {
            let mut text = format!("-- queries/module_{d}.sql\n\n");
            for j in 0..config.per_document {
                let statement = if j < config.matched_per_document {
                    held[(d * config.matched_per_document + j) % held.len()]
                } else {
                    unmatched[(d + j) % unmatched.len()]
                };
                let _ = write!(text, "{statement};\n\n");
            }
            Document::new(text, 1)
        })
        .collect()
}

/// Wall time, our process's CPU time and the PostgreSQL backend's CPU time.
#[derive(Clone, Copy, Default)]
struct Cost {
    wall: Duration,
    ours: Duration,
    backend: Option<Duration>,
}

struct Meter {
    backend_pid: Option<u32>,
}

impl Meter {
    fn measure<T>(&self, work: impl FnOnce() -> T) -> (T, Cost) {
        let backend_before = self.backend_pid.and_then(process_cpu);
        let ours_before = own_cpu();
        let started = Instant::now();
        let out = work();
        let wall = started.elapsed();
        let ours = own_cpu().saturating_sub(ours_before);
        let backend = match (backend_before, self.backend_pid.and_then(process_cpu)) {
            (Some(before), Some(after)) => Some(after.saturating_sub(before)),
            _ => None,
        };
        (
            out,
            Cost {
                wall,
                ours,
                backend,
            },
        )
    }
}

#[repr(C)]
struct Timespec {
    seconds: std::ffi::c_long,
    nanoseconds: std::ffi::c_long,
}

unsafe extern "C" {
    fn clock_gettime(clock: std::ffi::c_int, time: *mut Timespec) -> std::ffi::c_int;
}

/// Linux's `CLOCK_PROCESS_CPUTIME_ID`.
const CLOCK_PROCESS_CPUTIME_ID: std::ffi::c_int = 2;

/// CPU time of this process, every thread (exited ones too), to the nanosecond.
fn own_cpu() -> Duration {
    let mut time = Timespec {
        seconds: 0,
        nanoseconds: 0,
    };
    // SAFETY: `time` is a valid, writable timespec for the call's duration.
    let status = unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut time) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    Duration::new(time.seconds as u64, time.nanoseconds as u32)
}

/// CPU time of a (single-threaded) process from `/proc/<pid>/schedstat`;
/// exact while the process sleeps, as an idle backend does.
fn process_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/schedstat")).ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Median of each column separately.
fn median(costs: &[Cost]) -> Cost {
    fn mid(mut values: Vec<Duration>) -> Duration {
        values.sort();
        values.get(values.len() / 2).copied().unwrap_or_default()
    }
    let backend: Vec<Duration> = costs.iter().filter_map(|cost| cost.backend).collect();
    Cost {
        wall: mid(costs.iter().map(|cost| cost.wall).collect()),
        ours: mid(costs.iter().map(|cost| cost.ours).collect()),
        backend: (!backend.is_empty()).then(|| mid(backend)),
    }
}

/// `None`: not measured, or no backend work (in-process analysis).
fn show_backend(duration: Option<Duration>) -> String {
    duration.map_or_else(|| "—".to_string(), show)
}

/// Re-publishing after a new snapshot: every open document's findings and
/// lenses. Returns (findings, lenses, statements matched).
fn rematch(documents: &[Document], settings: &Settings, snapshot: &Snapshot) -> (usize, usize) {
    let advice = AdviceView::default();
    let mut findings = 0;
    let mut shown = 0;
    for document in documents {
        findings += black_box(document_findings(document, settings, snapshot, &advice)).len();
        shown += black_box(lenses(document, snapshot)).len();
    }
    (findings, shown)
}

fn main() {
    let config = Config::from_args();
    if config.smoke && !pg::pg_bin("initdb").exists() {
        eprintln!(
            "stats_poll: PostgreSQL is not installed; nothing to do (run with `cargo bench --bench stats_poll`)"
        );
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");

    eprintln!("stats_poll: starting PostgreSQL 15");
    let cluster = PgCluster::builder()
        .conf(&format!("pg_stat_statements.max = {MAX_ENTRIES}"))
        .conf("compute_query_id = on")
        .start();
    cluster.create_database(DATABASE);
    cluster.psql(DATABASE, &schema());
    cluster.psql(DATABASE, "SELECT pg_stat_statements_reset()");
    let started = Instant::now();
    cluster.psql(DATABASE, &script(0..config.statements));
    eprintln!(
        "stats_poll: ran {} distinct statements in {}",
        config.statements,
        show(started.elapsed())
    );

    let url = cluster.url_for(DATABASE, pg::SUPERUSER);
    let spec = ConnSpec::parse(&url).expect("connection URL");
    let source = runtime
        .block_on(StatsSource::connect(&spec))
        .expect("connect the statistics source");
    let backend_pid: Option<u32> = cluster
        .psql(
            "postgres",
            &format!(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'optischema' AND datname = '{DATABASE}'"
            ),
        )
        .trim()
        .parse()
        .ok();
    let meter = Meter { backend_pid };
    let in_process = Meter { backend_pid: None };
    if backend_pid.and_then(process_cpu).is_none() {
        eprintln!("stats_poll: cannot read the backend's CPU time; PostgreSQL CPU shows —");
    }

    // The first poll of a fresh state fetches every text: the expensive one.
    let fresh_poll = || {
        let mut state = PollState::new(History::new(), Windows::default());
        let (polled, cost) = meter.measure(|| runtime.block_on(state.poll(&source, false)));
        (state, polled.expect("first poll"), cost)
    };
    let (mut state, mut snapshot, cost) = fresh_poll();
    let mut first = vec![cost];
    for _ in 1..config.first_polls {
        let (fresh, polled, cost) = fresh_poll();
        (state, snapshot) = (fresh, polled);
        first.push(cost);
    }
    let entries_in_poll = snapshot.statements.len();

    // Its parts apart: counters alone, then the texts of every queryid.
    let mut entries_costs = Vec::new();
    let mut texts_costs = Vec::new();
    let mut queryids: Vec<i64> = Vec::new();
    for _ in 0..config.first_polls {
        let (rows, cost) = meter.measure(|| runtime.block_on(source.entries()));
        let rows = rows.expect("entries");
        entries_costs.push(cost);
        queryids = rows.iter().map(|row| row.key.queryid).collect();
        queryids.sort_unstable();
        queryids.dedup();
        let (texts, cost) = meter.measure(|| runtime.block_on(source.texts(&queryids)));
        black_box(texts.expect("texts"));
        texts_costs.push(cost);
    }

    // Open documents made of texts pg_stat_statements holds.
    let mut held: Vec<&str> = state
        .sample_text
        .values()
        .map(|text| &**text)
        .filter(|text| text.starts_with("SELECT") && !text.contains("pg_"))
        .collect();
    held.sort_unstable();
    assert!(!held.is_empty(), "no workload texts in pg_stat_statements");
    let documents = documents(&config, &held);
    let settings = Settings::default();
    let document_statements: usize = documents.iter().map(|d| d.statements().len()).sum();
    let (rss_open, _) = resident_memory();

    // Steady polls: a slice of the workload ran again since the last one.
    let mut steady = Vec::new();
    let mut with_catalog = Vec::new();
    let mut rematches = Vec::new();
    let mut matched = 0;
    let mut findings = 0;
    for n in 0..config.steady_polls + config.catalog_polls {
        let from = n * config.slice % config.statements.max(1);
        let slice = (from..from + config.slice).map(|i| i % config.statements);
        cluster.psql(DATABASE, &script(slice));
        let refresh_catalog = n >= config.steady_polls;
        let (polled, cost) =
            meter.measure(|| runtime.block_on(state.poll(&source, refresh_catalog)));
        snapshot = polled.expect("steady poll");
        if refresh_catalog {
            with_catalog.push(cost);
        } else {
            steady.push(cost);
        }
        let ((found, shown), cost) =
            in_process.measure(|| rematch(&documents, &settings, &snapshot));
        findings = found;
        matched = shown;
        rematches.push(cost);
    }
    let (rss_end, peak) = resident_memory();

    let counts = cluster.psql(
        DATABASE,
        &format!(
            "SELECT count(*), count(*) FILTER (WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '{DATABASE}')), (SELECT dealloc FROM pg_stat_statements_info) FROM pg_stat_statements"
        ),
    );
    let counts: Vec<&str> = counts.trim().split('|').collect();
    let count = |at: usize| counts.get(at).copied().unwrap_or("?");

    let first = median(&first);
    let entries_cost = median(&entries_costs);
    let texts_cost = median(&texts_costs);
    let steady = median(&steady);
    let with_catalog = median(&with_catalog);
    let rematch_cost = median(&rematches);

    let mut setup = String::from("| setting | value |\n|---|---|\n");
    let mut row = |what: &str, value: String| {
        let _ = writeln!(setup, "| {what} | {value} |");
    };
    row(
        "pg_stat_statements",
        format!(
            "max = {MAX_ENTRIES}, compute_query_id = on, track = all; PostgreSQL 15, local TCP"
        ),
    );
    row(
        "entries (all databases / the polled one) after the run",
        format!("{} / {}", count(0), count(1)),
    );
    row(
        "evictions (`pg_stat_statements_info.dealloc`)",
        count(2).to_string(),
    );
    row(
        "workload",
        format!(
            "{} distinct SELECTs over {} tables, each run once; {} run again before each steady poll",
            config.statements,
            TABLES.len(),
            config.slice
        ),
    );
    row(
        "fingerprints in the first poll's snapshot",
        entries_in_poll.to_string(),
    );
    row(
        "open documents",
        format!(
            "{} × {} statements ({} in all, {} of them held by pg_stat_statements)",
            config.documents,
            config.per_document,
            document_statements,
            config.documents * config.matched_per_document
        ),
    );
    row(
        "after re-match",
        format!("{matched} statements with a lens, {findings} findings"),
    );
    row(
        "RSS with the documents open, after the first polls",
        mib(rss_open),
    );
    row(
        "RSS at the end / peak (VmHWM)",
        format!("{} / {}", mib(rss_end), mib(peak)),
    );

    let mut costs =
        String::from("| per poll | wall | our CPU | PostgreSQL backend CPU |\n|---|---|---|---|\n");
    let mut cost_row = |what: String, cost: Cost| {
        let _ = writeln!(
            costs,
            "| {what} | {} | {} | {} |",
            show(cost.wall),
            show(cost.ours),
            show_backend(cost.backend)
        );
    };
    cost_row(
        format!(
            "first poll: counters, {} texts, catalog (median of {})",
            queryids.len(),
            config.first_polls
        ),
        first,
    );
    cost_row(
        "  of it: `entries()`, counters alone".to_string(),
        entries_cost,
    );
    cost_row(
        format!("  of it: `texts()` of all {} queryids", queryids.len()),
        texts_cost,
    );
    cost_row(
        format!("steady poll (median of {})", config.steady_polls),
        steady,
    );
    cost_row(
        format!(
            "steady poll with catalog refresh (median of {})",
            config.catalog_polls
        ),
        with_catalog,
    );
    cost_row(
        format!(
            "re-match {} documents: `document_findings` + `lenses` (median of {})",
            config.documents,
            rematches.len()
        ),
        rematch_cost,
    );
    cost_row(
        "**steady poll + re-match**".to_string(),
        Cost {
            wall: steady.wall + rematch_cost.wall,
            ours: steady.ours + rematch_cost.ours,
            backend: steady.backend,
        },
    );

    let report = format!("{setup}\n{costs}");
    println!("{report}");
    if config.smoke {
        return;
    }
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/stats_poll.md");
    if let Err(error) = std::fs::write(&target, &report) {
        eprintln!("could not write {}: {error}", target.display());
    }
}
