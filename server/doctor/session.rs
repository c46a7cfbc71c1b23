//! Facts about one open session (monitored or sandbox): server version,
//! database, read-only flag, application_name, TLS, cluster identity.

use tokio_postgres::Client;

use super::sql;
use crate::db::error_text;
use crate::stats::source::sql::SYSTEM_IDENTIFIER;

/// From `queries/doctor/session.sql` and `queries/session/system_identifier.sql`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub server_version: String,
    pub server_version_num: i32,
    pub database: String,
    pub read_only: String,
    pub application_name: String,
    pub statement_timeout: String,
    pub ssl: bool,
    pub tls_version: Option<String>,
    /// `None` when `pg_control_system()` is refused (managed services).
    pub system_identifier: Option<String>,
}

impl SessionInfo {
    pub async fn read(client: &Client) -> Result<SessionInfo, String> {
        let row = client
            .query_one(sql::SESSION.text, &[])
            .await
            .map_err(|error| failed(sql::SESSION.file, &error))?;
        let get_text = |name: &str| -> Result<String, String> {
            row.try_get(name)
                .map_err(|error| failed(sql::SESSION.file, &error))
        };
        let system_identifier = match client.query_opt(SYSTEM_IDENTIFIER.text, &[]).await {
            Ok(Some(row)) => row.try_get::<_, Option<String>>(0).ok().flatten(),
            // Refused or absent: identity comparisons fall back to the address.
            Ok(None) | Err(_) => None,
        };
        Ok(SessionInfo {
            server_version: get_text("server_version")?,
            server_version_num: row
                .try_get("server_version_num")
                .map_err(|error| failed(sql::SESSION.file, &error))?,
            database: get_text("database")?,
            read_only: get_text("read_only")?,
            application_name: get_text("application_name")?,
            statement_timeout: get_text("statement_timeout")?,
            ssl: row
                .try_get("ssl")
                .map_err(|error| failed(sql::SESSION.file, &error))?,
            tls_version: row
                .try_get("tls_version")
                .map_err(|error| failed(sql::SESSION.file, &error))?,
            system_identifier,
        })
    }

    /// The major version, as Debian package names use it (`15`, `9.6`).
    pub fn major_version(&self) -> String {
        let num = self.server_version_num;
        if num >= 100_000 {
            (num / 10_000).to_string()
        } else {
            format!("{}.{}", num / 10_000, num / 100 % 100)
        }
    }
}

/// A failed statement, with the server's message (tokio-postgres' own
/// `Display` only says "db error") or the error's causes.
pub fn failed(file: &str, error: &tokio_postgres::Error) -> String {
    format!("{file} failed: {}", error_text::message(error))
}
