//! Connecting to PostgreSQL: connection settings and sessions.
//!
//! - [`conninfo`]: libpq connection strings (URI and key/value), the `PG*`
//!   environment variables and libpq's defaults, resolved into a [`ConnSpec`]
//!   whose `Display`/`Debug` never show the password.
//! - [`pgpass`]: the password file (`~/.pgpass`, `PGPASSFILE`).
//! - [`tls`]: `sslmode` over rustls.
//! - [`error_text`]: words for tokio-postgres errors.
//! - [`session`]: [`connect`], which opens a session configured for its
//!   [`SessionPurpose`] (read-only monitoring, or the sandbox).
//!
//! Everything that reads the environment takes an [`Environment`] so tests and
//! callers can supply their own.

mod connect_error;
pub mod conninfo;
pub mod env;
pub mod error_text;
pub mod pgpass;
pub mod session;
pub mod tls;

pub use conninfo::{ConnSpec, Host, ParseError, RootCert, SslMode};
pub use env::{Environment, MapEnvironment, ProcessEnvironment};
pub use session::{ConnectError, PasswordSource, SessionPurpose, connect};
