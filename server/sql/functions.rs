//! What PostgreSQL's functions do besides returning a value: the one list
//! of side-effect-free built-ins and the one deny list, which the AI gate
//! and the sandbox's admission check both read (DESIGN rule 5).
//!
//! A statement that is a valid SELECT can still act through what it calls:
//! sleep, signal other backends, read or write files, open connections to
//! other servers, run SQL from text (`query_to_xml`), advance sequences or
//! take locks that outlive a rollback. Each caller keeps its own policy (the
//! gate also checks operators, the sandbox measures a statement that sleeps);
//! what a function does is decided here, once.
//!
//! Names are as PostgreSQL's grammar gives them: unquoted identifiers are
//! already lower case, and a qualified name is `schema.name`.

/// Built-ins whose only effect is their result: they read their arguments
/// (and at most the clock, the time zone or the text search configuration).
/// Includes the names the grammar itself writes for SQL syntax (`EXTRACT` →
/// `pg_catalog.extract`, `TRIM` → `btrim`, …). Sorted.
const SIDE_EFFECT_FREE: &[&str] = &[
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
    "regexp_split_to_array",
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
    "translate",
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

/// How far a denied function acts beyond the statement that calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    /// Outside the statement but inside its transaction: it waits, reads
    /// what the statement does not name (files, session state, whole
    /// schemas), or acts in a way ROLLBACK undoes (transaction-level
    /// advisory locks, NOTIFY, large objects, xid assignment).
    Transaction,
    /// Beyond a rolled-back transaction: an effect ROLLBACK does not undo
    /// (sequences, session-level locks, signals to other backends, files,
    /// WAL, replication and statistics state, other servers, session-level
    /// hypothetical indexes), SQL run from text no check ever sees, or a
    /// setting changed for the rest of the transaction (which could lift
    /// the limits it runs under).
    BeyondRollback,
}

/// One entry of the deny list.
struct Denied {
    /// The function's name, or with `family` the start of every name in it.
    name: &'static str,
    family: bool,
    reach: Reach,
}

impl Denied {
    fn matches(&self, name: &str) -> bool {
        if self.family {
            name.starts_with(self.name)
        } else {
            name == self.name
        }
    }
}

const fn one(name: &'static str, reach: Reach) -> Denied {
    Denied {
        name,
        family: false,
        reach,
    }
}

const fn family(prefix: &'static str, reach: Reach) -> Denied {
    Denied {
        name: prefix,
        family: true,
        reach,
    }
}

const TRANSACTION: Reach = Reach::Transaction;
const BEYOND: Reach = Reach::BeyondRollback;

/// Functions that act outside the statement, refused whoever calls them
/// (matched on the unqualified name, in any case, in any schema: an
/// extension may live anywhere). Where a name matches several entries, the
/// widest reach counts.
const DENIED: &[Denied] = &[
    // Waiting.
    family("pg_sleep", TRANSACTION),
    // Other servers and SQL run from text.
    family("dblink", BEYOND),
    family("query_to_xml", BEYOND),
    one("ts_stat", BEYOND),
    one("ts_rewrite", BEYOND),
    // Whole relations, schemas and databases named by text; cursors.
    family("cursor_to_xml", TRANSACTION),
    family("table_to_xml", TRANSACTION),
    family("schema_to_xml", TRANSACTION),
    family("database_to_xml", TRANSACTION),
    // Large objects; lo_import and lo_export read and write server files.
    family("lo_", TRANSACTION),
    one("loread", TRANSACTION),
    one("lowrite", TRANSACTION),
    one("lo_export", BEYOND),
    one("lo_import", BEYOND),
    // Server files.
    family("pg_read_", TRANSACTION),
    family("pg_ls_", TRANSACTION),
    family("pg_stat_file", TRANSACTION),
    one("pg_logdir_ls", TRANSACTION),
    family("pg_file_", BEYOND),
    // Signals, server control and the server log.
    one("pg_cancel_backend", BEYOND),
    one("pg_terminate_backend", BEYOND),
    one("pg_reload_conf", BEYOND),
    family("pg_rotate_logfile", BEYOND),
    one("pg_promote", BEYOND),
    family("pg_log_", BEYOND),
    // Advisory locks: transaction-level ones end with the rollback,
    // session-level ones do not.
    family("pg_advisory", TRANSACTION),
    family("pg_try_advisory", TRANSACTION),
    one("pg_advisory_lock", BEYOND),
    one("pg_advisory_lock_shared", BEYOND),
    one("pg_try_advisory_lock", BEYOND),
    one("pg_try_advisory_lock_shared", BEYOND),
    // Sequences: nextval and setval are never rolled back.
    one("nextval", BEYOND),
    one("setval", BEYOND),
    one("currval", TRANSACTION),
    one("lastval", TRANSACTION),
    // Transaction ids and snapshots.
    family("txid_", TRANSACTION),
    family("pg_current_xact_id", TRANSACTION),
    family("pg_export_snapshot", TRANSACTION),
    // Messages and configuration.
    one("pg_notify", TRANSACTION),
    one("set_config", BEYOND),
    // WAL, backups, recovery and replication.
    one("pg_switch_wal", BEYOND),
    one("pg_switch_xlog", BEYOND),
    family("pg_backup_", BEYOND),
    family("pg_start_backup", BEYOND),
    family("pg_stop_backup", BEYOND),
    family("pg_wal_replay_", BEYOND),
    family("pg_xlog_replay_", BEYOND),
    family("pg_create_", BEYOND),
    family("pg_drop_", BEYOND),
    family("pg_copy_", BEYOND),
    family("pg_replication_", BEYOND),
    family("pg_logical_", BEYOND),
    one("pg_sync_replication_slots", BEYOND),
    // Catalog and upgrade internals.
    family("pg_import_", TRANSACTION),
    family("binary_upgrade_", BEYOND),
    one("pg_nextoid", BEYOND),
    // Statistics resets, and caches that distort measurements.
    family("pg_stat_reset", BEYOND),
    family("pg_stat_statements_reset", BEYOND),
    one("pg_stat_monitor_reset", BEYOND),
    one("pg_stat_kcache_reset", BEYOND),
    one("pg_qualstats_reset", BEYOND),
    one("pg_prewarm", BEYOND),
    family("autoprewarm_", BEYOND),
    // HypoPG's hypothetical indexes live in the session, not the transaction.
    family("hypopg", BEYOND),
];

/// `(schema, name)` of a possibly qualified name (`a.b.c` → `(a.b, c)`).
pub fn split_qualified(qualified: &str) -> (Option<&str>, &str) {
    match qualified.rsplit_once('.') {
        Some((schema, name)) => (Some(schema), name),
        None => (None, qualified),
    }
}

/// Whether `name`, bare or `pg_catalog.`-qualified, is a built-in whose
/// only effect is its result. Case matters: a quoted `"LOWER"` is another
/// function.
pub fn is_side_effect_free(name: &str) -> bool {
    let (schema, base) = split_qualified(name);
    matches!(schema, None | Some("pg_catalog"))
        && SIDE_EFFECT_FREE.binary_search(&base).is_ok()
        && !is_denied(base)
}

/// How far `name` (qualified or not) acts beyond the statement, if it is
/// on the deny list.
pub fn reach(name: &str) -> Option<Reach> {
    let base = split_qualified(name).1.to_ascii_lowercase();
    DENIED
        .iter()
        .filter(|denied| denied.matches(&base))
        .map(|denied| denied.reach)
        .max()
}

/// Whether calling `name` acts outside the statement (never allowed in a
/// candidate, whoever else calls it).
pub fn is_denied(name: &str) -> bool {
    reach(name).is_some()
}

/// Whether calling `name` leaves something behind that rolling back the
/// transaction does not undo (see [`Reach::BeyondRollback`]).
pub fn outlives_rollback(name: &str) -> bool {
    reach(name) == Some(Reach::BeyondRollback)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name the entry matches: the name itself, or one of its family.
    fn member(denied: &Denied) -> String {
        if denied.family {
            format!("{}_member", denied.name)
        } else {
            denied.name.to_owned()
        }
    }

    #[test]
    fn every_entry_is_denied_bare_qualified_and_in_any_case() {
        for denied in DENIED {
            let name = member(denied);
            for spelling in [
                name.clone(),
                format!("pg_catalog.{name}"),
                format!("public.{name}"),
                format!("db.some_schema.{name}"),
                name.to_ascii_uppercase(),
                format!("pg_catalog.{}", name.to_ascii_uppercase()),
            ] {
                assert!(is_denied(&spelling), "{spelling}");
                assert!(!is_side_effect_free(&spelling), "{spelling}");
                assert!(reach(&spelling) >= Some(denied.reach), "{spelling}");
            }
        }
    }

    #[test]
    fn families_are_denied_by_prefix() {
        for name in [
            "pg_sleep",
            "pg_sleep_for",
            "pg_sleep_until",
            "lo_import",
            "lo_export",
            "lo_create",
            "lo_unlink",
            "lo_from_bytea",
            "lo_put",
            "dblink",
            "dblink_exec",
            "dblink_connect_u",
            "dblink_open",
            "dblink_send_query",
            "pg_advisory_lock",
            "pg_advisory_xact_lock",
            "pg_advisory_unlock_all",
            "pg_try_advisory_xact_lock_shared",
            "pg_read_file",
            "pg_read_binary_file",
            "pg_ls_dir",
            "pg_ls_waldir",
            "pg_file_write",
            "pg_stat_reset_single_table_counters",
            "pg_stat_statements_reset",
            "query_to_xml_and_xmlschema",
            "query_to_xmlschema",
            "table_to_xmlschema",
            "txid_current",
            "pg_current_xact_id_if_assigned",
            "pg_create_logical_replication_slot",
            "pg_replication_origin_advance",
            "pg_logical_emit_message",
            "pg_backup_start",
            "pg_wal_replay_pause",
            "pg_log_backend_memory_contexts",
            "hypopg_create_index",
        ] {
            assert!(is_denied(name), "{name}");
            assert!(is_denied(&format!("pg_catalog.{name}")), "{name}");
            assert!(is_denied(&name.to_ascii_uppercase()), "{name}");
        }
    }

    /// Every name either list denied before they became one stays denied.
    #[test]
    fn nothing_either_former_list_denied_is_allowed() {
        for name in [
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
            "binary_upgrade_set_next_pg_type_oid",
            "cursor_to_xml",
            "database_to_xml",
            "pg_backup_stop",
            "pg_copy_physical_replication_slot",
            "pg_drop_replication_slot",
            "pg_export_snapshot",
            "pg_import_system_collations",
            "pg_start_backup",
            "pg_stat_file",
            "pg_stop_backup",
            "schema_to_xml",
        ] {
            assert!(is_denied(name), "{name}");
        }
        // The sandbox's former list: effects that survive the rollback.
        for name in [
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
        ] {
            assert!(outlives_rollback(name), "{name}");
            assert!(outlives_rollback(&format!("public.{name}")), "{name}");
        }
    }

    #[test]
    fn what_a_rollback_undoes_is_denied_but_does_not_outlive_it() {
        for name in [
            "pg_sleep",
            "pg_advisory_xact_lock",
            "pg_try_advisory_xact_lock",
            "pg_advisory_unlock",
            "pg_notify",
            "currval",
            "txid_current",
            "lo_create",
            "pg_read_file",
        ] {
            assert_eq!(reach(name), Some(Reach::Transaction), "{name}");
            assert!(!outlives_rollback(name), "{name}");
        }
        // The widest matching entry counts.
        assert_eq!(reach("pg_advisory_lock"), Some(Reach::BeyondRollback));
        assert_eq!(reach("lo_export"), Some(Reach::BeyondRollback));
    }

    #[test]
    fn ordinary_names_are_not_denied() {
        for name in [
            "lower",
            "log",
            "lpad",
            "count",
            "pg_catalog.upper",
            "my_fn",
            "app.lookup",
            "sleep",
            "locks",
        ] {
            assert_eq!(reach(name), None, "{name}");
        }
    }

    #[test]
    fn side_effect_free_list_is_sorted_unique_and_never_denied() {
        assert!(SIDE_EFFECT_FREE.windows(2).all(|pair| pair[0] < pair[1]));
        for name in SIDE_EFFECT_FREE {
            assert!(!is_denied(name), "{name}");
            assert!(is_side_effect_free(name), "{name}");
            assert!(is_side_effect_free(&format!("pg_catalog.{name}")), "{name}");
        }
    }

    #[test]
    fn side_effect_free_means_a_bare_or_pg_catalog_built_in() {
        for name in ["count", "pg_catalog.extract", "translate", "now"] {
            assert!(is_side_effect_free(name), "{name}");
        }
        for name in [
            "app.count",
            "evil.lower",
            ".lower",
            "pg_catalog.x.lower",
            "LOWER",
            "PG_CATALOG.lower",
            "my_fn",
            "current_setting",
            "version",
            "random",
            "pg_sleep",
        ] {
            assert!(!is_side_effect_free(name), "{name}");
        }
    }

    #[test]
    fn qualified_names_split_at_the_last_dot() {
        assert_eq!(split_qualified("lower"), (None, "lower"));
        assert_eq!(
            split_qualified("pg_catalog.lower"),
            (Some("pg_catalog"), "lower")
        );
        assert_eq!(split_qualified("db.app.f"), (Some("db.app"), "f"));
        assert_eq!(split_qualified("pg_catalog.+"), (Some("pg_catalog"), "+"));
    }
}
