//! The SQL files under `queries/plan/`, embedded at compile time, and the
//! filling of their `{placeholders}`. Nothing else in this module sends SQL
//! text of its own (the user's statement and, for generic plans,
//! tokio-postgres' `BEGIN`/`ROLLBACK` aside), so `queries/plan/` is what runs.

/// One statement from `queries/plan/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sql {
    /// The file's path from the repository root, for error messages.
    pub file: &'static str,
    pub text: &'static str,
}

macro_rules! query_file {
    ($path:literal) => {
        Sql {
            file: concat!("queries/plan/", $path),
            text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/queries/plan/", $path)),
        }
    };
}

/// `EXPLAIN ({options}) {statement}`.
pub const EXPLAIN: Sql = query_file!("explain.sql");
/// `SET LOCAL plan_cache_mode = force_generic_plan`.
pub const FORCE_GENERIC_PLAN: Sql = query_file!("force_generic_plan.sql");
/// `PREPARE {name} AS {statement}`.
pub const PREPARE: Sql = query_file!("prepare.sql");
/// `EXPLAIN ({options}) EXECUTE {name}({arguments})`.
pub const EXPLAIN_EXECUTE: Sql = query_file!("explain_execute.sql");
/// `DEALLOCATE {name}`.
pub const DEALLOCATE: Sql = query_file!("deallocate.sql");
pub const HYPOPG_AVAILABLE: Sql = query_file!("hypopg_available.sql");
pub const HYPOPG_CREATE_INDEX: Sql = query_file!("hypopg_create_index.sql");
pub const HYPOPG_RESET: Sql = query_file!("hypopg_reset.sql");
/// The server's version number, to pick how to get generic plans.
pub const SERVER_VERSION: Sql = query_file!("server_version.sql");

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

impl Sql {
    /// The text with each `{key}` replaced by its value, in one pass: a
    /// value (the user's statement) is never scanned for placeholders
    /// itself. A `{key}` without a value is left as written.
    pub fn fill(&self, values: &[(&str, &str)]) -> String {
        let mut out = String::with_capacity(self.text.len() + 64);
        let mut rest = self.text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let value = after.find('}').and_then(|close| {
                let key = &after[..close];
                values
                    .iter()
                    .find(|(name, _)| *name == key)
                    .map(|(_, value)| (*value, close))
            });
            match value {
                Some((value, close)) => {
                    out.push_str(value);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    #[test]
    fn placeholders_fill_once_and_values_are_not_rescanned() {
        let filled = PREPARE.fill(&[
            ("name", "optischema_plan_1"),
            ("statement", "SELECT '{name}' FROM t"),
        ]);
        assert_eq!(
            filled,
            "PREPARE optischema_plan_1 AS SELECT '{name}' FROM t\n"
        );
    }

    #[test]
    fn unknown_placeholders_stay() {
        let sql = Sql {
            file: "x",
            text: "a {b} {c",
        };
        assert_eq!(sql.fill(&[("c", "z")]), "a {b} {c");
    }

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
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = root.join("queries/plan");
        let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
            .expect("read queries/plan")
            .map(|entry| {
                entry
                    .expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|name| name.ends_with(".sql"))
            .map(|name| format!("queries/plan/{name}"))
            .collect();
        let embedded: BTreeSet<String> = ALL.iter().map(|sql| sql.file.to_owned()).collect();
        assert_eq!(on_disk, embedded, "queries/plan/ and sql::ALL disagree");

        let readme = std::fs::read_to_string(dir.join("README.md")).expect("README");
        for sql in ALL {
            let listed = sql.file.trim_start_matches("queries/plan/");
            assert!(
                readme.contains(listed),
                "queries/plan/README.md does not list {listed}"
            );
        }
    }
}
