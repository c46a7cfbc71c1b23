//! Logs go to stderr through `tracing`: stdout carries the LSP protocol.

use tracing_subscriber::EnvFilter;

/// Environment variable with a `tracing` filter, e.g. `optischema=debug`.
pub const LOG_ENV: &str = "OPTISCHEMA_LOG";

pub fn init() {
    let filter = EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
