//! The SQL files under `queries/`, embedded at compile time. Nothing else in
//! this module sends SQL text, so `queries/` is exactly what runs.

pub use crate::queries::Sql;
use crate::queries::query_file;

pub const FACTS: Sql = query_file!("session/facts.sql");
pub const EXTENSION: Sql = query_file!("session/extension.sql");
pub const ADD_EXTENSION_SCHEMA: Sql = query_file!("session/add_extension_schema.sql");
pub const PROBE_LOADED: Sql = query_file!("session/probe_loaded.sql");
pub const SYSTEM_IDENTIFIER: Sql = query_file!("session/system_identifier.sql");
pub const SERVER_ADDRESS: Sql = query_file!("session/server_address.sql");
pub const POSTMASTER_START_TIME: Sql = query_file!("session/postmaster_start_time.sql");

pub const STATEMENTS_V1_3: Sql = query_file!("statements/v1.3.sql");
pub const STATEMENTS_V1_8: Sql = query_file!("statements/v1.8.sql");
pub const STATEMENTS_V1_9: Sql = query_file!("statements/v1.9.sql");
pub const TEXTS: Sql = query_file!("statements/texts.sql");
pub const INFO: Sql = query_file!("statements/info.sql");

pub const TABLES: Sql = query_file!("catalog/tables.sql");
pub const INDEXES: Sql = query_file!("catalog/indexes.sql");
pub const COLUMNS: Sql = query_file!("catalog/columns.sql");

/// Every embedded file, so a test can check `queries/` holds nothing else
/// and its README lists each one.
pub const ALL: &[Sql] = &[
    FACTS,
    EXTENSION,
    ADD_EXTENSION_SCHEMA,
    PROBE_LOADED,
    SYSTEM_IDENTIFIER,
    SERVER_ADDRESS,
    POSTMASTER_START_TIME,
    STATEMENTS_V1_3,
    STATEMENTS_V1_8,
    STATEMENTS_V1_9,
    TEXTS,
    INFO,
    TABLES,
    INDEXES,
    COLUMNS,
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::ALL;

    fn sql_files_under(dir: &Path, root: &Path, found: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("read queries/") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                sql_files_under(&path, root, found);
            } else if path.extension().is_some_and(|ext| ext == "sql") {
                let relative = path.strip_prefix(root).expect("under the repository");
                found.insert(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }

    /// The `queries/` subdirectories this module owns; others (e.g. `plan/`)
    /// belong to other parts of the server.
    const OWN_DIRS: [&str; 3] = ["session", "statements", "catalog"];

    #[test]
    fn every_sql_file_is_embedded_and_documented() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut on_disk = BTreeSet::new();
        for dir in OWN_DIRS {
            sql_files_under(&root.join("queries").join(dir), root, &mut on_disk);
        }
        let embedded: BTreeSet<String> = ALL.iter().map(|sql| sql.file.to_owned()).collect();
        assert_eq!(
            on_disk,
            embedded,
            "queries/{{{}}} and sql::ALL disagree",
            OWN_DIRS.join(",")
        );

        let readme = std::fs::read_to_string(root.join("queries/README.md")).expect("README");
        for sql in ALL {
            let listed = sql.file.trim_start_matches("queries/");
            assert!(
                readme.contains(listed),
                "queries/README.md does not list {listed}"
            );
        }
    }
}
