//! A document's findings in absolute byte ranges, after the user's rule settings.

use std::ops::Range;

use super::finding::Finding;
use crate::config::Settings;
use crate::document::Document;
use crate::stats::snapshot::Snapshot;

/// A finding placed in the document.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentFinding {
    /// Absolute byte range in the document.
    pub range: Range<usize>,
    pub finding: Finding,
}

/// Every finding for `document` under `settings`; rules switched off are dropped
/// and severities follow the configuration.
pub fn document_findings(
    document: &Document,
    settings: &Settings,
    _snapshot: &Snapshot,
) -> Vec<DocumentFinding> {
    let mut out = Vec::new();
    for statement in document.statements() {
        let base = statement.span.range.start;
        for finding in &statement.analysis.findings {
            let Some(severity) = settings.rule_severity(finding.code, finding.severity) else {
                continue;
            };
            out.push(DocumentFinding {
                range: base + finding.range.start..base + finding.range.end,
                finding: Finding {
                    severity,
                    ..finding.clone()
                },
            });
        }
    }
    out
}
