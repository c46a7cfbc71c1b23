//! The SQL files under `queries/plan/`, embedded at compile time, and the
//! filling of their `{placeholders}`. Nothing else in this module sends SQL
//! text of its own (the user's statement and, for generic plans,
//! tokio-postgres' `BEGIN`/`ROLLBACK` aside), so `queries/plan/` is what runs.

pub use crate::queries::Sql;
use crate::queries::query_file;

/// `EXPLAIN ({options}) {statement}`.
pub const EXPLAIN: Sql = query_file!("plan/explain.sql");
/// `SET LOCAL plan_cache_mode = force_generic_plan`.
pub const FORCE_GENERIC_PLAN: Sql = query_file!("plan/force_generic_plan.sql");
/// `PREPARE {name} AS {statement}`.
pub const PREPARE: Sql = query_file!("plan/prepare.sql");
/// `EXPLAIN ({options}) EXECUTE {name}({arguments})`.
pub const EXPLAIN_EXECUTE: Sql = query_file!("plan/explain_execute.sql");
/// `DEALLOCATE {name}`.
pub const DEALLOCATE: Sql = query_file!("plan/deallocate.sql");
pub const HYPOPG_AVAILABLE: Sql = query_file!("plan/hypopg_available.sql");
pub const HYPOPG_CREATE_INDEX: Sql = query_file!("plan/hypopg_create_index.sql");
pub const HYPOPG_RESET: Sql = query_file!("plan/hypopg_reset.sql");
/// The server's version number, to pick how to get generic plans.
pub const SERVER_VERSION: Sql = query_file!("plan/server_version.sql");

/// Every embedded file, so a test can check `queries/plan/` holds nothing
/// else and its README lists each one.
pub const ALL: &[Sql] = &[
    EXPLAIN,
    FORCE_GENERIC_PLAN,
    PREPARE,
    EXPLAIN_EXECUTE,
    DEALLOCATE,
    HYPOPG_AVAILABLE,
    HYPOPG_CREATE_INDEX,
    HYPOPG_RESET,
    SERVER_VERSION,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The statement is followed by a newline, so a trailing `-- comment`
    /// in it cannot swallow anything we append.
    #[test]
    fn statement_placeholders_end_a_line() {
        for sql in [EXPLAIN, PREPARE] {
            assert!(sql.text.ends_with("{statement}\n"), "{}", sql.file);
        }
    }

    #[test]
    fn every_file_is_embedded_and_documented() {
        crate::queries::assert_directory_matches("plan", "plan/README.md", ALL);
    }
}
