//! Why reading statistics failed, in words that name the fix.

use tokio_postgres::error::SqlState;

use super::sql::Sql;
use crate::db::ConnectError;

/// pg_stat_statements' error when its library was not preloaded.
const NOT_PRELOADED_MESSAGE: &str = "must be loaded via shared_preload_libraries";

/// A failure to read from the statistics source.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Connect(#[from] ConnectError),

    #[error(
        "pg_stat_statements is not installed in database \"{database}\": run \
         `CREATE EXTENSION pg_stat_statements;` in database {database} \
         (it must also be in shared_preload_libraries)"
    )]
    ExtensionMissing { database: String },

    #[error(
        "pg_stat_statements is installed in database \"{database}\" but its library is not \
         loaded: add pg_stat_statements to shared_preload_libraries in postgresql.conf and \
         restart PostgreSQL"
    )]
    NotPreloaded { database: String },

    #[error(
        "pg_stat_statements version \"{version}\" in database \"{database}\" is not supported \
         (1.3 or later is needed): run `ALTER EXTENSION pg_stat_statements UPDATE;` in database \
         {database}"
    )]
    UnsupportedExtension { database: String, version: String },

    #[error(
        "PostgreSQL {version} is not supported: OptiSchema reads statistics from PostgreSQL 11 \
         or later; upgrade the server"
    )]
    UnsupportedServer { version: String },

    /// A statement from `queries/` failed, or its result could not be read.
    #[error("{file} failed{}: {detail}", in_database(.database))]
    Query {
        file: &'static str,
        /// `None` before the session's database is known.
        database: Option<String>,
        detail: String,
        #[source]
        source: tokio_postgres::Error,
    },

    /// A statement from `queries/` returned something we cannot use.
    #[error("{file} returned an unexpected result{}: {detail}", in_database(.database))]
    UnexpectedResult {
        file: &'static str,
        database: Option<String>,
        detail: String,
    },
}

impl SourceError {
    /// Wraps a failure of `sql`, recognizing the one pg_stat_statements error
    /// that has a specific fix.
    pub(crate) fn query(
        sql: Sql,
        database: Option<&str>,
        error: tokio_postgres::Error,
    ) -> SourceError {
        if is_not_preloaded(&error) {
            return SourceError::NotPreloaded {
                database: database.unwrap_or("(current)").to_owned(),
            };
        }
        SourceError::Query {
            file: sql.file,
            database: database.map(str::to_owned),
            detail: describe(&error),
            source: error,
        }
    }

    pub(crate) fn unexpected(
        sql: Sql,
        database: Option<&str>,
        detail: impl Into<String>,
    ) -> SourceError {
        SourceError::UnexpectedResult {
            file: sql.file,
            database: database.map(str::to_owned),
            detail: detail.into(),
        }
    }
}

fn in_database(database: &Option<String>) -> String {
    database
        .as_ref()
        .map(|name| format!(" in database \"{name}\""))
        .unwrap_or_default()
}

fn is_not_preloaded(error: &tokio_postgres::Error) -> bool {
    error.as_db_error().is_some_and(|db_error| {
        *db_error.code() == SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE
            && db_error.message().contains(NOT_PRELOADED_MESSAGE)
    })
}

/// The server's message with its SQLSTATE and hint, or the error and its
/// causes: tokio-postgres' own `Display` says only "db error".
pub(crate) fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db_error) = error.as_db_error() {
        let mut text = format!(
            "{} (SQLSTATE {})",
            db_error.message(),
            db_error.code().code()
        );
        if let Some(hint) = db_error.hint() {
            text.push_str(". Hint: ");
            text.push_str(hint);
        }
        return text;
    }
    crate::db::error_text::with_causes(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_fix() {
        let missing = SourceError::ExtensionMissing {
            database: "app".into(),
        };
        assert!(
            missing
                .to_string()
                .contains("run `CREATE EXTENSION pg_stat_statements;` in database app")
        );
        let not_loaded = SourceError::NotPreloaded {
            database: "app".into(),
        };
        assert!(not_loaded.to_string().contains(
            "add pg_stat_statements to shared_preload_libraries in postgresql.conf and restart"
        ));
        let old = SourceError::UnsupportedExtension {
            database: "app".into(),
            version: "1.2".into(),
        };
        assert!(
            old.to_string()
                .contains("ALTER EXTENSION pg_stat_statements UPDATE;")
        );
    }
}
