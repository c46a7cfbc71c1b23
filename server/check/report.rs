//! The JSON report: `{"files":[{"path","statements":[{"range","fingerprint","stats"}],"diagnostics":[…]}]}`.

use std::io::Write;

use serde::Serialize;
use tower_lsp_server::ls_types::{Diagnostic, Range};

use super::AnalyzedFile;
use crate::lsp::convert;
use crate::sql::fingerprint::Fingerprint;
use crate::stats::snapshot::Snapshot;
use crate::text::PositionEncoding;

/// JSON ranges use LSP's default: UTF-16 columns.
const ENCODING: PositionEncoding = PositionEncoding::Utf16;

#[derive(Serialize)]
pub struct Report {
    pub files: Vec<FileReport>,
}

#[derive(Serialize)]
pub struct FileReport {
    pub path: String,
    pub statements: Vec<StatementReport>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Serialize)]
pub struct StatementReport {
    pub range: Range,
    pub fingerprint: String,
    pub stats: Option<serde_json::Value>,
}

/// `stats` of one statement, as DESIGN.md specifies for `check --format json`.
#[derive(Serialize)]
pub struct StatementStatsReport {
    pub queryids: Vec<i64>,
    pub calls: u64,
    pub mean_ms: Option<f64>,
    pub total_ms: f64,
    pub rows: u64,
}

fn stats_report(snapshot: &Snapshot, fingerprint: Fingerprint) -> Option<serde_json::Value> {
    let (_, stats) = snapshot.stats_for(fingerprint)?;
    let total = &stats.cumulative;
    serde_json::to_value(StatementStatsReport {
        queryids: stats.queryids.clone(),
        calls: total.calls,
        mean_ms: total.mean_ms(),
        total_ms: total.total_ms,
        rows: total.rows,
    })
    .ok()
}

pub fn build(analyzed: &[AnalyzedFile], snapshot: &Snapshot) -> Report {
    let files = analyzed
        .iter()
        .map(|file| {
            let document = &file.document;
            FileReport {
                path: file.path.display().to_string(),
                statements: document
                    .statements()
                    .iter()
                    .map(|statement| StatementReport {
                        range: convert::range(document, statement.span.range.clone(), ENCODING),
                        fingerprint: statement.analysis.fingerprint.to_string(),
                        stats: stats_report(snapshot, statement.analysis.fingerprint),
                    })
                    .collect(),
                diagnostics: file
                    .findings
                    .iter()
                    .map(|found| convert::diagnostic(document, found, ENCODING))
                    .collect(),
            }
        })
        .collect();
    Report { files }
}

pub fn write_json(
    analyzed: &[AnalyzedFile],
    snapshot: &Snapshot,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &build(analyzed, snapshot))?;
    writeln!(out)
}
