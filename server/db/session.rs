//! Opening a session configured for what it is used for.
//!
//! The session settings travel in the start-up packet's `options`
//! (`-c name=value`), so they are in force before our first statement and a
//! forgotten `SET` cannot leave a monitoring session writable. Poolers that
//! refuse `options` (PgBouncer) get the same settings through `SET` instead.

use std::time::Duration;

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config};

use crate::db::conninfo::{ConnSpec, Host};
use crate::db::error_text::with_causes;
use crate::db::pgpass::{self, PassfileLookup};
use crate::db::tls::{self, TlsSetup};

pub use crate::db::connect_error::{ConnectError, PasswordSource};

/// What a session is for; decides its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionPurpose {
    /// Reading statistics from the user's database (stats collector, `check`,
    /// `doctor`): read-only, every statement time-limited.
    Monitoring { statement_timeout: Duration },
    /// Validating suggestions in the sandbox: may run DDL (always inside a
    /// rolled-back transaction, which is the caller's job), time-limited, and
    /// gives up quickly rather than wait behind someone else's lock.
    Sandbox {
        statement_timeout: Duration,
        lock_timeout: Duration,
    },
}

impl SessionPurpose {
    pub const DEFAULT_MONITORING_STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);
    pub const DEFAULT_SANDBOX_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_SANDBOX_LOCK_TIMEOUT: Duration = Duration::from_secs(1);

    /// Monitoring with the default 5 s statement timeout.
    pub const fn monitoring() -> SessionPurpose {
        SessionPurpose::Monitoring {
            statement_timeout: Self::DEFAULT_MONITORING_STATEMENT_TIMEOUT,
        }
    }

    /// The sandbox with default timeouts (30 s per statement, 1 s for locks).
    pub const fn sandbox() -> SessionPurpose {
        SessionPurpose::Sandbox {
            statement_timeout: Self::DEFAULT_SANDBOX_STATEMENT_TIMEOUT,
            lock_timeout: Self::DEFAULT_SANDBOX_LOCK_TIMEOUT,
        }
    }

    /// The `application_name` we report unless the user chose one.
    pub fn application_name(self) -> &'static str {
        match self {
            SessionPurpose::Monitoring { .. } => "optischema",
            SessionPurpose::Sandbox { .. } => "optischema-sandbox",
        }
    }

    /// The server settings this purpose needs, as `(name, value)`.
    pub fn server_settings(self) -> Vec<(&'static str, String)> {
        match self {
            SessionPurpose::Monitoring { statement_timeout } => vec![
                ("default_transaction_read_only", "on".to_owned()),
                ("statement_timeout", milliseconds(statement_timeout)),
            ],
            SessionPurpose::Sandbox {
                statement_timeout,
                lock_timeout,
            } => vec![
                ("statement_timeout", milliseconds(statement_timeout)),
                ("lock_timeout", milliseconds(lock_timeout)),
            ],
        }
    }
}

/// A timeout in PostgreSQL's unit. Never `0`, which would mean "no limit".
fn milliseconds(duration: Duration) -> String {
    duration.as_millis().max(1).to_string()
}

/// Connects as `spec` describes and configures the session for `purpose`.
///
/// The connection runs on a spawned task (so this must be called within a
/// Tokio runtime); when it ends, the task logs why. A missing password is
/// looked up in the password file.
pub async fn connect(spec: &ConnSpec, purpose: SessionPurpose) -> Result<Client, ConnectError> {
    let (password, source) = match spec.password() {
        Some(password) => (Some(password.to_owned()), PasswordSource::Settings),
        None => match pgpass::lookup(spec) {
            PassfileLookup::Found(password) => (
                Some(password),
                spec.passfile
                    .clone()
                    .map_or(PasswordSource::Nothing, PasswordSource::Passfile),
            ),
            PassfileLookup::NotFound => (None, PasswordSource::Nothing),
            PassfileLookup::Ignored { reason } => {
                (None, PasswordSource::PassfileIgnored { reason })
            }
        },
    };
    let tls = tls::tls_setup(spec).map_err(|error| ConnectError::tls_setup(spec, &error))?;

    let config = session_config(spec, purpose, password.as_deref(), StartupOptions::Send);
    match attempt(spec, &config, &tls).await {
        Err(Failure::Postgres(error)) if refuses_startup_options(&error) => {
            tracing::info!(
                target = %spec,
                "the server (likely a connection pooler) refuses start-up options; \
                 applying session settings with SET instead"
            );
            if spec.options.is_some() {
                tracing::warn!(target = %spec, "ignoring the `options` connection setting");
            }
            let config = session_config(spec, purpose, password.as_deref(), StartupOptions::Omit);
            let client = attempt(spec, &config, &tls)
                .await
                .map_err(|failure| failure.into_connect_error(spec, &source))?;
            apply_with_set(&client, purpose)
                .await
                .map_err(|error| ConnectError::classify(spec, &source, &error))?;
            Ok(client)
        }
        result => result.map_err(|failure| failure.into_connect_error(spec, &source)),
    }
}

/// Whether to send session settings in the start-up packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartupOptions {
    Send,
    Omit,
}

/// The tokio-postgres configuration for `spec` and `purpose`.
pub fn session_config(
    spec: &ConnSpec,
    purpose: SessionPurpose,
    password: Option<&str>,
    startup_options: StartupOptions,
) -> Config {
    let mut config = Config::new();
    match &spec.host {
        Host::Tcp(name) => config.host(name),
        Host::Unix(dir) => config.host_path(dir),
    };
    config
        .port(spec.port)
        .user(&spec.user)
        .dbname(&spec.dbname)
        .application_name(
            spec.application_name
                .as_deref()
                .unwrap_or(purpose.application_name()),
        );
    if let Some(password) = password {
        config.password(password);
    }
    if let Some(timeout) = spec.connect_timeout {
        config.connect_timeout(timeout);
    }
    if startup_options == StartupOptions::Send {
        config.options(startup_options_text(spec.options.as_deref(), purpose));
    }
    config
}

/// The user's own `options` followed by ours, so ours win where both set the
/// same parameter (the server applies them in order).
fn startup_options_text(user_options: Option<&str>, purpose: SessionPurpose) -> String {
    let ours = purpose
        .server_settings()
        .into_iter()
        .map(|(name, value)| format!("-c {name}={value}"));
    user_options
        .map(str::to_owned)
        .into_iter()
        .chain(ours)
        .collect::<Vec<_>>()
        .join(" ")
}

enum Failure {
    Postgres(tokio_postgres::Error),
    Timeout(Duration),
}

impl Failure {
    fn into_connect_error(self, spec: &ConnSpec, source: &PasswordSource) -> ConnectError {
        match self {
            Failure::Postgres(error) => ConnectError::classify(spec, source, &error),
            Failure::Timeout(after) => ConnectError::timeout(spec, after),
        }
    }
}

/// One connection attempt, bounded as a whole by `connect_timeout`:
/// tokio-postgres applies it to opening the socket only, and a server that
/// accepts and then stalls in the TLS or authentication exchange must not hang
/// us either.
async fn attempt(spec: &ConnSpec, config: &Config, tls: &TlsSetup) -> Result<Client, Failure> {
    let mut config = config.clone();
    config.ssl_mode(match spec.host {
        // The server never offers TLS on a Unix-domain socket; libpq ignores
        // sslmode there, and so do we.
        Host::Unix(_) => tokio_postgres::config::SslMode::Disable,
        Host::Tcp(_) => tls.mode,
    });
    let connecting = config.connect(tls.connector.clone());
    let (client, connection) = match spec.connect_timeout {
        Some(limit) => tokio::time::timeout(limit, connecting)
            .await
            .map_err(|_| Failure::Timeout(limit))?,
        None => connecting.await,
    }
    .map_err(Failure::Postgres)?;

    let target = spec.redacted();
    tokio::spawn(async move {
        match connection.await {
            Ok(()) => tracing::debug!(%target, "PostgreSQL connection closed"),
            Err(error) => {
                let error = with_causes(&error);
                tracing::warn!(%target, %error, "PostgreSQL connection ended with an error");
            }
        }
    });
    Ok(client)
}

/// PgBouncer answers an `options` start-up parameter with
/// `unsupported startup parameter: options`.
fn refuses_startup_options(error: &tokio_postgres::Error) -> bool {
    error.as_db_error().is_some_and(|db_error| {
        *db_error.code() == SqlState::PROTOCOL_VIOLATION
            && db_error.message().contains("unsupported startup parameter")
    })
}

async fn apply_with_set(
    client: &Client,
    purpose: SessionPurpose,
) -> Result<(), tokio_postgres::Error> {
    // Values are integers or `on`, never user text, so formatting is safe.
    let statements = purpose
        .server_settings()
        .into_iter()
        .map(|(name, value)| format!("SET {name} = '{value}';"))
        .collect::<String>();
    client.batch_execute(&statements).await
}

#[cfg(test)]
mod tests;
