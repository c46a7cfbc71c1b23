//! `optischema doctor`: checks what the language server needs — settings,
//! connection, read-only session, pg_stat_statements, privileges, HypoPG,
//! the sandbox, AI settings, the history directory — and says how to fix
//! each problem.
//!
//! Every check reports a [`CheckLine`]; a failed one makes the run fail
//! (exit 1), a warning does not. Each database round trip is bounded by
//! [`CHECK_TIMEOUT`], so a stalled server cannot hang the doctor. Nothing
//! is written to the monitored database; the sandbox probe runs in a
//! transaction that is rolled back.

mod ai;
mod connection;
mod history;
mod hypopg;
pub mod report;
mod sandbox;
mod session;
mod settings;
mod sql;
mod statements;

use std::path::PathBuf;
use std::time::Duration;

pub use report::{CheckLine, LineSink, Report, Status};

use crate::db::Environment;

/// The longest any one check may take.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct DoctorOptions {
    /// `--database`: beats `database.url` and the environment.
    pub database: Option<String>,
    /// `--sandbox`: beats `sandbox.url`.
    pub sandbox: Option<String>,
    /// `--config`: instead of `optischema.toml` in `cwd`.
    pub config: Option<PathBuf>,
    /// Where to look for `optischema.toml`.
    pub cwd: PathBuf,
}

/// Runs every check in order; lines reach `report`'s sink as they finish.
pub async fn diagnose(options: &DoctorOptions, env: &dyn Environment, report: &mut Report<'_>) {
    let settings = settings::load_settings(options.config.as_deref(), &options.cwd, report);
    let monitored_spec =
        settings::monitored_database(options.database.as_deref(), &settings, env, report);

    let mut monitored_info = None;
    if let Some(spec) = &monitored_spec
        && let Some(connected) = connection::check_monitored(spec, report).await
    {
        let available = match tokio::time::timeout(
            CHECK_TIMEOUT,
            statements::available_extensions(&connected.client),
        )
        .await
        {
            Ok(Ok(available)) => available,
            // The fixes then name packages generically; nothing else depends on it.
            Ok(Err(_)) | Err(_) => statements::Available::new(),
        };
        statements::check(spec, &connected, &available, report).await;
        hypopg::check(&connected, &available, report).await;
        monitored_info = Some(connected.info);
    }

    if let Some(sandbox_spec) =
        settings::sandbox_database(options.sandbox.as_deref(), &settings, env, report)
    {
        let monitored = monitored_spec.as_ref().map(|spec| sandbox::Monitored {
            spec,
            info: monitored_info.as_ref(),
        });
        sandbox::check(&sandbox_spec, monitored, report).await;
    }

    ai::check(&settings.ai, env, report);
    history::check(settings.history_dir.as_deref(), report);
}

/// The current directory, for `DoctorOptions::cwd`.
pub fn current_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}
