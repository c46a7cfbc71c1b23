//! Everything known about one statement without a database: computed once
//! per distinct statement text and reused while the text is unchanged.

use std::ops::Range;

use super::finding::{Finding, Severity};
use super::rules::{self, Candidates, RuleContext};
use crate::sql::ast::parse_statement;
use crate::sql::facts::QueryFacts;
use crate::sql::fingerprint::{Fingerprint, fingerprint_tokens};
use crate::sql::grammar::{self, GrammarVerdict, SyntaxError};
use crate::sql::kind::StatementKind;
use crate::sql::lexer::{Lexer, Token};

pub const SYNTAX_ERROR: &str = "syntax-error";

/// Statements with more tokens than this skip sqlparser: its recursive
/// descent (and the AST's drop) can overflow a thread's stack on generated
/// SQL with tens of thousands of chained conditions. They still get a
/// syntax check, a fingerprint and statistics.
pub const MAX_TOKENS_FOR_AST: usize = 20_000;

/// The static analysis of one statement; ranges are relative to its start.
#[derive(Debug, Clone)]
pub struct StatementAnalysis {
    pub kind: StatementKind,
    pub fingerprint: Fingerprint,
    pub syntax_error: Option<SyntaxError>,
    /// `None` when sqlparser could not parse the statement, it was not DML,
    /// or no rule could fire on it so it was not parsed: callers that need
    /// facts then extract them on demand (`sql::facts::extract`).
    pub facts: Option<QueryFacts>,
    /// Syntax error and rule findings.
    pub findings: Vec<Finding>,
}

impl StatementAnalysis {
    /// The tables and columns the statement (whose `text` this analysed)
    /// touches: kept from the analysis when a rule needed them, parsed now
    /// otherwise. `None` for text PostgreSQL rejects or sqlparser cannot read.
    pub fn facts_of(&self, text: &str) -> Option<QueryFacts> {
        if self.facts.is_some() {
            return self.facts.clone();
        }
        if self.syntax_error.is_some() {
            return None;
        }
        parse_statement(text).map(|ast| crate::sql::facts::extract(&ast))
    }
}

/// Analyses one statement's text (without its `;`).
pub fn analyze_statement(text: &str) -> StatementAnalysis {
    let syntax_error = match grammar::check(text) {
        GrammarVerdict::Valid { .. } => None,
        GrammarVerdict::Invalid(error) => Some(error),
    };
    analyze_checked(text, syntax_error)
}

/// Like [`analyze_statement`], when PostgreSQL's grammar was already asked
/// (many statements at once: see `grammar::check_all`).
pub fn analyze_checked(text: &str, syntax_error: Option<SyntaxError>) -> StatementAnalysis {
    let tokens: Vec<Token> = Lexer::new(text).filter(|t| !t.kind.is_trivia()).collect();
    let kind = StatementKind::of(text);
    let fingerprint = fingerprint_tokens(text, &tokens);
    let mut analysis = StatementAnalysis {
        kind,
        fingerprint,
        syntax_error: None,
        facts: None,
        findings: Vec::new(),
    };
    if let Some(error) = syntax_error {
        analysis.findings.push(Finding {
            code: SYNTAX_ERROR,
            severity: Severity::Error,
            range: error_range(&tokens, error.offset, text.len()),
            message: error.message.clone(),
        });
        analysis.syntax_error = Some(error);
        return analysis;
    }
    // The rules and facts concern statements that read or write rows; other
    // statements are parsed on demand (hover) rather than for every keystroke.
    // So are those whose tokens rule out every rule: most statements.
    let candidates = if analysis.kind.is_dml() && tokens.len() <= MAX_TOKENS_FOR_AST {
        Candidates::of(text, &tokens)
    } else {
        Candidates::NONE
    };
    let ast = if candidates.is_empty() {
        None
    } else {
        parse_statement(text)
    };
    (analysis.findings, analysis.facts) = rules::analyze(
        &RuleContext {
            text,
            tokens: &tokens,
            kind: &analysis.kind,
            ast: ast.as_ref(),
        },
        candidates,
    );
    analysis
}

/// The token PostgreSQL pointed at, or the last token for "at end of input".
fn error_range(tokens: &[Token], offset: Option<usize>, len: usize) -> Range<usize> {
    let Some(offset) = offset else {
        return tokens.first().map_or(0..len, |t| t.start..t.end);
    };
    tokens
        .iter()
        .find(|t| t.start <= offset && offset < t.end)
        .or_else(|| tokens.iter().find(|t| t.start >= offset))
        .or_else(|| tokens.last())
        .map_or(offset.min(len)..len, |t| t.start..t.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_error_points_at_the_offending_token() {
        let text = "SELECT * FORM users";
        let analysis = analyze_statement(text);
        let finding = &analysis.findings[0];
        assert_eq!(finding.code, SYNTAX_ERROR);
        assert_eq!(&text[finding.range.clone()], "FORM");
    }

    #[test]
    fn error_at_end_of_input_marks_the_last_token() {
        let text = "SELECT * FROM";
        let analysis = analyze_statement(text);
        assert_eq!(&text[analysis.findings[0].range.clone()], "FROM");
    }

    #[test]
    fn huge_generated_statements_do_not_overflow_the_stack() {
        let conditions = vec!["a = 1"; 60_000].join(" AND ");
        let text = format!("SELECT * FROM t WHERE {conditions}");
        // Runs on a thread with a small stack like the server's workers.
        let analysis = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || analyze_statement(&text))
            .unwrap()
            .join()
            .unwrap();
        assert!(analysis.facts.is_none());
    }

    #[test]
    fn statements_sqlparser_rejects_are_not_errors() {
        // Valid PostgreSQL that sqlparser 0.64 does not parse.
        let analysis = analyze_statement("ALTER TABLE t ALTER COLUMN c SET STATISTICS 500");
        assert!(analysis.findings.is_empty(), "{:?}", analysis.findings);
        assert_eq!(analysis.kind.label(), "ALTER TABLE");
    }
}
