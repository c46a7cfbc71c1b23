//! Connecting to the monitored database the way the language server does
//! (a read-only monitoring session), and what kind of session that gave.

use tokio_postgres::Client;

use super::CHECK_TIMEOUT;
use super::report::{CheckLine, Report};
use super::session::SessionInfo;
use crate::db::{self, ConnSpec, ConnectError, Host, SessionPurpose};
use crate::stats::source::OLDEST_SUPPORTED_SERVER;

/// An open monitoring session and what it is connected to.
pub struct Connected {
    pub client: Client,
    pub info: SessionInfo,
}

/// Connects like the language server; reports connection, server and
/// session. `None` when there is nothing more to check on this database.
pub async fn check_monitored(spec: &ConnSpec, report: &mut Report<'_>) -> Option<Connected> {
    let client = connect(spec, SessionPurpose::monitoring(), "connection", report).await?;
    let info = match tokio::time::timeout(CHECK_TIMEOUT, SessionInfo::read(&client)).await {
        Ok(Ok(info)) => info,
        Ok(Err(message)) => {
            report.push(CheckLine::fail(
                "connection",
                message,
                "check that the role may connect and read pg_catalog",
            ));
            return None;
        }
        Err(_) => {
            report.push(timed_out("connection"));
            return None;
        }
    };
    report.push(connection_line(spec, &info));
    report.push(server_line(&info));
    report.push(session_line(&info));
    Some(Connected { client, info })
}

/// Opens a session for `purpose`, reporting a failure with its fix.
pub async fn connect(
    spec: &ConnSpec,
    purpose: SessionPurpose,
    check: &'static str,
    report: &mut Report<'_>,
) -> Option<Client> {
    // connect_timeout bounds each attempt; this bounds the whole (a pooler
    // retry makes two).
    let limit = spec.connect_timeout.unwrap_or(CHECK_TIMEOUT) * 2 + CHECK_TIMEOUT;
    match tokio::time::timeout(limit, db::connect(spec, purpose)).await {
        Ok(Ok(client)) => Some(client),
        Ok(Err(error)) => {
            report.push(connect_failure(check, &error));
            None
        }
        Err(_) => {
            report.push(timed_out(check));
            None
        }
    }
}

pub fn timed_out(check: &'static str) -> CheckLine {
    CheckLine::fail(
        check,
        format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
        "check that the server is up and not overloaded, and that nothing (firewall, \
         pooler) holds the connection",
    )
}

/// A connection failure split into what happened and what to do.
fn connect_failure(check: &'static str, error: &ConnectError) -> CheckLine {
    let (message, fix) = match error {
        ConnectError::Unreachable {
            target,
            detail,
            hint,
        } => (format!("cannot reach {target}: {detail}"), hint.clone()),
        ConnectError::AuthenticationFailed {
            target,
            user,
            detail,
            hint,
        } => (
            format!("authentication failed for user \"{user}\" at {target}: {detail}"),
            hint.clone(),
        ),
        ConnectError::DatabaseDoesNotExist { target, dbname } => (
            format!("database \"{dbname}\" does not exist at {target}"),
            format!(
                "create it (createdb {dbname}) or name an existing database in the URL \
                 (…/DBNAME) or PGDATABASE"
            ),
        ),
        ConnectError::Tls {
            target,
            detail,
            hint,
        } => (format!("TLS problem with {target}: {detail}"), hint.clone()),
        ConnectError::Timeout { target, after } => (
            format!(
                "timed out after {} s connecting to {target}",
                after.as_secs_f32()
            ),
            "check the host and port and that no firewall drops the traffic; raise \
             connect_timeout for slow networks"
                .to_owned(),
        ),
        ConnectError::Rejected {
            target,
            detail,
            hint,
        } => (
            format!("{target} refused the connection: {detail}"),
            hint.clone().unwrap_or_else(|| {
                "see the server's message above; the server log has the details".to_owned()
            }),
        ),
    };
    CheckLine::fail(check, message, fix)
}

fn connection_line(spec: &ConnSpec, info: &SessionInfo) -> CheckLine {
    const CHECK: &str = "connection";
    let target = spec.redacted();
    match &spec.host {
        Host::Unix(_) => CheckLine::pass(
            CHECK,
            format!("connected to {target} over a Unix-domain socket (local, no TLS needed)"),
        ),
        Host::Tcp(_) if info.ssl => CheckLine::pass(
            CHECK,
            format!(
                "connected to {target}, encrypted with {} (sslmode={})",
                info.tls_version.as_deref().unwrap_or("TLS"),
                spec.sslmode
            ),
        ),
        Host::Tcp(host) if is_loopback(host) => CheckLine::pass(
            CHECK,
            format!(
                "connected to {target}, not encrypted (sslmode={}; this machine only)",
                spec.sslmode
            ),
        ),
        Host::Tcp(_) => CheckLine::warn(
            CHECK,
            format!(
                "connected to {target}, NOT encrypted (sslmode={}): passwords and query texts \
                 cross the network in the clear",
                spec.sslmode
            ),
            "turn on ssl in the server's postgresql.conf and connect with sslmode=verify-full \
             (or at least sslmode=require)",
        ),
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

fn server_line(info: &SessionInfo) -> CheckLine {
    if info.server_version_num < OLDEST_SUPPORTED_SERVER {
        CheckLine::fail(
            "server",
            format!("PostgreSQL {} is too old", info.server_version),
            "upgrade to PostgreSQL 11 or later",
        )
    } else {
        CheckLine::pass(
            "server",
            format!(
                "PostgreSQL {}, database \"{}\"",
                info.server_version, info.database
            ),
        )
    }
}

fn session_line(info: &SessionInfo) -> CheckLine {
    if info.read_only == "on" {
        CheckLine::pass(
            "session",
            format!(
                "read-only (default_transaction_read_only = on), application_name = {}, \
                 statement_timeout = {}",
                info.application_name, info.statement_timeout
            ),
        )
    } else {
        CheckLine::fail(
            "session",
            format!(
                "the monitoring session is NOT read-only (default_transaction_read_only = {})",
                info.read_only
            ),
            "connect directly or through a pooler in session mode: a pooler in transaction \
             mode loses the session settings OptiSchema makes",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("localhost"));
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("::1"));
        assert!(!is_loopback("db.example.com"));
        assert!(!is_loopback("10.0.0.5"));
    }
}
