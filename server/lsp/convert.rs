//! Conversions between plain analysis data and LSP types. The only place
//! that knows both.

use std::ops::Range;

use tower_lsp_server::ls_types::{
    Diagnostic, DiagnosticSeverity, NumberOrString, Position, Range as LspRange,
};

use crate::analysis::diagnostics::DocumentFinding;
use crate::analysis::finding::Severity;
use crate::document::Document;
use crate::text::{LineCol, PositionEncoding};

pub const SOURCE: &str = "optischema";

pub fn position(document: &Document, offset: usize, encoding: PositionEncoding) -> Position {
    let LineCol { line, col } = document.line_index().position(offset, encoding);
    Position::new(line, col)
}

pub fn range(document: &Document, range: Range<usize>, encoding: PositionEncoding) -> LspRange {
    LspRange::new(
        position(document, range.start, encoding),
        position(document, range.end, encoding),
    )
}

/// The byte offset of a client position (clamped into the document).
pub fn offset(document: &Document, position: Position, encoding: PositionEncoding) -> usize {
    document.line_index().offset(
        LineCol {
            line: position.line,
            col: position.character,
        },
        document.text(),
        encoding,
    )
}

pub fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

pub fn diagnostic(
    document: &Document,
    found: &DocumentFinding,
    encoding: PositionEncoding,
) -> Diagnostic {
    Diagnostic {
        range: range(document, found.range.clone(), encoding),
        severity: Some(severity(found.finding.severity)),
        code: Some(NumberOrString::String(found.finding.code.to_string())),
        source: Some(SOURCE.to_string()),
        message: found.finding.message.clone(),
        ..Diagnostic::default()
    }
}
