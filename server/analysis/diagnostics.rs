//! A document's findings in absolute byte ranges, after the user's rule settings.

use std::collections::HashMap;
use std::ops::Range;

use super::finding::Finding;
use super::stats_findings::statement_findings;
use crate::config::Settings;
use crate::document::{Document, Statement};
use crate::sql::fingerprint::Fingerprint;
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

/// Statement-wide findings from the advisor (plan findings, validated
/// fixes), by fingerprint; placed on the statement's first token.
#[derive(Debug, Clone, Default)]
pub struct AdviceView {
    pub findings: HashMap<Fingerprint, Vec<Finding>>,
    /// Indexes applied from the advisor's actions that the catalog now
    /// shows, per statement they were made for.
    pub impacts: HashMap<Fingerprint, AppliedIndex>,
}

/// An index the user applied from an action, and when it appeared.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedIndex {
    pub index_name: String,
    pub appeared_at: std::time::SystemTime,
}

/// Every finding for `document` under `settings`, the live numbers of
/// `snapshot` and the advisor's results; rules switched off are dropped and
/// severities follow the configuration.
pub fn document_findings(
    document: &Document,
    settings: &Settings,
    snapshot: &Snapshot,
    advice: &AdviceView,
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
        let fingerprint = statement.analysis.fingerprint;
        let stats = snapshot.stats_for(fingerprint);
        let advised = advice.findings.get(&fingerprint);
        if stats.is_none() && advised.is_none() {
            continue;
        }
        let anchor = statement_anchor(document, statement);
        if let Some((_, stats)) = stats {
            statement_findings(stats, snapshot, &settings.thresholds, anchor.clone())
                .iter()
                .for_each(&mut place);
        }
        for finding in advised.into_iter().flatten() {
            place(&Finding {
                range: anchor.clone(),
                ..finding.clone()
            });
        }
    }
    out
}
