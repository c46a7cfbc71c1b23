//! Hover text for the statement under the cursor, as Markdown.

use std::fmt::Write;
use std::ops::Range;

use crate::document::Document;
use crate::sql::ast::parse_statement;
use crate::sql::facts::{QueryFacts, extract};
use crate::stats::snapshot::Snapshot;

/// What a hover shows and which text it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct HoverInfo {
    pub range: Range<usize>,
    pub markdown: String,
}

/// The hover for byte `offset`, if it is inside a statement.
pub fn hover(document: &Document, offset: usize, _snapshot: &Snapshot) -> Option<HoverInfo> {
    let statement = document.statement_at(offset)?;
    let analysis = &statement.analysis;
    let mut markdown = String::new();
    let _ = writeln!(markdown, "**{}** statement", analysis.kind.label());
    // Facts are only computed up front for DML; other statements are parsed here.
    let facts: Option<QueryFacts> = analysis.facts.clone().or_else(|| {
        analysis
            .syntax_error
            .is_none()
            .then(|| parse_statement(document.statement_text(statement)))
            .flatten()
            .map(|ast| extract(&ast))
    });
    match facts {
        Some(facts) if !facts.tables.is_empty() => {
            let names: Vec<String> = facts
                .tables
                .iter()
                .map(|table| match &table.alias {
                    Some(alias) => format!("`{}` (as `{alias}`)", table.qualified_name()),
                    None => format!("`{}`", table.qualified_name()),
                })
                .collect();
            let _ = writeln!(markdown, "\nTables: {}", names.join(", "));
        }
        Some(_) => {}
        None if analysis.syntax_error.is_some() => {
            let _ = writeln!(markdown, "\nPostgreSQL cannot parse this statement.");
        }
        None => {}
    }
    let _ = writeln!(markdown, "\nFingerprint `{}`", analysis.fingerprint);
    Some(HoverInfo {
        range: statement.span.range.clone(),
        markdown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hover_lists_tables_with_aliases() {
        let document = Document::new("SELECT id, name FROM users WHERE id = 1;\nSELECT o.id FROM orders o JOIN users u ON u.id = o.user_id;".into(), 1);
        let info = hover(&document, 3, &Snapshot::empty()).unwrap();
        assert!(info.markdown.contains("`users`"), "{}", info.markdown);
        let info = hover(&document, 50, &Snapshot::empty()).unwrap();
        assert!(
            info.markdown.contains("`orders` (as `o`)"),
            "{}",
            info.markdown
        );
    }
}
