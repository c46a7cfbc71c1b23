//! LSP latency and memory on large SQL files: `cargo bench --bench lsp_latency`.
//!
//! For generated files of 200, 2,000 and 10,000 statements (the last about
//! 2.5 MB) it measures
//! - `Document::new` in-process (split + analysis of the whole file),
//! - through the release binary over stdio, each size in a fresh server:
//!   didOpen → first `publishDiagnostics`, a one-character incremental
//!   didChange in the middle of the file → `publishDiagnostics` of that
//!   version, hover on the middle statement, and the server's peak and
//!   current resident memory afterwards,
//!
//! then prints a Markdown table and writes it to `target/lsp_latency.md`.
//! Each size is served `LSP_LATENCY_RUNS` times (default 3), each time by a
//! fresh server: the table gives the median run and didOpen's range, since
//! a shared machine's noise shows most there.
//! `LSP_LATENCY_SIZES=200,2000` picks other sizes, `LSP_LATENCY_EDITS=1000`
//! another number of edits (for profiling the server with `perf record -p`),
//! and `LSP_LATENCY_DUMP=DIR` also writes the generated files there.

#[path = "support/client.rs"]
mod client;
#[path = "support/sqlgen.rs"]
mod sqlgen;

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use optischema::document::Document;
use serde_json::json;

use client::Server;
use sqlgen::SqlFile;

const DEFAULT_SIZES: &[usize] = &[200, 2_000, 10_000];
/// Edits per size; `LSP_LATENCY_EDITS` overrides (e.g. for profiling).
const EDITS: usize = 50;
/// Fresh servers per size; `LSP_LATENCY_RUNS` overrides.
const RUNS: usize = 3;
const HOVERS: usize = 100;
const SEED: u64 = 0x0971_5C4E_3A00_0001;

/// What one file size measured.
struct Row {
    statements: usize,
    bytes: usize,
    document_new: Duration,
    open_to_diagnostics: Duration,
    /// Fastest and slowest didOpen → diagnostics over the runs.
    open_range: (Duration, Duration),
    diagnostics: usize,
    change: Stats,
    hover: Stats,
    peak_rss_kb: u64,
    rss_kb: u64,
}

struct Stats {
    median: Duration,
    p95: Duration,
}

impl Stats {
    fn of(mut samples: Vec<Duration>) -> Stats {
        samples.sort();
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Stats {
            median: at(0.5),
            p95: at(0.95),
        }
    }
}

fn main() {
    let sizes = sizes();
    let mut rows = Vec::new();
    for &statements in &sizes {
        let file = sqlgen::generate(statements, SEED ^ statements as u64);
        if let Some(dir) = std::env::var_os("LSP_LATENCY_DUMP") {
            let path = PathBuf::from(dir).join(format!("lsp_latency_{statements}.sql"));
            std::fs::write(&path, &file.text).expect("write LSP_LATENCY_DUMP file");
        }
        eprintln!(
            "lsp_latency: {statements} statements, {:.2} MB",
            mb(file.text.len() as u64)
        );
        let document_new = time_document_new(&file.text);
        let runs = (0..runs())
            .map(|_| measure_server(&file, document_new))
            .collect();
        let row = median_run(runs);
        eprintln!("  {}", table_row(&row));
        rows.push(row);
    }
    let table = markdown(&rows);
    println!("\n{table}");
    let path = target_dir().join("lsp_latency.md");
    match std::fs::write(&path, &table) {
        Ok(()) => eprintln!("lsp_latency: table written to {}", path.display()),
        Err(error) => eprintln!("lsp_latency: cannot write {}: {error}", path.display()),
    }
}

fn sizes() -> Vec<usize> {
    match std::env::var("LSP_LATENCY_SIZES") {
        Ok(list) => list
            .split(',')
            .map(|n| {
                n.trim()
                    .replace('_', "")
                    .parse()
                    .expect("LSP_LATENCY_SIZES")
            })
            .collect(),
        Err(_) => DEFAULT_SIZES.to_vec(),
    }
}

fn runs() -> usize {
    std::env::var("LSP_LATENCY_RUNS")
        .map_or(RUNS, |n| n.parse().expect("LSP_LATENCY_RUNS"))
        .max(1)
}

/// The run with the median didOpen → diagnostics, with the range of all;
/// the peak memory is the highest of any run.
fn median_run(mut runs: Vec<Row>) -> Row {
    runs.sort_by_key(|run| run.open_to_diagnostics);
    let open_range = (
        runs[0].open_to_diagnostics,
        runs[runs.len() - 1].open_to_diagnostics,
    );
    let peak_rss_kb = runs.iter().map(|run| run.peak_rss_kb).max().unwrap_or(0);
    let mut median = runs.swap_remove(runs.len() / 2);
    median.open_range = open_range;
    median.peak_rss_kb = peak_rss_kb;
    median
}

fn edits() -> usize {
    std::env::var("LSP_LATENCY_EDITS").map_or(EDITS, |n| n.parse().expect("LSP_LATENCY_EDITS"))
}

/// Median of a few full analyses; the drop is not timed.
fn time_document_new(text: &str) -> Duration {
    let runs = if text.len() > 1_000_000 { 5 } else { 9 };
    let samples = (0..runs)
        .map(|_| {
            let text = text.to_owned();
            let start = Instant::now();
            let document = Document::new(black_box(text), 1);
            let elapsed = start.elapsed();
            drop(black_box(document));
            elapsed
        })
        .collect();
    Stats::of(samples).median
}

fn measure_server(file: &SqlFile, document_new: Duration) -> Row {
    let mut server = Server::start(env!("CARGO_BIN_EXE_optischema"));
    server.initialize();
    let uri = format!("file:///bench/lsp_latency_{}.sql", file.starts.len());

    // didOpen → first diagnostics.
    let open = json!({
        "jsonrpc": "2.0",
        "method": "textDocument/didOpen",
        "params": { "textDocument": {
            "uri": uri, "languageId": "sql", "version": 1, "text": file.text,
        } },
    });
    let start = server.send_frame(&client::frame(&open));
    let published = server.wait_diagnostics(&uri, 1);
    let open_to_diagnostics = published.at - start;
    let diagnostics = published.message["params"]["diagnostics"]
        .as_array()
        .map_or(0, Vec::len);

    // One-character edits inside the middle statement: insert a space
    // after its first word, then remove it again.
    let middle = file.starts[file.starts.len() / 2];
    let first_word = file.text[middle..]
        .find(char::is_whitespace)
        .expect("statement has a space");
    let (line, character) = line_col(&file.text, middle + first_word);
    let mut version = 1;
    let edits = edits();
    let mut samples = Vec::with_capacity(edits);
    for edit in 0..edits {
        version += 1;
        let (end, text) = if edit % 2 == 0 {
            (character, " ")
        } else {
            (character + 1, "")
        };
        let change = json!({
            "jsonrpc": "2.0",
            "method": "textDocument/didChange",
            "params": {
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{
                    "range": {
                        "start": { "line": line, "character": character },
                        "end": { "line": line, "character": end },
                    },
                    "text": text,
                }],
            },
        });
        let start = server.send_frame(&client::frame(&change));
        let published = server.wait_diagnostics(&uri, version);
        samples.push(published.at - start);
    }
    let change = Stats::of(samples);

    // Hover a few characters into the middle statement.
    let (line, character) = line_col(&file.text, middle + 2);
    let mut samples = Vec::with_capacity(HOVERS);
    for _ in 0..HOVERS {
        let params = json!({
            "textDocument": { "uri": uri },
            "position": { "line": line, "character": character },
        });
        let (latency, result) = server.request("textDocument/hover", params);
        assert!(!result.is_null(), "no hover on the middle statement");
        samples.push(latency);
    }
    let hover = Stats::of(samples);

    let (peak_rss_kb, rss_kb) = memory_kb(server.pid());
    server.shutdown();
    Row {
        statements: file.starts.len(),
        bytes: file.text.len(),
        document_new,
        open_to_diagnostics,
        open_range: (open_to_diagnostics, open_to_diagnostics),
        diagnostics,
        change,
        hover,
        peak_rss_kb,
        rss_kb,
    }
}

/// 0-based line and UTF-16 column of a byte offset (the text is ASCII).
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, offset - line_start)
}

/// `VmHWM` and `VmRSS` of a process, in kB.
fn memory_kb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// One size's figures as a row of the Markdown table.
fn table_row(row: &Row) -> String {
    format!(
        "| {} | {:.2} | {:.1} | {:.1} ({:.1}–{:.1}) | {} | {:.2} / {:.2} | {:.2} / {:.2} | {:.1} | {:.1} |",
        thousands(row.statements),
        mb(row.bytes as u64),
        ms(row.document_new),
        ms(row.open_to_diagnostics),
        ms(row.open_range.0),
        ms(row.open_range.1),
        row.diagnostics,
        ms(row.change.median),
        ms(row.change.p95),
        ms(row.hover.median),
        ms(row.hover.p95),
        row.peak_rss_kb as f64 / 1024.0,
        row.rss_kb as f64 / 1024.0,
    )
}

fn markdown(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(
        "| statements | size (MB) | Document::new (ms) | didOpen → diagnostics (ms; range over runs) | diagnostics | didChange → diagnostics median / p95 (ms) | hover median / p95 (ms) | peak RSS (MiB) | RSS after (MiB) |\n",
    );
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for row in rows {
        out.push_str(&table_row(row));
        out.push('\n');
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let _ = writeln!(
        out,
        "\n{} one-character edits and {HOVERS} hovers per size, each size {} times in a fresh `optischema lsp` (release build; the run with the median didOpen is shown); {cores} cores; size in MB of 10⁶ bytes; RSS is `VmHWM`/`VmRSS` of the server after all requests (peak: highest of the runs).",
        edits(),
        runs()
    );
    out
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}
