//! The sandbox's fixed SQL, embedded from `queries/sandbox/` so a DBA can
//! read exactly what runs. Statements built around the user's SQL (EXPLAIN,
//! PREPARE, CREATE INDEX, row samples) are described in
//! `queries/sandbox/README.md` and built in the module that sends them.

use crate::queries::query_file;

pub const BEGIN: &str = query_file!("sandbox/begin.sql").text;
/// `$1`, `$2`: statement_timeout and lock_timeout in milliseconds.
pub const SET_LIMITS: &str = query_file!("sandbox/set_limits.sql").text;
pub const ROLLBACK: &str = query_file!("sandbox/rollback.sql").text;
pub const SAVEPOINT: &str = query_file!("sandbox/savepoint.sql").text;
pub const ROLLBACK_TO_SAVEPOINT: &str = query_file!("sandbox/rollback_to_savepoint.sql").text;
pub const RELEASE_SAVEPOINT: &str = query_file!("sandbox/release_savepoint.sql").text;
/// The types of [`PREPARED_STATEMENT`]'s parameters, one row each.
pub const PARAMETER_TYPES: &str = query_file!("sandbox/parameter_types.sql").text;
pub const DEALLOCATE: &str = query_file!("sandbox/deallocate.sql").text;
/// `$1`: quoted table name, `$2`: column, `$3`: how many values.
pub const MOST_COMMON_VALUES: &str = query_file!("sandbox/most_common_values.sql").text;

/// The name the statement under test is prepared as, only to learn its
/// parameter types; the files above name it too.
pub const PREPARED_STATEMENT: &str = "optischema_parameter_types";

/// Every embedded file by name, so a test can check that `queries/sandbox/`
/// holds nothing else and its README lists each one.
#[cfg(test)]
const ALL: &[(&str, &str)] = &[
    ("begin.sql", BEGIN),
    ("set_limits.sql", SET_LIMITS),
    ("rollback.sql", ROLLBACK),
    ("savepoint.sql", SAVEPOINT),
    ("rollback_to_savepoint.sql", ROLLBACK_TO_SAVEPOINT),
    ("release_savepoint.sql", RELEASE_SAVEPOINT),
    ("parameter_types.sql", PARAMETER_TYPES),
    ("deallocate.sql", DEALLOCATE),
    ("most_common_values.sql", MOST_COMMON_VALUES),
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    #[test]
    fn files_name_the_prepared_statement_we_prepare() {
        assert!(PARAMETER_TYPES.contains(&format!("'{PREPARED_STATEMENT}'")));
        assert!(DEALLOCATE.trim_end().ends_with(PREPARED_STATEMENT));
    }

    #[test]
    fn every_sql_file_is_embedded_and_documented() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries/sandbox");
        let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
            .expect("read queries/sandbox")
            .map(|entry| {
                entry
                    .expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|name| name.ends_with(".sql"))
            .collect();
        let embedded: BTreeSet<String> = ALL.iter().map(|(name, _)| name.to_string()).collect();
        assert_eq!(on_disk, embedded);
        let readme = std::fs::read_to_string(dir.join("README.md")).expect("README");
        for (name, _) in ALL {
            assert!(
                readme.contains(name),
                "queries/sandbox/README.md does not list {name}"
            );
        }
    }
}
