//! Which function calls may reach the sandbox.
//!
//! A rewrite is untrusted text (it may come from an LLM), and a valid SELECT
//! can still do harm through what it calls: `pg_sleep`, `pg_terminate_backend`,
//! `dblink_exec`, `lo_export`, … So a rewrite may call only functions its
//! original already calls, or built-ins on the list below, which read their
//! arguments and nothing else. Some functions act outside the transaction
//! and survive its rollback (session advisory locks, sequences, signals to
//! other backends, files); no statement calling them is run at all.

/// Side-effect-free built-ins a rewrite may introduce: aggregates, window
/// functions and scalar functions of their arguments.
const PURE_BUILTINS: &[&str] = &[
    "abs",
    "age",
    "array_agg",
    "array_append",
    "array_cat",
    "array_length",
    "array_position",
    "array_positions",
    "array_prepend",
    "array_remove",
    "array_to_string",
    "avg",
    "bit_and",
    "bit_or",
    "bool_and",
    "bool_or",
    "btrim",
    "cardinality",
    "ceil",
    "ceiling",
    "char_length",
    "character_length",
    "coalesce",
    "concat",
    "concat_ws",
    "count",
    "cume_dist",
    "date_part",
    "date_trunc",
    "dense_rank",
    "every",
    "exp",
    "extract",
    "first_value",
    "floor",
    "format",
    "generate_series",
    "greatest",
    "initcap",
    "json_agg",
    "json_build_array",
    "json_build_object",
    "json_object_agg",
    "jsonb_agg",
    "jsonb_array_elements",
    "jsonb_array_elements_text",
    "jsonb_build_array",
    "jsonb_build_object",
    "jsonb_each",
    "jsonb_each_text",
    "jsonb_extract_path",
    "jsonb_extract_path_text",
    "jsonb_object_agg",
    "jsonb_typeof",
    "json_array_elements",
    "json_each",
    "lag",
    "last_value",
    "lead",
    "least",
    "left",
    "length",
    "ln",
    "log",
    "lower",
    "lpad",
    "ltrim",
    "make_date",
    "make_interval",
    "make_timestamp",
    "max",
    "md5",
    "min",
    "mod",
    "nth_value",
    "ntile",
    "nullif",
    "octet_length",
    "overlay",
    "percent_rank",
    "percentile_cont",
    "percentile_disc",
    "position",
    "power",
    "rank",
    "regexp_match",
    "regexp_matches",
    "regexp_replace",
    "regexp_split_to_array",
    "repeat",
    "replace",
    "reverse",
    "right",
    "round",
    "row_number",
    "rpad",
    "rtrim",
    "sign",
    "split_part",
    "sqrt",
    "starts_with",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "string_agg",
    "string_to_array",
    "strpos",
    "substr",
    "substring",
    "sum",
    "to_char",
    "to_date",
    "to_json",
    "to_jsonb",
    "to_number",
    "to_timestamp",
    "translate",
    "trim",
    "trunc",
    "unnest",
    "upper",
    "var_pop",
    "var_samp",
    "variance",
    "width_bucket",
];

/// Functions whose effects outlive a rollback or reach outside the session.
const NON_TRANSACTIONAL: &[&str] = &[
    "dblink",
    "dblink_exec",
    "dblink_connect",
    "dblink_send_query",
    "lo_export",
    "lo_import",
    "nextval",
    "setval",
    "pg_advisory_lock",
    "pg_advisory_lock_shared",
    "pg_try_advisory_lock",
    "pg_try_advisory_lock_shared",
    "pg_cancel_backend",
    "pg_terminate_backend",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_promote",
    "pg_switch_wal",
    "pg_create_restore_point",
    "pg_create_physical_replication_slot",
    "pg_create_logical_replication_slot",
    "pg_drop_replication_slot",
    "pg_file_write",
    "pg_file_unlink",
    "pg_file_rename",
    "pg_stat_reset",
    "pg_stat_reset_shared",
    "pg_stat_statements_reset",
];

/// A function name without the `pg_catalog.` qualifier built-ins may carry.
fn builtin_name(name: &str) -> &str {
    name.strip_prefix("pg_catalog.").unwrap_or(name)
}

/// Whether calling `name` would leave something behind after ROLLBACK.
pub fn outlives_rollback(name: &str) -> bool {
    let name = name.rsplit('.').next().unwrap_or(name);
    NON_TRANSACTIONAL.contains(&name)
}

/// Whether a rewrite may call `name` that its original does not call.
pub fn is_pure_builtin(name: &str) -> bool {
    PURE_BUILTINS.contains(&builtin_name(name))
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
}
