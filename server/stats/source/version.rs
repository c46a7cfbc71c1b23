//! pg_stat_statements' version, and which statements query suits it.
//!
//! Columns are chosen by the *installed* extension version
//! (`pg_extension.extversion`), not the server version: an upgraded server
//! keeps the old extension version until `ALTER EXTENSION … UPDATE`.

use std::fmt;

use super::sql::{self, Sql};

/// An extension version such as `1.10`: compared numerically, so 1.10 > 1.9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExtensionVersion {
    pub major: u32,
    pub minor: u32,
}

impl ExtensionVersion {
    pub const fn new(major: u32, minor: u32) -> ExtensionVersion {
        ExtensionVersion { major, minor }
    }

    /// Parses `major.minor` (`"1"` is 1.0). Anything else is `None`: an
    /// extension version is free text, and a home-made one tells us nothing.
    pub fn parse(text: &str) -> Option<ExtensionVersion> {
        let text = text.trim();
        let (major, minor) = text.split_once('.').unwrap_or((text, "0"));
        Some(ExtensionVersion::new(number(major)?, number(minor)?))
    }

    /// `pg_stat_statements_info` with `stats_reset` exists from 1.9.
    pub fn has_info_view(self) -> bool {
        self >= ExtensionVersion::new(1, 9)
    }
}

fn number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl fmt::Display for ExtensionVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The oldest version we read: min/max/mean/stddev times arrived in 1.3.
pub const OLDEST_SUPPORTED: ExtensionVersion = ExtensionVersion::new(1, 3);

/// The counters query for `version`, or `None` when it is too old.
///
/// - 1.3–1.7: `total_time`, `min_time`, …; no `toplevel`.
/// - 1.8: `total_exec_time`, … (planning got its own columns).
/// - 1.9 and later: adds `toplevel`. 1.11 renamed `blk_read_time`, and later
///   versions add columns; we select neither, so one file serves them all.
pub fn statements_query(version: ExtensionVersion) -> Option<Sql> {
    if version < OLDEST_SUPPORTED {
        None
    } else if version < ExtensionVersion::new(1, 8) {
        Some(sql::STATEMENTS_V1_3)
    } else if version < ExtensionVersion::new(1, 9) {
        Some(sql::STATEMENTS_V1_8)
    } else {
        Some(sql::STATEMENTS_V1_9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statement without its comment lines.
    fn code(sql: Sql) -> String {
        sql.text
            .lines()
            .filter(|line| !line.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn file_for(version: &str) -> Option<&'static str> {
        let version = ExtensionVersion::parse(version).expect("parses");
        statements_query(version).map(|sql| sql.file)
    }

    #[test]
    fn parses_versions_numerically() {
        assert_eq!(
            ExtensionVersion::parse("1.10"),
            Some(ExtensionVersion::new(1, 10))
        );
        assert_eq!(
            ExtensionVersion::parse(" 1.4 "),
            Some(ExtensionVersion::new(1, 4))
        );
        assert_eq!(
            ExtensionVersion::parse("2"),
            Some(ExtensionVersion::new(2, 0))
        );
        assert!(ExtensionVersion::parse("1.10") > ExtensionVersion::parse("1.9"));
        for junk in [
            "",
            "1.",
            ".1",
            "1.x",
            "1.9beta",
            "-1.2",
            "1.2.3",
            "99999999999.1",
        ] {
            assert_eq!(ExtensionVersion::parse(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn picks_columns_by_extension_version() {
        assert_eq!(file_for("1.2"), None);
        assert_eq!(file_for("1.3"), Some("queries/statements/v1.3.sql"));
        assert_eq!(file_for("1.7"), Some("queries/statements/v1.3.sql"));
        assert_eq!(file_for("1.8"), Some("queries/statements/v1.8.sql"));
        for version in ["1.9", "1.10", "1.11", "1.12", "2.0"] {
            assert_eq!(
                file_for(version),
                Some("queries/statements/v1.9.sql"),
                "{version}"
            );
        }
    }

    #[test]
    fn the_chosen_query_selects_the_columns_its_version_has() {
        let old = code(statements_query(ExtensionVersion::new(1, 7)).unwrap());
        assert!(old.contains("total_time AS total_exec_time"));
        assert!(!old.contains("\n    toplevel,"));
        let v1_8 = code(statements_query(ExtensionVersion::new(1, 8)).unwrap());
        assert!(v1_8.contains("total_exec_time") && v1_8.contains("true AS toplevel"));
        for minor in [9, 10, 11, 12] {
            let text = code(statements_query(ExtensionVersion::new(1, minor)).unwrap());
            assert!(text.contains("\n    toplevel,"));
            // Renamed in 1.11: selecting it would break one side.
            assert!(!text.contains("blk_read_time"));
        }
    }

    #[test]
    fn info_view_from_1_9() {
        assert!(!ExtensionVersion::new(1, 8).has_info_view());
        assert!(ExtensionVersion::new(1, 9).has_info_view());
        assert!(ExtensionVersion::new(1, 12).has_info_view());
    }
}
