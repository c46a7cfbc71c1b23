//! Which function calls may reach the sandbox.
//!
//! A rewrite is untrusted text (it may come from an LLM), and a valid SELECT
//! can still do harm through what it calls: `pg_sleep`, `pg_terminate_backend`,
//! `dblink_exec`, `lo_export`, … So a rewrite may call only functions its
//! original already calls, or side-effect-free built-ins. Some functions act
//! beyond the transaction and survive its rollback (session advisory locks,
//! sequences, signals to other backends, files, other servers, SQL run from
//! text); no statement calling them is run at all, the original included.
//! A statement that merely waits or reads (`pg_sleep`) is still measured:
//! the transaction's limits bound it.
//!
//! What each function does is decided in [`crate::sql::functions`], the
//! list the AI gate reads too; the policy above is the sandbox's own.

use crate::sql::functions;

/// Whether calling `name` (qualified or not) would leave something behind
/// after ROLLBACK, or reach past the transaction while it runs.
pub fn outlives_rollback(name: &str) -> bool {
    functions::outlives_rollback(name)
}

/// Whether a rewrite may call `name` that its original does not call: a
/// side-effect-free built-in, bare or `pg_catalog.`-qualified.
pub fn is_pure_builtin(name: &str) -> bool {
    functions::is_side_effect_free(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_builtins_count_as_builtins() {
        assert!(is_pure_builtin("pg_catalog.extract"));
        assert!(is_pure_builtin("count"));
        assert!(!is_pure_builtin("pg_sleep"));
        assert!(!is_pure_builtin("app.count"));
    }

    #[test]
    fn schema_qualified_dangerous_functions_are_still_caught() {
        assert!(outlives_rollback("pg_catalog.pg_advisory_lock"));
        assert!(outlives_rollback("public.dblink_exec"));
        assert!(!outlives_rollback("pg_advisory_xact_lock"));
    }

    #[test]
    fn waiting_or_reading_is_measured_but_escaping_the_transaction_is_not() {
        for name in ["pg_sleep", "pg_catalog.pg_sleep", "currval", "txid_current"] {
            assert!(!outlives_rollback(name), "{name}");
        }
        for name in [
            "dblink_connect_u",
            "query_to_xml",
            "set_config",
            "PG_CATALOG.NEXTVAL",
            "hypopg_create_index",
            "pg_stat_reset_single_table_counters",
        ] {
            assert!(outlives_rollback(name), "{name}");
        }
    }
}
