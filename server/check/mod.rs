//! `optischema check`: the editor's analysis for terminals and CI.

mod files;
mod report;
mod sarif;
mod text;

use std::io::Write;
use std::path::PathBuf;

use crate::analysis::diagnostics::{AdviceView, DocumentFinding, document_findings};
use crate::analysis::finding::Severity;
use crate::config::Settings;
use crate::document::Document;
use crate::stats::snapshot::Snapshot;

pub use report::{FileReport, StatementReport};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

/// What `check` was asked to do.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub paths: Vec<PathBuf>,
    pub format: Format,
    pub fail_on: Severity,
}

/// Exit codes: findings at or above `--fail-on`, and usage or I/O trouble.
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_TROUBLE: u8 = 2;

/// One analysed file.
pub struct AnalyzedFile {
    pub path: PathBuf,
    pub document: Document,
    pub findings: Vec<DocumentFinding>,
}

/// Analyses every file; `Err` carries a message for files that could not be read.
pub fn analyze_paths(
    paths: &[PathBuf],
    settings: &Settings,
    snapshot: &Snapshot,
) -> Result<Vec<AnalyzedFile>, String> {
    let mut analyzed = Vec::new();
    for path in files::collect_sql_files(paths)? {
        let text = files::read_text(&path)?;
        let document = Document::new(text, 0);
        let findings = document_findings(&document, settings, snapshot, &AdviceView::default());
        analyzed.push(AnalyzedFile {
            path,
            document,
            findings,
        });
    }
    Ok(analyzed)
}

/// Runs the check and writes the report; returns the exit code.
pub fn run(
    options: &CheckOptions,
    settings: &Settings,
    snapshot: &Snapshot,
    out: &mut dyn Write,
) -> u8 {
    let analyzed = match analyze_paths(&options.paths, settings, snapshot) {
        Ok(analyzed) => analyzed,
        Err(message) => {
            eprintln!("optischema check: {message}");
            return EXIT_TROUBLE;
        }
    };
    let written = match options.format {
        Format::Text => text::write(&analyzed, out),
        Format::Json => report::write_json(&analyzed, snapshot, out),
        Format::Sarif => sarif::write(&analyzed, out),
    };
    if let Err(error) = written {
        // `check … | head` closing the pipe early is not worth a complaint.
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            return EXIT_TROUBLE;
        }
        eprintln!("optischema check: cannot write the report: {error}");
        return EXIT_TROUBLE;
    }
    let failing = analyzed
        .iter()
        .flat_map(|file| &file.findings)
        .any(|found| found.finding.severity >= options.fail_on);
    if failing { EXIT_FINDINGS } else { 0 }
}
