//! Which functions and operators a model's candidate may use.
//!
//! A valid SELECT or index can still act through what it calls: sleep,
//! signal other backends, read files, write large objects, open
//! connections elsewhere, run arbitrary SQL (`query_to_xml`), take locks
//! that outlive a rollback. So a candidate may call only
//! - functions the original statement already calls, and
//! - side-effect-free built-ins on [`PURE_FUNCTIONS`],
//!
//! and never one on the deny list, whoever calls it. Operators likewise:
//! those the original uses and PostgreSQL's common built-ins (a custom
//! operator is a function call in disguise).

use std::collections::BTreeSet;

/// Built-in functions that read their arguments and nothing else, bare or
/// `pg_catalog.`-qualified. Includes the ones the grammar itself writes
/// for SQL syntax (`EXTRACT` → `pg_catalog.extract`, `TRIM` → `btrim`, …).
const PURE_FUNCTIONS: &[&str] = &[
    "abs",
    "age",
    "array_agg",
    "array_append",
    "array_cat",
    "array_length",
    "array_lower",
    "array_position",
    "array_positions",
    "array_prepend",
    "array_remove",
    "array_to_string",
    "array_upper",
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
    "corr",
    "count",
    "cume_dist",
    "date",
    "date_bin",
    "date_part",
    "date_trunc",
    "dense_rank",
    "div",
    "every",
    "exp",
    "extract",
    "first_value",
    "floor",
    "format",
    "generate_series",
    "greatest",
    "initcap",
    "is_normalized",
    "json_agg",
    "json_array_elements",
    "json_array_elements_text",
    "json_build_array",
    "json_build_object",
    "json_each",
    "json_each_text",
    "json_extract_path",
    "json_extract_path_text",
    "json_object_agg",
    "json_typeof",
    "jsonb_agg",
    "jsonb_array_elements",
    "jsonb_array_elements_text",
    "jsonb_array_length",
    "jsonb_build_array",
    "jsonb_build_object",
    "jsonb_each",
    "jsonb_each_text",
    "jsonb_extract_path",
    "jsonb_extract_path_text",
    "jsonb_object_agg",
    "jsonb_object_keys",
    "jsonb_path_exists",
    "jsonb_typeof",
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
    "make_timestamptz",
    "max",
    "md5",
    "min",
    "mod",
    "mode",
    "normalize",
    "now",
    "nth_value",
    "ntile",
    "nullif",
    "octet_length",
    "overlaps",
    "overlay",
    "percent_rank",
    "percentile_cont",
    "percentile_disc",
    "plainto_tsquery",
    "position",
    "power",
    "rank",
    "regexp_like",
    "regexp_match",
    "regexp_matches",
    "regexp_replace",
    "repeat",
    "replace",
    "reverse",
    "right",
    "round",
    "row_number",
    "row_to_json",
    "rpad",
    "rtrim",
    "sign",
    "similar_to_escape",
    "split_part",
    "sqrt",
    "starts_with",
    "statement_timestamp",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "string_agg",
    "string_to_array",
    "strpos",
    "substr",
    "substring",
    "sum",
    "timezone",
    "to_char",
    "to_date",
    "to_json",
    "to_jsonb",
    "to_number",
    "to_timestamp",
    "to_tsquery",
    "to_tsvector",
    "transaction_timestamp",
    "trim",
    "trunc",
    "ts_rank",
    "unnest",
    "upper",
    "var_pop",
    "var_samp",
    "variance",
    "websearch_to_tsquery",
    "width_bucket",
];

/// Functions refused even when the original statement calls them: their
/// effects reach outside the query (time, other sessions, files, other
/// servers, sequences, locks and messages that survive a rollback,
/// configuration, arbitrary SQL). Matched on the unqualified name.
const DENIED_FUNCTIONS: &[&str] = &[
    "currval",
    "lastval",
    "nextval",
    "pg_cancel_backend",
    "pg_notify",
    "pg_promote",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_switch_wal",
    "pg_terminate_backend",
    "set_config",
    "setval",
];

/// Prefixes of whole families refused the same way.
const DENIED_PREFIXES: &[&str] = &[
    "binary_upgrade_",
    "cursor_to_xml",
    "database_to_xml",
    "dblink",
    "lo_",
    "pg_advisory",
    "pg_backup_",
    "pg_copy_",
    "pg_create_",
    "pg_current_xact_id",
    "pg_drop_",
    "pg_export_snapshot",
    "pg_file_",
    "pg_import_",
    "pg_log_",
    "pg_logical_",
    "pg_ls_",
    "pg_read_",
    "pg_replication_",
    "pg_sleep",
    "pg_start_backup",
    "pg_stat_file",
    "pg_stat_reset",
    "pg_stat_statements_reset",
    "pg_stop_backup",
    "pg_try_advisory",
    "pg_wal_replay_",
    "query_to_xml",
    "schema_to_xml",
    "table_to_xml",
    "txid_",
];

/// Operators common enough to need no justification: comparison,
/// arithmetic, text, pattern, JSON, array and range operators, and the
/// names the grammar gives `BETWEEN` forms.
const BUILTIN_OPERATORS: &[&str] = &[
    "=",
    "<>",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "||",
    "~~",
    "!~~",
    "~~*",
    "!~~*",
    "~",
    "!~",
    "~*",
    "!~*",
    "->",
    "->>",
    "#>",
    "#>>",
    "@>",
    "<@",
    "?",
    "?|",
    "?&",
    "&&",
    "@@",
    "-|-",
    "<<",
    ">>",
    "&",
    "|",
    "#",
    "@",
    "|/",
    "||/",
    "BETWEEN",
    "NOT BETWEEN",
    "BETWEEN SYMMETRIC",
    "NOT BETWEEN SYMMETRIC",
];

/// What a candidate's calls are checked against.
#[derive(Debug, Clone, Default)]
pub struct Allowed {
    /// Functions and operators the original statement uses, as written.
    pub functions: BTreeSet<String>,
    pub operators: BTreeSet<String>,
}

/// `(schema, name)` of a possibly qualified name.
fn split_name(qualified: &str) -> (&str, &str) {
    qualified.rsplit_once('.').unwrap_or(("", qualified))
}

fn is_denied(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    DENIED_FUNCTIONS.contains(&lower.as_str())
        || DENIED_PREFIXES
            .iter()
            .any(|prefix| lower.starts_with(prefix))
}

impl Allowed {
    /// Why calling `function` is refused, if it is.
    pub fn refuse_function(&self, function: &str) -> Option<String> {
        let (schema, name) = split_name(function);
        if is_denied(name) {
            return Some(format!(
                "it calls {function}(), which acts outside the query (never allowed)"
            ));
        }
        let builtin =
            (schema.is_empty() || schema == "pg_catalog") && PURE_FUNCTIONS.contains(&name);
        if builtin || self.functions.contains(function) {
            return None;
        }
        Some(format!(
            "it calls {function}(), which the statement does not call and which is not a \
             known side-effect-free built-in"
        ))
    }

    /// Why using `operator` is refused, if it is.
    pub fn refuse_operator(&self, operator: &str) -> Option<String> {
        let (schema, name) = split_name(operator);
        let builtin =
            (schema.is_empty() || schema == "pg_catalog") && BUILTIN_OPERATORS.contains(&name);
        if builtin || self.operators.contains(operator) {
            return None;
        }
        Some(format!(
            "it uses the operator {operator}, which the statement does not use and which is not \
             a common built-in"
        ))
    }

    /// The first refusal among `functions` and `operators`.
    pub fn refuse_any<'a>(
        &self,
        functions: impl IntoIterator<Item = &'a String>,
        operators: impl IntoIterator<Item = &'a String>,
    ) -> Option<String> {
        functions
            .into_iter()
            .find_map(|function| self.refuse_function(function))
            .or_else(|| {
                operators
                    .into_iter()
                    .find_map(|operator| self.refuse_operator(operator))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn original(functions: &[&str], operators: &[&str]) -> Allowed {
        Allowed {
            functions: functions.iter().map(|f| f.to_string()).collect(),
            operators: operators.iter().map(|o| o.to_string()).collect(),
        }
    }

    #[test]
    fn side_effects_are_refused_even_when_the_original_has_them() {
        let allowed = original(&["pg_sleep", "nextval", "my_fn"], &[]);
        for function in [
            "pg_sleep",
            "pg_catalog.pg_sleep",
            "PG_SLEEP_FOR",
            "pg_sleep_until",
            "dblink",
            "dblink_exec",
            "lo_import",
            "lo_export",
            "pg_read_file",
            "pg_read_binary_file",
            "pg_ls_dir",
            "pg_stat_file",
            "set_config",
            "pg_terminate_backend",
            "pg_cancel_backend",
            "pg_reload_conf",
            "pg_rotate_logfile",
            "pg_switch_wal",
            "pg_advisory_lock",
            "pg_try_advisory_xact_lock",
            "nextval",
            "setval",
            "txid_current",
            "pg_current_xact_id",
            "pg_notify",
            "query_to_xml",
            "query_to_xml_and_xmlschema",
            "table_to_xml",
        ] {
            assert!(allowed.refuse_function(function).is_some(), "{function}");
        }
        assert_eq!(allowed.refuse_function("my_fn"), None);
    }

    #[test]
    fn pure_builtins_pass_bare_or_from_pg_catalog_only() {
        let allowed = Allowed::default();
        for function in [
            "count",
            "lower",
            "pg_catalog.extract",
            "date_trunc",
            "coalesce",
        ] {
            assert_eq!(allowed.refuse_function(function), None, "{function}");
        }
        for function in ["evil.lower", "my_fn", "current_setting", "version", "LOWER"] {
            assert!(allowed.refuse_function(function).is_some(), "{function}");
        }
    }

    #[test]
    fn operators_are_builtins_or_the_originals() {
        let allowed = original(&[], &["<->"]);
        assert_eq!(allowed.refuse_operator("="), None);
        assert_eq!(allowed.refuse_operator("pg_catalog.+"), None);
        assert_eq!(allowed.refuse_operator("BETWEEN"), None);
        assert_eq!(allowed.refuse_operator("<->"), None);
        assert!(allowed.refuse_operator("===").is_some());
        assert!(allowed.refuse_operator("evil.=").is_some());
    }
}
