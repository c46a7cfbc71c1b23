//! What the source learns once, when it opens: server version, database,
//! privileges, settings, and the installed pg_stat_statements.

use super::error::SourceError;
use super::reader::Reader;
use super::sql;
use super::version::ExtensionVersion;
use super::warning::SourceWarning;

/// The oldest server we read: `pg_index.indnkeyatts` (catalog/indexes.sql)
/// arrived in PostgreSQL 11.
pub const OLDEST_SUPPORTED_SERVER: i32 = 110_000;

/// From `queries/session/facts.sql`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFacts {
    pub server_version_num: i32,
    pub database: String,
    pub dbid: u32,
    /// `current_user`, quoted as an SQL identifier where needed.
    pub role: String,
    pub privileges: Privileges,
    /// `compute_query_id` (PostgreSQL 14+), else `None`.
    pub compute_query_id: Option<String>,
    /// `pg_stat_statements.track`, `None` when the library is not loaded.
    pub track: Option<String>,
}

/// What the role may see in pg_stat_statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Privileges {
    pub superuser: bool,
    /// Holds the privileges of `pg_read_all_stats` (superusers do).
    pub read_all_stats: bool,
}

impl SessionFacts {
    pub async fn read(reader: Reader<'_>) -> Result<SessionFacts, SourceError> {
        let sql = sql::FACTS;
        let row = reader.one_row(sql, &[]).await?;
        Ok(SessionFacts {
            server_version_num: reader.get(sql, &row, "server_version_num")?,
            database: reader.get(sql, &row, "database")?,
            dbid: reader.get(sql, &row, "dbid")?,
            role: reader.get(sql, &row, "role")?,
            privileges: Privileges {
                superuser: reader.get(sql, &row, "is_superuser")?,
                read_all_stats: reader.get(sql, &row, "reads_all_stats")?,
            },
            compute_query_id: reader.get(sql, &row, "compute_query_id")?,
            track: reader.get(sql, &row, "track")?,
        })
    }

    /// Whether the server computes query identifiers that `EXPLAIN (VERBOSE)`
    /// prints: PostgreSQL 14+ with `compute_query_id` not `off` (`auto` is on
    /// once pg_stat_statements is loaded, which opening checked).
    pub fn computes_query_id(&self) -> bool {
        self.server_version_num >= 140_000
            && self
                .compute_query_id
                .as_deref()
                .is_some_and(|value| !value.eq_ignore_ascii_case("off"))
    }

    /// The non-fatal problems these facts reveal.
    pub fn warnings(&self) -> Vec<SourceWarning> {
        let mut warnings = Vec::new();
        if !self.privileges.superuser && !self.privileges.read_all_stats {
            warnings.push(SourceWarning::OtherRolesHidden {
                role: self.role.clone(),
            });
        }
        if self.server_version_num >= 140_000 && !self.computes_query_id() {
            warnings.push(SourceWarning::QueryIdOff);
        }
        if self
            .track
            .as_deref()
            .is_some_and(|value| value.eq_ignore_ascii_case("none"))
        {
            warnings.push(SourceWarning::TrackingOff);
        }
        warnings
    }

    /// `150004` as `15.4`; before 10, `90624` as `9.6.24`.
    pub fn server_version(&self) -> String {
        let num = self.server_version_num;
        if num >= 100_000 {
            format!("{}.{}", num / 10_000, num % 10_000)
        } else {
            format!("{}.{}.{}", num / 10_000, num / 100 % 100, num % 100)
        }
    }
}

/// The installed pg_stat_statements, from `queries/session/extension.sql`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledExtension {
    /// `extversion` as written; parsed by the caller.
    pub version: String,
    pub schema: String,
    pub on_search_path: bool,
}

impl InstalledExtension {
    /// `None` when the extension is not installed in this database.
    pub async fn read(reader: Reader<'_>) -> Result<Option<InstalledExtension>, SourceError> {
        let sql = sql::EXTENSION;
        let Some(row) = reader.optional_row(sql, &[]).await? else {
            return Ok(None);
        };
        Ok(Some(InstalledExtension {
            version: reader.get(sql, &row, "version")?,
            schema: reader.get(sql, &row, "schema")?,
            on_search_path: reader.get(sql, &row, "on_search_path")?,
        }))
    }

    pub fn parsed_version(&self, database: &str) -> Result<ExtensionVersion, SourceError> {
        ExtensionVersion::parse(&self.version).ok_or_else(|| SourceError::UnsupportedExtension {
            database: database.to_owned(),
            version: self.version.clone(),
        })
    }

    /// Makes the unqualified `pg_stat_statements(…)` in `queries/` resolve
    /// when the extension lives in a schema off the search path (e.g. an
    /// `extensions` schema). Changes this session only.
    pub async fn put_on_search_path(&self, reader: Reader<'_>) -> Result<(), SourceError> {
        if !self.on_search_path {
            reader
                .rows(sql::ADD_EXTENSION_SCHEMA, &[&self.schema])
                .await?;
        }
        Ok(())
    }
}

/// Calls pg_stat_statements once, so that a library that is not preloaded
/// is reported when the source opens rather than at the first poll.
pub async fn probe_loaded(reader: Reader<'_>) -> Result<(), SourceError> {
    reader.rows(sql::PROBE_LOADED, &[]).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> SessionFacts {
        SessionFacts {
            server_version_num: 150_004,
            database: "app".into(),
            dbid: 16_384,
            role: "\"Monitor\"".into(),
            privileges: Privileges {
                superuser: false,
                read_all_stats: true,
            },
            compute_query_id: Some("auto".into()),
            track: Some("top".into()),
        }
    }

    #[test]
    fn no_warnings_when_all_is_well() {
        assert_eq!(facts().warnings(), vec![]);
        assert!(facts().computes_query_id());
    }

    #[test]
    fn warns_about_hidden_statements_with_the_grant() {
        let mut facts = facts();
        facts.privileges.read_all_stats = false;
        let warnings = facts.warnings();
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            warnings[0].to_string(),
            "statements of other users are hidden: `GRANT pg_read_all_stats TO \"Monitor\";`"
        );
        facts.privileges.superuser = true;
        assert_eq!(facts.warnings(), vec![]);
    }

    #[test]
    fn compute_query_id_matters_from_14() {
        let mut facts = facts();
        facts.compute_query_id = Some("off".into());
        assert_eq!(facts.warnings(), vec![SourceWarning::QueryIdOff]);
        assert!(!facts.computes_query_id());

        facts.server_version_num = 130_011;
        facts.compute_query_id = None;
        assert_eq!(facts.warnings(), vec![]);
        assert!(!facts.computes_query_id());
    }

    #[test]
    fn warns_when_tracking_is_off() {
        let mut facts = facts();
        facts.track = Some("none".into());
        assert_eq!(facts.warnings(), vec![SourceWarning::TrackingOff]);
    }

    #[test]
    fn formats_server_versions() {
        assert_eq!(facts().server_version(), "15.4");
        let mut old = facts();
        old.server_version_num = 90_624;
        assert_eq!(old.server_version(), "9.6.24");
    }
}
