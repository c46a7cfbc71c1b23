//! PostgreSQL's own grammar (libpg_query): the authority on syntax errors.
//!
//! The `pg_query` crate links libpg_query but drops the error position, which
//! a diagnostic needs, so the one raw-grammar entry point used here is
//! declared directly. Every call into libpg_query in this program goes
//! through [`with_libpg_query`]: libpg_query redirects the process-wide
//! stderr (fd 2) around each parse, which is not safe from two threads at once.

use std::ffi::{CStr, CString, c_char, c_int};
use std::sync::Mutex;

#[repr(C)]
struct PgQueryError {
    message: *mut c_char,
    funcname: *mut c_char,
    filename: *mut c_char,
    lineno: c_int,
    /// 1-based character position of the error, 0 when unknown.
    cursorpos: c_int,
    context: *mut c_char,
}

#[repr(C)]
struct PgQueryIsUtilityResult {
    length: c_int,
    items: *mut bool,
    error: *mut PgQueryError,
}

unsafe extern "C" {
    /// Runs the raw grammar only (no protobuf or JSON output): the cheapest
    /// full syntax check libpg_query offers.
    fn pg_query_is_utility_stmt(query: *const c_char) -> PgQueryIsUtilityResult;
    fn pg_query_free_is_utility_result(result: PgQueryIsUtilityResult);
}

static LIBPG_QUERY: Mutex<()> = Mutex::new(());

/// Runs `call` while no other thread is inside libpg_query.
pub fn with_libpg_query<T>(call: impl FnOnce() -> T) -> T {
    // A poisoned lock only means another call panicked; libpg_query itself
    // keeps no state between calls, so carrying on is safe.
    let _guard = LIBPG_QUERY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    call()
}

/// A syntax error as PostgreSQL reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    /// Byte offset into the checked text, when PostgreSQL named a position.
    pub offset: Option<usize>,
}

/// What the grammar says about one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrammarVerdict {
    Valid { is_utility: bool },
    Invalid(SyntaxError),
}

/// Checks `statement` with PostgreSQL's grammar.
pub fn check(statement: &str) -> GrammarVerdict {
    // A NUL byte cannot cross the C boundary; PostgreSQL rejects it anyway,
    // and a space of the same length keeps every offset valid.
    let c_text = match CString::new(statement) {
        Ok(text) => text,
        Err(_) => {
            let offset = statement.find('\0');
            return GrammarVerdict::Invalid(SyntaxError {
                message: "the text contains a NUL byte, which PostgreSQL does not accept".into(),
                offset,
            });
        }
    };
    with_libpg_query(|| {
        // SAFETY: `c_text` is a valid NUL-terminated string that outlives the
        // call; the result is freed exactly once below, after its fields are copied.
        unsafe {
            let result = pg_query_is_utility_stmt(c_text.as_ptr());
            let verdict = if result.error.is_null() {
                let items = if result.items.is_null() || result.length <= 0 {
                    &[][..]
                } else {
                    std::slice::from_raw_parts(result.items, result.length as usize)
                };
                GrammarVerdict::Valid {
                    is_utility: items.first().copied().unwrap_or(true),
                }
            } else {
                let error = &*result.error;
                let message = if error.message.is_null() {
                    "syntax error".to_string()
                } else {
                    CStr::from_ptr(error.message).to_string_lossy().into_owned()
                };
                GrammarVerdict::Invalid(SyntaxError {
                    message,
                    offset: char_position_to_byte(statement, error.cursorpos),
                })
            };
            pg_query_free_is_utility_result(result);
            verdict
        }
    })
}

/// Checks many statements, each on its own as far as the grammar is
/// concerned, with as few calls into libpg_query as the errors allow: the
/// statements are joined with `;` and parsed at once; at an error, the
/// statement it lies in (and the one before, which may have run into it)
/// is checked alone, and the rest is parsed again from the next statement.
/// A file without errors costs one call instead of one per statement.
pub fn check_all(statements: &[&str]) -> Vec<Option<SyntaxError>> {
    // Batches of about this many bytes. One joined text for a whole large
    // file builds one huge parse tree in fresh memory, which costs more than
    // the calls saved (10,000 statements: ~115 ms at once, ~80 ms in 4 KB).
    const BATCH_BYTES: usize = 4 * 1024;
    let mut errors = Vec::with_capacity(statements.len());
    let mut first = 0;
    while first < statements.len() {
        let mut bytes = 0;
        let mut end = first;
        while end < statements.len()
            && (end == first || bytes + statements[end].len() <= BATCH_BYTES)
        {
            bytes += statements[end].len() + 2;
            end += 1;
        }
        errors.extend(check_batch(&statements[first..end]));
        first = end;
    }
    errors
}

/// [`check_all`] for one batch, in one call when it has no error.
fn check_batch(statements: &[&str]) -> Vec<Option<SyntaxError>> {
    let mut errors: Vec<Option<SyntaxError>> = vec![None; statements.len()];
    let mut first = 0;
    while first < statements.len() {
        let mut joined = String::new();
        let mut starts = Vec::with_capacity(statements.len() - first);
        for statement in &statements[first..] {
            starts.push(joined.len());
            joined.push_str(statement);
            joined.push_str(";\n");
        }
        let error = match check(&joined) {
            GrammarVerdict::Valid { .. } => break,
            GrammarVerdict::Invalid(error) => error,
        };
        // The statement the error lies in: the last one starting at or before it.
        let at = error.offset.unwrap_or(0);
        let failing = first
            + starts
                .partition_point(|&start| start <= at)
                .saturating_sub(1);
        for index in failing.saturating_sub(1).max(first)..=failing {
            if let GrammarVerdict::Invalid(error) = check(statements[index]) {
                errors[index] = Some(error);
            }
        }
        first = failing + 1;
    }
    errors
}

/// PostgreSQL's cursor positions count characters from 1.
fn char_position_to_byte(text: &str, cursorpos: c_int) -> Option<usize> {
    let index = usize::try_from(cursorpos).ok()?.checked_sub(1)?;
    Some(
        text.char_indices()
            .nth(index)
            .map_or(text.len(), |(offset, _)| offset),
    )
}

/// Keeps the `pg_query` crate (which builds and links libpg_query) in the link.
#[doc(hidden)]
pub fn libpg_query_linked() -> bool {
    let _: fn(&str) -> pg_query::Result<Vec<&str>> = pg_query::split_with_scanner;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_postgres_specific_syntax() {
        for sql in [
            "SELECT 1",
            "ALTER TABLE t ALTER COLUMN c SET STATISTICS 500",
            "CREATE STATISTICS s (dependencies) ON a, b FROM t",
            "SELECT * FROM t WHERE a = $1",
            "COMMENT ON TABLE t IS 'x'",
        ] {
            assert!(matches!(check(sql), GrammarVerdict::Valid { .. }), "{sql}");
        }
    }

    #[test]
    fn reports_error_position_as_byte_offset() {
        let sql = "SELECT * FORM t";
        match check(sql) {
            GrammarVerdict::Invalid(error) => {
                assert!(error.message.contains("syntax error"), "{}", error.message);
                assert_eq!(error.offset, Some(9));
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn error_position_counts_characters_not_bytes() {
        let sql = "SELECT 'é😀' FORM t";
        match check(sql) {
            GrammarVerdict::Invalid(error) => {
                // `FORM` is read as a column alias, so the error is at the final `t`.
                assert_eq!(error.offset, Some(sql.len() - 1));
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn nul_bytes_are_an_error_not_a_crash() {
        assert!(matches!(check("SELECT \0"), GrammarVerdict::Invalid(_)));
    }

    #[test]
    fn checking_many_finds_every_error_and_only_those() {
        let statements = [
            "SELECT 1",
            "SELECT * FORM t",
            "SELECT CASE WHEN true THEN 1",
            "SELECT (1",
            "ALTER TABLE t ALTER COLUMN c SET STATISTICS 5",
            "SELEC 2",
            "SELECT 3",
            "SELECT 'unterminated",
        ];
        let errors = check_all(&statements);
        let expected: Vec<bool> = statements
            .iter()
            .map(|s| matches!(check(s), GrammarVerdict::Invalid(_)))
            .collect();
        let found: Vec<bool> = errors.iter().map(Option::is_some).collect();
        assert_eq!(found, expected);
        assert_eq!(errors[1].as_ref().and_then(|e| e.offset), Some(9));
        assert!(
            check_all(&["SELECT 1", "SELECT 2"])
                .iter()
                .all(Option::is_none)
        );
        assert!(check_all(&[]).is_empty());
    }

    #[test]
    fn checking_many_spans_batches_and_statements_larger_than_one() {
        // Errors near batch edges, in a batch of its own (a statement larger
        // than a batch), and in the last statement.
        let long_valid = format!("SELECT {}", vec!["1"; 3000].join(", "));
        let long_invalid = format!("SELECT {} FORM t", vec!["2"; 3000].join(", "));
        let mut statements: Vec<String> = (0..400)
            .map(|i| match i % 37 {
                0 => format!("SELEC {i}"),
                5 => format!("SELECT {i} FROM t WHERE"),
                _ => format!("SELECT {i}, 'text; with a semicolon' FROM t"),
            })
            .collect();
        statements.insert(100, long_valid);
        statements.insert(200, long_invalid);
        statements.push("SELECT (".into());
        let texts: Vec<&str> = statements.iter().map(String::as_str).collect();
        let expected: Vec<Option<SyntaxError>> = texts
            .iter()
            .map(|text| match check(text) {
                GrammarVerdict::Valid { .. } => None,
                GrammarVerdict::Invalid(error) => Some(error),
            })
            .collect();
        assert!(expected.iter().filter(|e| e.is_some()).count() > 20);
        assert_eq!(check_all(&texts), expected);
    }

    #[test]
    fn utility_statements_are_told_apart() {
        assert_eq!(
            check("SELECT 1"),
            GrammarVerdict::Valid { is_utility: false }
        );
        assert_eq!(
            check("VACUUM t"),
            GrammarVerdict::Valid { is_utility: true }
        );
    }
}
