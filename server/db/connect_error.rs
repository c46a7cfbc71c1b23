//! Why a connection failed, in words that name the fix.
//!
//! tokio-postgres reports failures as one opaque error type; this sorts them
//! into the handful of situations a user can act on. Messages name the target
//! by its redacted URI and never contain the password.

use std::error::Error as _;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use tokio_postgres::error::SqlState;

use crate::db::conninfo::{ConnSpec, Host};
use crate::db::error_text::with_causes;
use crate::db::tls::TlsError;

/// Where the password we sent came from, so an authentication failure can say
/// which one to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// The connection string or `PGPASSWORD`.
    Settings,
    /// A line of this password file.
    Passfile(PathBuf),
    /// No password was found anywhere.
    Nothing,
    /// No password was given and the password file was unusable.
    PassfileIgnored { reason: String },
}

/// A failed connection attempt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// Nothing answered: wrong host or port, server down, firewall, DNS.
    #[error("cannot reach PostgreSQL at {target}: {detail}. {hint}")]
    Unreachable {
        target: String,
        detail: String,
        hint: String,
    },
    /// The server rejected the credentials, or wanted a password we lack.
    #[error("authentication failed for user \"{user}\" at {target}: {detail}. {hint}")]
    AuthenticationFailed {
        target: String,
        user: String,
        detail: String,
        hint: String,
    },
    #[error(
        "database \"{dbname}\" does not exist at {target}. Create it (createdb {dbname}) \
         or name an existing database in the connection URL (…/DBNAME) or PGDATABASE"
    )]
    DatabaseDoesNotExist { target: String, dbname: String },
    /// TLS could not be set up or negotiated, or the certificate was rejected.
    #[error("TLS problem with {target}: {detail}. {hint}")]
    Tls {
        target: String,
        detail: String,
        hint: String,
    },
    #[error(
        "timed out after {}s connecting to {target}. Check that the host and port are right \
         and that no firewall drops the traffic; raise connect_timeout for slow networks",
        after.as_secs_f32()
    )]
    Timeout { target: String, after: Duration },
    /// The server answered but refused the session for another reason
    /// (pg_hba.conf, missing role, too many connections, starting up, …).
    #[error("PostgreSQL at {target} refused the connection: {detail}{}", hint_suffix(.hint))]
    Rejected {
        target: String,
        detail: String,
        hint: Option<String>,
    },
}

fn hint_suffix(hint: &Option<String>) -> String {
    hint.as_ref()
        .map(|hint| format!(". {hint}"))
        .unwrap_or_default()
}

impl ConnectError {
    pub(crate) fn tls_setup(spec: &ConnSpec, error: &TlsError) -> ConnectError {
        ConnectError::Tls {
            target: spec.redacted(),
            detail: error.to_string(),
            hint: "Fix the certificate settings or use a weaker sslmode (require, prefer)"
                .to_owned(),
        }
    }

    pub(crate) fn timeout(spec: &ConnSpec, after: Duration) -> ConnectError {
        ConnectError::Timeout {
            target: spec.redacted(),
            after,
        }
    }

    /// Sorts a tokio-postgres start-up error into what the user can do about it.
    pub(crate) fn classify(
        spec: &ConnSpec,
        password: &PasswordSource,
        error: &tokio_postgres::Error,
    ) -> ConnectError {
        let target = spec.redacted();
        if let Some(db_error) = error.as_db_error() {
            return from_server_error(spec, password, db_error);
        }
        let detail = error
            .source()
            .map_or_else(|| error.to_string(), |source| source.to_string());
        // tokio-postgres's error kinds are private; its Display names the kind.
        match error.to_string().as_str() {
            "error connecting to server" => {
                let io_kind = error
                    .source()
                    .and_then(|source| source.downcast_ref::<io::Error>())
                    .map(io::Error::kind);
                // Without a connect_timeout of ours, a timeout is the
                // operating system's verdict on an unreachable host.
                if let (Some(io::ErrorKind::TimedOut), Some(after)) =
                    (io_kind, spec.connect_timeout)
                {
                    return ConnectError::Timeout { target, after };
                }
                ConnectError::Unreachable {
                    target,
                    detail,
                    hint: unreachable_hint(spec),
                }
            }
            "error performing TLS handshake" => ConnectError::Tls {
                hint: tls_hint(&detail),
                target,
                detail,
            },
            "invalid configuration" if detail == "password missing" => {
                ConnectError::AuthenticationFailed {
                    target,
                    user: spec.user.clone(),
                    detail: "the server asks for a password and none was found".to_owned(),
                    hint: password_hint(spec, password),
                }
            }
            "authentication error" => ConnectError::AuthenticationFailed {
                target,
                user: spec.user.clone(),
                detail,
                hint: password_hint(spec, password),
            },
            _ => ConnectError::Rejected {
                target,
                detail: with_causes(error),
                hint: None,
            },
        }
    }
}

fn from_server_error(
    spec: &ConnSpec,
    password: &PasswordSource,
    error: &tokio_postgres::error::DbError,
) -> ConnectError {
    let target = spec.redacted();
    let detail = error.message().to_owned();
    let code = error.code();
    if *code == SqlState::INVALID_PASSWORD {
        ConnectError::AuthenticationFailed {
            target,
            user: spec.user.clone(),
            detail,
            hint: password_hint(spec, password),
        }
    } else if *code == SqlState::INVALID_CATALOG_NAME {
        ConnectError::DatabaseDoesNotExist {
            target,
            dbname: spec.dbname.clone(),
        }
    } else {
        let hint = if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            Some(
                "Ask the database administrator to create the role or to allow this \
                 host, user and database in pg_hba.conf (then reload the server)"
                    .to_owned(),
            )
        } else if *code == SqlState::TOO_MANY_CONNECTIONS {
            Some("Close idle sessions or raise max_connections".to_owned())
        } else if *code == SqlState::CANNOT_CONNECT_NOW {
            Some("The server is starting up or shutting down; try again shortly".to_owned())
        } else {
            error.hint().map(str::to_owned)
        };
        ConnectError::Rejected {
            target,
            detail,
            hint,
        }
    }
}

fn password_hint(spec: &ConnSpec, password: &PasswordSource) -> String {
    let passfile = spec
        .passfile
        .as_ref()
        .map_or_else(|| "~/.pgpass".to_owned(), |path| path.display().to_string());
    let line = format!(
        "{}:{}:{}:{}:PASSWORD",
        crate::db::pgpass::PgpassKey::for_spec(spec).host,
        spec.port,
        spec.dbname,
        spec.user
    );
    let tried = match password {
        PasswordSource::Settings => {
            "The password came from the connection settings (URL or PGPASSWORD); correct it there"
                .to_owned()
        }
        PasswordSource::Passfile(path) => format!(
            "The password came from {}; correct the matching line there",
            path.display()
        ),
        PasswordSource::Nothing => "No password was given".to_owned(),
        PasswordSource::PassfileIgnored { reason } => {
            format!("No password was given, and the password file was ignored: {reason}")
        }
    };
    format!(
        "{tried}. Supply the password in the connection URL (postgresql://USER:PASSWORD@…), \
         in PGPASSWORD, or as a line `{line}` in {passfile} (chmod 0600)"
    )
}

fn unreachable_hint(spec: &ConnSpec) -> String {
    match &spec.host {
        Host::Unix(dir) => format!(
            "Is the server running on this machine with its socket in {}? \
             Otherwise give host=… (a host name, or the right socket directory) and port",
            dir.display()
        ),
        Host::Tcp(_) => "Check the host name and port, that the server is running, and that \
                         it accepts TCP connections (listen_addresses, firewall)"
            .to_owned(),
    }
}

fn tls_hint(detail: &str) -> String {
    if detail.contains("server does not support TLS") {
        "The server has TLS turned off: enable ssl on the server, or use sslmode=prefer \
         (or disable) if unencrypted connections are acceptable"
            .to_owned()
    } else if detail.contains("NotValidForName") || detail.contains("not valid for name") {
        "The certificate does not name this host: connect by a name the certificate lists, \
         or use sslmode=verify-ca"
            .to_owned()
    } else if detail.contains("certificate") {
        "The server's certificate is not trusted: set sslrootcert (or PGSSLROOTCERT) to the \
         CA certificate that signed it"
            .to_owned()
    } else {
        "Check sslmode and the server's TLS settings".to_owned()
    }
}
