//! What the editor would show for each file of `examples/queries/`: per
//! statement its code lens, diagnostics (static rules and live numbers) and
//! an excerpt of its hover — the very functions the language server calls,
//! printed for a terminal.

use std::io::Write;
use std::ops::Range;
use std::path::Path;

use super::examples::{QueryFile, statement_name};
use crate::analysis::diagnostics::{AdviceView, DocumentFinding, document_findings};
use crate::analysis::hover::hover;
use crate::analysis::lens::lenses;
use crate::analysis::stats_findings::CODES as LIVE_CODES;
use crate::config::Settings;
use crate::document::{Document, Statement};
use crate::stats::snapshot::Snapshot;
use crate::text::PositionEncoding;

/// Statement texts are cut to this many characters on their summary line.
const STATEMENT_WIDTH: usize = 96;
/// Hover rows shown (the full hover has more).
const HOVER_ROWS: usize = 5;

pub fn write_files(
    files: &[QueryFile],
    root: &Path,
    settings: &Settings,
    snapshot: &Snapshot,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for file in files {
        write_file(file, root, settings, snapshot, out)?;
    }
    Ok(())
}

fn write_file(
    file: &QueryFile,
    root: &Path,
    settings: &Settings,
    snapshot: &Snapshot,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let document = &file.document;
    let shown = file.path.strip_prefix(root).unwrap_or(&file.path);
    let findings = document_findings(document, settings, snapshot, &AdviceView::default());
    let lenses = lenses(document, snapshot);
    let matched = document
        .statements()
        .iter()
        .filter(|s| snapshot.stats_for(s.analysis.fingerprint).is_some())
        .count();
    writeln!(
        out,
        "\n━━ {} — {} statement(s), {matched} with live numbers",
        shown.display(),
        document.statements().len()
    )?;
    for statement in document.statements() {
        let range =
            statement.span.extent.start..statement.span.extent.end.max(statement.span.range.end);
        writeln!(out)?;
        writeln!(out, "{}", heading(document, statement, shown))?;
        writeln!(out, "    {}", one_line(document.statement_text(statement)))?;
        for lens in lenses.iter().filter(|lens| inside(&lens.range, &range)) {
            writeln!(out, "    lens     {}", lens.title)?;
        }
        for found in findings.iter().filter(|found| inside(&found.range, &range)) {
            writeln!(out, "    {}", diagnostic(document, found))?;
        }
        if let Some(info) = hover(document, statement.span.range.start, snapshot) {
            for (index, line) in hover_excerpt(&info.markdown).iter().enumerate() {
                let label = if index == 0 { "hover   " } else { "        " };
                writeln!(out, "    {label} {line}")?;
            }
        }
    }
    Ok(())
}

fn inside(range: &Range<usize>, statement: &Range<usize>) -> bool {
    statement.start <= range.start && range.start < statement.end.max(statement.start + 1)
}

/// `orders.sql:4 · orders_for_customer`
fn heading(document: &Document, statement: &Statement, shown: &Path) -> String {
    let line = document
        .line_index()
        .position(statement.span.range.start, PositionEncoding::Utf16)
        .line
        + 1;
    match statement_name(document, statement) {
        Some(name) => format!("  {}:{line} · {name}", shown.display()),
        None => format!("  {}:{line}", shown.display()),
    }
}

/// The statement on one line, whitespace collapsed, cut to a terminal width.
pub fn one_line(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= STATEMENT_WIDTH {
        return collapsed;
    }
    let cut: String = collapsed.chars().take(STATEMENT_WIDTH - 1).collect();
    format!("{cut}…")
}

/// `live     warning  slow-statement  slow: mean …` (line number when the
/// finding is not on the statement's first line).
fn diagnostic(document: &Document, found: &DocumentFinding) -> String {
    let kind = if LIVE_CODES
        .iter()
        .any(|info| info.code == found.finding.code)
    {
        "live  "
    } else {
        "static"
    };
    let line = document
        .line_index()
        .position(found.range.start, PositionEncoding::Utf16)
        .line
        + 1;
    format!(
        "{kind}   {:<8} {} (line {line}): {}",
        found.finding.severity.as_str(),
        found.finding.code,
        found.finding.message
    )
}

/// The hover's table rows as `name: value`, its trend line, or its
/// "not seen" note — without Markdown syntax.
pub fn hover_excerpt(markdown: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rows = 0;
    for line in markdown.lines() {
        let trimmed = line.trim();
        if let Some(row) = trimmed.strip_prefix('|') {
            let cells: Vec<&str> = row
                .trim_end_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            let is_header = cells
                .iter()
                .all(|cell| cell.is_empty() || cell.chars().all(|c| c == '-'));
            if !is_header && cells.len() >= 2 && rows < HOVER_ROWS {
                lines.push(format!("{}: {}", cells[0], cells[1]));
                rows += 1;
            }
        } else if trimmed.starts_with("Mean latency") || trimmed.starts_with("Not seen") {
            lines.push(trimmed.replace('`', ""));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hover_excerpt_keeps_rows_and_trend() {
        let markdown = "**SELECT** statement\n\n| | |\n|---|---|\n| calls | 1,234 |\n| time | mean 3 ms |\n\nMean latency over the last 12 s: `▁▂▃`\n\n<sub>x</sub>";
        assert_eq!(
            hover_excerpt(markdown),
            vec![
                "calls: 1,234".to_owned(),
                "time: mean 3 ms".to_owned(),
                "Mean latency over the last 12 s: ▁▂▃".to_owned()
            ]
        );
    }

    #[test]
    fn long_statements_are_cut() {
        let text = format!("SELECT {}", "x, ".repeat(60));
        let line = one_line(&text);
        assert_eq!(line.chars().count(), STATEMENT_WIDTH);
        assert!(line.ends_with('…'));
        assert_eq!(one_line("SELECT 1\n  FROM t"), "SELECT 1 FROM t");
    }
}
