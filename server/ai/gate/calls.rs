//! Which functions and operators a model's candidate may use.
//!
//! A valid SELECT or index can still act through what it calls: sleep,
//! signal other backends, read files, write large objects, open
//! connections elsewhere, run arbitrary SQL (`query_to_xml`), take locks
//! that outlive a rollback. So a candidate may call only
//! - functions the original statement already calls, and
//! - side-effect-free built-ins ([`functions::is_side_effect_free`]),
//!
//! and never one on the deny list ([`functions::is_denied`]), whoever calls
//! it. Both lists live in [`crate::sql::functions`], shared with the
//! sandbox's admission check. Operators likewise:
//! those the original uses and PostgreSQL's common built-ins (a custom
//! operator is a function call in disguise).

use std::collections::BTreeSet;

use crate::sql::functions::{self, split_qualified};

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

impl Allowed {
    /// Why calling `function` is refused, if it is.
    pub fn refuse_function(&self, function: &str) -> Option<String> {
        if functions::is_denied(function) {
            return Some(format!(
                "it calls {function}(), which acts outside the query (never allowed)"
            ));
        }
        if functions::is_side_effect_free(function) || self.functions.contains(function) {
            return None;
        }
        Some(format!(
            "it calls {function}(), which the statement does not call and which is not a \
             known side-effect-free built-in"
        ))
    }

    /// Why using `operator` is refused, if it is.
    pub fn refuse_operator(&self, operator: &str) -> Option<String> {
        let (schema, name) = split_qualified(operator);
        let builtin =
            matches!(schema, None | Some("pg_catalog")) && BUILTIN_OPERATORS.contains(&name);
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
