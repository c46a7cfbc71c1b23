//! The read side of the statistics collector: pg_stat_statements and the
//! catalog, read over one monitoring (read-only, time-limited) session.
//!
//! Every statement sent comes from a file under `queries/` (see [`sql`] and
//! `queries/README.md`), so a DBA can audit exactly what runs.
//!
//! - [`StatsSource::open`] learns the server, the extension version (which
//!   decides the columns, see [`version`]), the database and its identity,
//!   privileges, and fails with the fix when pg_stat_statements is missing
//!   or not preloaded.
//! - [`StatsSource::entries`] reads counters without texts;
//!   [`StatsSource::texts`] reads texts only for the queryids asked for.
//! - [`StatsSource::stats_reset`] and [`StatsSource::postmaster_start_time`]
//!   tell when counters started over; [`StatsSource::catalog`] reads tables,
//!   indexes and columns.

mod catalog;
mod error;
mod identity;
mod reader;
mod session;
pub mod sql;
mod statements;
mod timestamp;
pub mod version;
mod warning;

use std::collections::HashMap;
use std::fmt;
use std::time::SystemTime;

use tokio_postgres::Client;

use crate::db::{self, ConnSpec, SessionPurpose};
use crate::stats::model::{Catalog, DatabaseIdentity, EntryRow};

pub use error::SourceError;
pub use session::{OLDEST_SUPPORTED_SERVER, Privileges};
pub use sql::Sql;
pub use version::ExtensionVersion;
pub use warning::SourceWarning;

use reader::Reader;
use session::{InstalledExtension, SessionFacts};

/// pg_stat_statements and the catalog of one database.
pub struct StatsSource {
    client: Client,
    facts: SessionFacts,
    extension_version: ExtensionVersion,
    /// The counters query for `extension_version`.
    statements_sql: Sql,
    identity: DatabaseIdentity,
    warnings: Vec<SourceWarning>,
}

impl StatsSource {
    /// Connects with a monitoring session (read-only, `statement_timeout`)
    /// and opens the source on it.
    pub async fn connect(spec: &ConnSpec) -> Result<StatsSource, SourceError> {
        let client = db::connect(spec, SessionPurpose::monitoring()).await?;
        StatsSource::open(client).await
    }

    /// Opens the source on `client`, which should be a monitoring session
    /// (`db::connect(…, SessionPurpose::monitoring())`): the source only
    /// reads, and relies on the session's statement_timeout.
    pub async fn open(client: Client) -> Result<StatsSource, SourceError> {
        let unknown_database = Reader {
            client: &client,
            database: None,
        };
        let facts = SessionFacts::read(unknown_database).await?;
        if facts.server_version_num < OLDEST_SUPPORTED_SERVER {
            return Err(SourceError::UnsupportedServer {
                version: facts.server_version(),
            });
        }
        let reader = Reader {
            client: &client,
            database: Some(&facts.database),
        };
        let extension = InstalledExtension::read(reader).await?.ok_or_else(|| {
            SourceError::ExtensionMissing {
                database: facts.database.clone(),
            }
        })?;
        let extension_version = extension.parsed_version(&facts.database)?;
        let statements_sql = version::statements_query(extension_version).ok_or_else(|| {
            SourceError::UnsupportedExtension {
                database: facts.database.clone(),
                version: extension.version.clone(),
            }
        })?;
        extension.put_on_search_path(reader).await?;
        session::probe_loaded(reader).await?;

        let (identity, identity_warning) =
            identity::read_identity(reader, &facts.database, &facts.role).await?;
        let mut warnings = facts.warnings();
        warnings.extend(identity_warning);
        for warning in &warnings {
            tracing::warn!(database = %facts.database, "{warning}");
        }

        Ok(StatsSource {
            client,
            facts,
            extension_version,
            statements_sql,
            identity,
            warnings,
        })
    }

    fn reader(&self) -> Reader<'_> {
        Reader {
            client: &self.client,
            database: Some(&self.facts.database),
        }
    }

    /// Every pg_stat_statements entry of this database that the role may
    /// see, without texts.
    pub async fn entries(&self) -> Result<Vec<EntryRow>, SourceError> {
        statements::entries(self.reader(), self.statements_sql, self.facts.dbid).await
    }

    /// Query texts of `queryids` in this database; queryids without a
    /// visible text are absent from the map. Texts are the expensive part of
    /// pg_stat_statements: ask only for queryids not seen before.
    pub async fn texts(&self, queryids: &[i64]) -> Result<HashMap<i64, String>, SourceError> {
        statements::texts(self.reader(), self.facts.dbid, queryids).await
    }

    /// When pg_stat_statements was last reset as a whole (extension 1.9+);
    /// `None` on older versions, which do not record it.
    pub async fn stats_reset(&self) -> Result<Option<SystemTime>, SourceError> {
        if !self.extension_version.has_info_view() {
            return Ok(None);
        }
        statements::stats_reset(self.reader()).await
    }

    /// When the server started; a change means it restarted.
    pub async fn postmaster_start_time(&self) -> Result<SystemTime, SourceError> {
        statements::postmaster_start_time(self.reader()).await
    }

    /// Tables, indexes and columns of the user's schemas.
    pub async fn catalog(&self) -> Result<Catalog, SourceError> {
        catalog::catalog(self.reader()).await
    }

    /// Problems that do not stop reading but make the numbers incomplete;
    /// each names its fix.
    pub fn warnings(&self) -> &[SourceWarning] {
        &self.warnings
    }

    pub fn identity(&self) -> &DatabaseIdentity {
        &self.identity
    }

    /// `current_database()`.
    pub fn database(&self) -> &str {
        &self.facts.database
    }

    /// The database's oid, which pg_stat_statements calls `dbid`.
    pub fn dbid(&self) -> u32 {
        self.facts.dbid
    }

    /// `server_version_num`, e.g. 150004.
    pub fn server_version_num(&self) -> i32 {
        self.facts.server_version_num
    }

    /// The installed pg_stat_statements version (`pg_extension.extversion`).
    pub fn extension_version(&self) -> ExtensionVersion {
        self.extension_version
    }

    /// The counters query in use, chosen by the extension version.
    pub fn statements_sql(&self) -> Sql {
        self.statements_sql
    }

    /// Whether `EXPLAIN (VERBOSE)` prints query identifiers that match
    /// pg_stat_statements' queryid (PostgreSQL 14+, compute_query_id not off).
    pub fn computes_query_id(&self) -> bool {
        self.facts.computes_query_id()
    }

    pub fn privileges(&self) -> Privileges {
        self.facts.privileges
    }

    /// The session's role (`current_user`), quoted as an SQL identifier
    /// where needed.
    pub fn role(&self) -> &str {
        &self.facts.role
    }
}

impl fmt::Debug for StatsSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatsSource")
            .field("identity", &self.identity)
            .field("server_version_num", &self.facts.server_version_num)
            .field("extension_version", &self.extension_version)
            .field("statements_sql", &self.statements_sql.file)
            .field("privileges", &self.facts.privileges)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}
