//! Human-readable output: `path:line:col: severity[code] message`.

use std::io::Write;

use super::AnalyzedFile;
use crate::analysis::finding::Severity;
use crate::text::PositionEncoding;

pub fn write(analyzed: &[AnalyzedFile], out: &mut dyn Write) -> std::io::Result<()> {
    let mut counts = [0usize; 4];
    for file in analyzed {
        for found in &file.findings {
            // Terminals count characters; 1-based like compilers print.
            let position = file
                .document
                .line_index()
                .position(found.range.start, PositionEncoding::Utf16);
            writeln!(
                out,
                "{}:{}:{}: {}[{}] {}",
                file.path.display(),
                position.line + 1,
                position.col + 1,
                found.finding.severity.as_str(),
                found.finding.code,
                found.finding.message
            )?;
            counts[found.finding.severity as usize] += 1;
        }
    }
    let total: usize = counts.iter().sum();
    let statements: usize = analyzed.iter().map(|f| f.document.statements().len()).sum();
    writeln!(
        out,
        "{total} finding(s): {} error(s), {} warning(s), {} info, {} hint(s) in {} statement(s) across {} file(s)",
        counts[Severity::Error as usize],
        counts[Severity::Warning as usize],
        counts[Severity::Info as usize],
        counts[Severity::Hint as usize],
        statements,
        analyzed.len()
    )
}
