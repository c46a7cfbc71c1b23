//! A document's findings in absolute byte ranges, after the user's rule settings.

use std::ops::Range;

use super::finding::Finding;
use super::stats_findings::statement_findings;
use crate::config::Settings;
use crate::document::{Document, Statement};
use crate::sql::lexer::Lexer;
use crate::stats::snapshot::Snapshot;

/// A finding placed in the document.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentFinding {
    /// Absolute byte range in the document.
    pub range: Range<usize>,
    pub finding: Finding,
}

/// Where statement-wide findings (live numbers) go: the statement's first
/// token, so a long statement is not underlined from top to bottom.
pub fn statement_anchor(document: &Document, statement: &Statement) -> Range<usize> {
    let text = document.statement_text(statement);
    let first = Lexer::new(text).find(|token| !token.kind.is_trivia());
    first.map_or(0..text.len(), |token| token.start..token.end)
}

/// Every finding for `document` under `settings` and the live numbers of
/// `snapshot`; rules switched off are dropped and severities follow the
/// configuration.
pub fn document_findings(
    document: &Document,
    settings: &Settings,
    snapshot: &Snapshot,
) -> Vec<DocumentFinding> {
    let mut out = Vec::new();
    for statement in document.statements() {
        let base = statement.span.range.start;
        let mut place = |finding: &Finding| {
            if let Some(severity) = settings.rule_severity(finding.code, finding.severity) {
                out.push(DocumentFinding {
                    range: base + finding.range.start..base + finding.range.end,
                    finding: Finding {
                        severity,
                        ..finding.clone()
                    },
                });
            }
        };
        statement.analysis.findings.iter().for_each(&mut place);
        if let Some((_, stats)) = snapshot.stats_for(statement.analysis.fingerprint) {
            let anchor = statement_anchor(document, statement);
            statement_findings(stats, snapshot, &settings.thresholds, anchor)
                .iter()
                .for_each(&mut place);
        }
    }
    out
}
