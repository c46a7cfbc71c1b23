//! Connection settings: parsing libpq connection strings and filling the gaps
//! from the environment the way libpq does.
//!
//! Precedence, highest first: what the connection string says, the libpq
//! environment variables (`PGHOST`, `PGPORT`, …), then libpq's defaults.

mod display;
mod keyvalue;
mod params;
mod uri;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::db::env::{Environment, ProcessEnvironment};
use params::RawParams;

/// How long to wait for a connection when neither the connection string nor
/// `PGCONNECT_TIMEOUT` says: long enough for a slow network, short enough that
/// `optischema doctor` answers before the user gives up.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// libpq's default port.
pub const DEFAULT_PORT: u16 = 5432;

/// The socket directory Debian and Ubuntu packages use, libpq's default there.
pub const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

/// Variables that name a server to connect to. If none of them (nor
/// `DATABASE_URL`) is set, the user has not configured a database; variables
/// that only tune a connection (`PGSSLMODE`, `PGAPPNAME`, …) do not count.
const TARGET_VARIABLES: &[&str] = &["PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"];

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A host name or IP address, reached over TCP.
    Tcp(String),
    /// The directory holding the server's Unix-domain socket.
    Unix(PathBuf),
}

/// libpq's `sslmode`: how much TLS to insist on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never use TLS.
    Disable,
    /// Use TLS if the server insists. We treat it like `Prefer`: tokio-postgres
    /// cannot try plain text first.
    Allow,
    /// Use TLS when the server offers it, without verifying the certificate.
    Prefer,
    /// Always use TLS; verify the certificate only if a root certificate is
    /// available (as libpq does).
    Require,
    /// Always use TLS and verify the certificate chain, not the host name.
    VerifyCa,
    /// Always use TLS and verify the certificate chain and the host name.
    VerifyFull,
}

impl SslMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SslMode {
    type Err = ();

    fn from_str(value: &str) -> Result<Self, ()> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return Err(()),
        })
    }
}

/// Which certificate authorities to trust (libpq's `sslrootcert`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCert {
    /// A PEM file of CA certificates.
    File(PathBuf),
    /// The operating system's trust store (`sslrootcert=system`).
    System,
}

/// Where a bad value came from, so an error can point at the right place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    ConnectionString,
    Variable(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::ConnectionString => f.write_str("in the connection string"),
            Origin::Variable(name) => write!(f, "in the environment variable {name}"),
        }
    }
}

/// A connection string or environment that cannot be used. Messages name the
/// problem and never contain the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("unsupported connection URI scheme{}: use postgresql:// or postgres://", quoted(.scheme))]
    UnsupportedScheme { scheme: Option<String> },
    #[error(
        "invalid percent-encoding in the {component} of the connection URI \
         (`%` must be followed by two hex digits other than 00; write a literal `%` as `%25`)"
    )]
    InvalidPercentEncoding { component: &'static str },
    #[error("the {component} of the connection URI is not valid UTF-8 after percent-decoding")]
    InvalidUtf8 { component: &'static str },
    #[error("invalid IPv6 host in the connection URI: write it as [address] or [address]:port")]
    InvalidIpv6Host,
    #[error(
        "missing `=` after the word at character {position} of the connection string \
         (settings are keyword=value; quote values containing spaces: password='…')"
    )]
    MissingEquals { position: usize },
    #[error("connection URI parameter{} has no value (write name=value)", quoted(.keyword))]
    MissingValue { keyword: Option<String> },
    #[error("unterminated quoted value for{} in the connection string", quoted_or(.keyword, " a setting"))]
    UnterminatedQuote { keyword: Option<String> },
    #[error(
        "unknown connection parameter{} (quote values containing spaces: password='…')",
        quoted(.keyword)
    )]
    UnknownParameter { keyword: Option<String> },
    #[error("the value of{} contains a NUL character", quoted_or(.keyword, " a setting"))]
    NulCharacter { keyword: Option<String> },
    #[error(
        "invalid port{} {origin}: expected a number from 1 to 65535 \
         (in a URI, percent-encode `@`, `:`, `/` and `?` in the password)",
        quoted(.value)
    )]
    InvalidPort {
        value: Option<String>,
        origin: Origin,
    },
    #[error(
        "invalid sslmode{} {origin}: expected disable, allow, prefer, require, verify-ca or verify-full",
        quoted(.value)
    )]
    InvalidSslMode {
        value: Option<String>,
        origin: Origin,
    },
    #[error("invalid connect_timeout{} {origin}: expected a whole number of seconds", quoted(.value))]
    InvalidConnectTimeout {
        value: Option<String>,
        origin: Origin,
    },
    #[error(
        "could not determine the user name: put it in the connection URL \
         (postgresql://USER@host/db) or set PGUSER"
    )]
    MissingUser,
    #[error(
        "sslmode={sslmode} is weaker than sslrootcert=system allows: \
         use sslmode=verify-full or leave sslmode unset"
    )]
    WeakSslModeWithSystemRoots { sslmode: SslMode },
}

impl ParseError {
    pub(crate) fn unknown_parameter(keyword: &str) -> Self {
        ParseError::UnknownParameter {
            keyword: printable_keyword(keyword),
        }
    }
}

fn quoted(value: &Option<String>) -> String {
    quoted_or(value, "")
}

fn quoted_or(value: &Option<String>, fallback: &str) -> String {
    match value {
        Some(value) => format!(" `{value}`"),
        None => fallback.to_owned(),
    }
}

/// `text` if it looks like a libpq keyword (or scheme, or setting value such
/// as an sslmode) and is therefore safe to show in an error. Anything else might
/// be a fragment of a password that a user forgot to quote or encode.
pub(crate) fn printable_keyword(text: &str) -> Option<String> {
    let plausible = !text.is_empty()
        && text.len() <= 40
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '-' || c == '+' || c == '.');
    plausible.then(|| text.to_owned())
}

/// Everything needed to open a connection, with every gap filled.
///
/// `Display` and `Debug` never show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnSpec {
    pub host: Host,
    pub port: u16,
    pub user: String,
    pub dbname: String,
    password: Option<String>,
    pub sslmode: SslMode,
    /// Trusted CAs; `None` means the platform's roots for the verifying modes,
    /// and no verification for `require`.
    pub sslrootcert: Option<RootCert>,
    /// The user's explicit `application_name`, which wins over ours.
    pub application_name: Option<String>,
    /// `None` means wait indefinitely (`connect_timeout=0`, as in libpq).
    pub connect_timeout: Option<Duration>,
    /// Extra server command-line options (`options` / `PGOPTIONS`), e.g. `-c search_path=app`.
    pub options: Option<String>,
    /// The password file to consult when no password is given.
    pub passfile: Option<PathBuf>,
}

impl ConnSpec {
    /// Parses a libpq URI or key/value string, filling gaps from the process
    /// environment and libpq's defaults.
    pub fn parse(input: &str) -> Result<ConnSpec, ParseError> {
        ConnSpec::parse_in(input, &ProcessEnvironment)
    }

    /// Like [`ConnSpec::parse`], with an explicit environment.
    pub fn parse_in(input: &str, env: &dyn Environment) -> Result<ConnSpec, ParseError> {
        let raw = if uri::looks_like_uri(input) {
            uri::parse(input)?
        } else {
            keyvalue::parse(input)?
        };
        resolve(raw, env)
    }

    /// The connection to use when none is configured explicitly:
    /// `DATABASE_URL` (with `PG*` variables filling its gaps), else the `PG*`
    /// variables alone. `Ok(None)` when neither is set, so callers can say
    /// "no database configured" instead of trying `localhost`.
    pub fn from_environment() -> Result<Option<ConnSpec>, ParseError> {
        ConnSpec::from_environment_in(&ProcessEnvironment)
    }

    /// Like [`ConnSpec::from_environment`], with an explicit environment.
    pub fn from_environment_in(env: &dyn Environment) -> Result<Option<ConnSpec>, ParseError> {
        if let Some(url) = env.var("DATABASE_URL").filter(|url| !url.trim().is_empty()) {
            return ConnSpec::parse_in(&url, env).map(Some);
        }
        let configured = TARGET_VARIABLES
            .iter()
            .any(|name| env.var(name).is_some_and(|value| !value.is_empty()));
        if !configured {
            return Ok(None);
        }
        resolve(RawParams::default(), env).map(Some)
    }

    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    pub fn set_password(&mut self, password: Option<String>) {
        self.password = password.filter(|password| !password.is_empty());
    }

    /// The connection as a `postgresql://` URI with the password replaced by
    /// `***`; safe for logs, errors and `doctor` output.
    pub fn redacted(&self) -> String {
        display::redacted_uri(self)
    }

    /// The host as libpq's password file and messages name it.
    pub fn host_name(&self) -> String {
        match &self.host {
            Host::Tcp(name) => name.clone(),
            Host::Unix(dir) => dir.display().to_string(),
        }
    }
}

impl FromStr for ConnSpec {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<Self, ParseError> {
        ConnSpec::parse(input)
    }
}

impl fmt::Display for ConnSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for ConnSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnSpec")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("dbname", &self.dbname)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("sslmode", &self.sslmode)
            .field("sslrootcert", &self.sslrootcert)
            .field("application_name", &self.application_name)
            .field("connect_timeout", &self.connect_timeout)
            .field("options", &self.options)
            .field("passfile", &self.passfile)
            .finish()
    }
}

/// Fills what the connection string left out from the environment, then from
/// libpq's defaults, and checks the values.
fn resolve(raw: RawParams, env: &dyn Environment) -> Result<ConnSpec, ParseError> {
    let pick = |given: Option<String>, variable: &'static str| -> Option<(String, Origin)> {
        given
            .map(|value| (value, Origin::ConnectionString))
            .or_else(|| {
                env.var(variable)
                    .filter(|value| !value.is_empty())
                    .map(|value| (value, Origin::Variable(variable)))
            })
    };

    let host = match pick(raw.host, "PGHOST") {
        Some((hosts, _)) => first_of_list(&hosts, "host").map(host_from_text),
        None => None,
    }
    .unwrap_or_else(|| default_host(env));

    let port = match pick(raw.port, "PGPORT") {
        Some((ports, origin)) => match first_of_list(&ports, "port") {
            Some(port) => parse_port(&port, origin)?,
            None => DEFAULT_PORT,
        },
        None => DEFAULT_PORT,
    };

    let user = match pick(raw.user, "PGUSER") {
        Some((user, _)) => user,
        None => env.os_user().ok_or(ParseError::MissingUser)?,
    };
    let dbname = pick(raw.dbname, "PGDATABASE").map_or_else(|| user.clone(), |(name, _)| name);
    let password = pick(raw.password, "PGPASSWORD").map(|(password, _)| password);

    let sslrootcert = match pick(raw.sslrootcert, "PGSSLROOTCERT") {
        Some((text, _)) if text == "system" => Some(RootCert::System),
        Some((path, _)) => Some(RootCert::File(PathBuf::from(path))),
        None => env
            .home_dir()
            .map(|home| home.join(".postgresql").join("root.crt"))
            .filter(|path| env.is_file(path))
            .map(RootCert::File),
    };
    let sslmode = match pick(raw.sslmode, "PGSSLMODE") {
        Some((text, origin)) => {
            let mode = text.parse().map_err(|()| ParseError::InvalidSslMode {
                value: printable_keyword(&text),
                origin,
            })?;
            if sslrootcert == Some(RootCert::System) && mode != SslMode::VerifyFull {
                return Err(ParseError::WeakSslModeWithSystemRoots { sslmode: mode });
            }
            mode
        }
        // libpq: trusting the system store only makes sense with host name checks.
        None if sslrootcert == Some(RootCert::System) => SslMode::VerifyFull,
        None => SslMode::Prefer,
    };

    let connect_timeout = match pick(raw.connect_timeout, "PGCONNECT_TIMEOUT") {
        Some((text, origin)) => parse_connect_timeout(&text, origin)?,
        None => Some(DEFAULT_CONNECT_TIMEOUT),
    };

    let passfile = pick(raw.passfile, "PGPASSFILE")
        .map(|(path, _)| PathBuf::from(path))
        .or_else(|| env.home_dir().map(|home| home.join(".pgpass")));

    Ok(ConnSpec {
        host,
        port,
        user,
        dbname,
        password,
        sslmode,
        sslrootcert,
        application_name: pick(raw.application_name, "PGAPPNAME").map(|(name, _)| name),
        connect_timeout,
        options: pick(raw.options, "PGOPTIONS").map(|(options, _)| options),
        passfile,
    })
}

/// libpq accepts lists of hosts and ports for fail-over; we connect to the
/// first only, and say so.
fn first_of_list(list: &str, what: &'static str) -> Option<String> {
    let mut items = list.split(',');
    let first = items.next().unwrap_or_default();
    if items.next().is_some() {
        tracing::warn!("the connection string lists several {what}s; only the first is used");
    }
    Some(first.trim().to_owned()).filter(|first| !first.is_empty())
}

fn host_from_text(host: String) -> Host {
    if host.starts_with('/') {
        Host::Unix(PathBuf::from(host))
    } else {
        Host::Tcp(host)
    }
}

fn default_host(env: &dyn Environment) -> Host {
    let socket_dir = PathBuf::from(DEFAULT_SOCKET_DIR);
    if env.is_dir(&socket_dir) {
        Host::Unix(socket_dir)
    } else {
        Host::Tcp("localhost".to_owned())
    }
}

fn parse_port(text: &str, origin: Origin) -> Result<u16, ParseError> {
    match text.parse::<u16>() {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(ParseError::InvalidPort {
            // Only digits are shown: anything else may be a misplaced password.
            value: text
                .chars()
                .all(|c| c.is_ascii_digit())
                .then(|| text.chars().take(20).collect()),
            origin,
        }),
    }
}

/// libpq semantics: zero or negative waits forever; 1 is raised to 2 seconds.
fn parse_connect_timeout(text: &str, origin: Origin) -> Result<Option<Duration>, ParseError> {
    let seconds: i64 = text
        .trim()
        .parse()
        .map_err(|_| ParseError::InvalidConnectTimeout {
            value: text
                .chars()
                .all(|c| c.is_ascii_digit() || c == '-' || c == '.')
                .then(|| text.chars().take(20).collect()),
            origin,
        })?;
    Ok(match seconds {
        ..=0 => None,
        1 => Some(Duration::from_secs(2)),
        seconds => Some(Duration::from_secs(seconds.unsigned_abs())),
    })
}

#[cfg(test)]
mod tests;
