//! Deciding whether a text may be sent to the monitored database for
//! `EXPLAIN`, and what it needs there.
//!
//! Only one plannable statement (`SELECT`, `VALUES`, `INSERT`, `UPDATE`,
//! `DELETE`, `MERGE`) passes. Utility statements are refused, which also
//! refuses `EXPLAIN ANALYZE …` given as the statement: wrapped in our
//! `EXPLAIN` it would not even parse, but refusing by kind does not depend on
//! that. Several statements are refused because the simple-query protocol
//! would run every one of them.

use crate::sql::grammar::{self, GrammarVerdict};
use crate::sql::lexer::{Lexer, TokenKind};

use super::error::PlanError;

/// PostgreSQL accepts at most this many parameters in one statement.
const MAX_PARAMETERS: usize = 65_535;

/// A statement accepted for `EXPLAIN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Explainable<'a> {
    /// The statement as the server's grammar delimits it: no leading
    /// comments, no trailing `;`.
    pub text: &'a str,
    /// The highest `$n` it references (0 when it has none): how many
    /// arguments `EXECUTE` must pass.
    pub parameters: usize,
}

/// Checks `statement` (already in `$n` placeholder form, or with literals).
pub fn explainable(statement: &str) -> Result<Explainable<'_>, PlanError> {
    let statements = grammar::with_libpg_query(|| pg_query::split_with_parser(statement))
        .map_err(|error| refuse(format!("PostgreSQL's grammar rejects it: {error}")))?;
    let text = match statements.as_slice() {
        [] => return Err(refuse("there is no statement".into())),
        [one] => one.trim(),
        several => {
            return Err(refuse(format!(
                "it holds {} statements; one is explained at a time",
                several.len()
            )));
        }
    };
    match grammar::check(text) {
        GrammarVerdict::Valid { is_utility: false } => {}
        GrammarVerdict::Valid { is_utility: true } => {
            return Err(refuse(
                "it is a utility statement; only SELECT, VALUES, INSERT, UPDATE, DELETE and \
                 MERGE are planned"
                    .into(),
            ));
        }
        GrammarVerdict::Invalid(error) => {
            return Err(refuse(format!(
                "PostgreSQL's grammar rejects it: {}",
                error.message
            )));
        }
    }
    let parameters = highest_parameter(text);
    if parameters > MAX_PARAMETERS {
        return Err(refuse(format!(
            "it references ${parameters}; PostgreSQL allows at most {MAX_PARAMETERS} parameters"
        )));
    }
    Ok(Explainable { text, parameters })
}

/// The highest `$n` among the statement's parameter tokens (placeholders
/// inside strings, comments and quoted names are not tokens of that kind).
fn highest_parameter(text: &str) -> usize {
    Lexer::new(text)
        .filter(|token| token.kind == TokenKind::Param)
        .map(|token| {
            // A number too large for usize is certainly above the limit.
            token.text(text)[1..].parse::<usize>().unwrap_or(usize::MAX)
        })
        .max()
        .unwrap_or(0)
}

fn refuse(reason: String) -> PlanError {
    PlanError::NotExplainable { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(statement: &str) -> String {
        match explainable(statement) {
            Err(PlanError::NotExplainable { reason }) => reason,
            other => panic!("expected a refusal for {statement:?}, got {other:?}"),
        }
    }

    #[test]
    fn accepts_one_plannable_statement() {
        let accepted = explainable("  SELECT * FROM t WHERE a = $1 AND b = $2;  ").unwrap();
        assert_eq!(accepted.text, "SELECT * FROM t WHERE a = $1 AND b = $2");
        assert_eq!(accepted.parameters, 2);
        for dml in [
            "UPDATE t SET a = 1 WHERE b = $3",
            "DELETE FROM t",
            "INSERT INTO t VALUES (1)",
            "VALUES (1)",
            "WITH x AS (SELECT 1) SELECT * FROM x",
        ] {
            assert!(explainable(dml).is_ok(), "{dml}");
        }
    }

    #[test]
    fn counts_only_real_parameter_tokens() {
        let accepted = explainable("SELECT '$9', \"$8\" FROM t WHERE a = $2 -- $7").unwrap();
        assert_eq!(accepted.parameters, 2);
    }

    #[test]
    fn refuses_utility_statements_including_explain_analyze() {
        for utility in [
            "EXPLAIN ANALYZE SELECT 1",
            "EXPLAIN (ANALYZE) DELETE FROM t",
            "CREATE INDEX ON t (a)",
            "SET default_transaction_read_only = off",
            "VACUUM t",
            "PREPARE p AS SELECT 1",
        ] {
            assert!(reason(utility).contains("utility"), "{utility}");
        }
    }

    #[test]
    fn refuses_several_statements_and_nothing() {
        assert!(
            reason("SELECT 1; SET default_transaction_read_only = off").contains("2 statements")
        );
        assert!(reason("  -- only a comment\n").contains("no statement"));
        assert!(reason("").contains("no statement"));
    }

    #[test]
    fn refuses_syntax_errors_and_odd_input() {
        assert!(reason("SELECT * FORM t").contains("grammar"));
        assert!(reason("SELECT \0").contains("grammar"));
        assert!(reason("SELECT $70000").contains("at most"));
        // PostgreSQL's scanner itself rejects a number this large.
        reason("SELECT $99999999999999999999999");
    }
}
