//! The statements `doctor` sends besides those of the statistics source
//! (`queries/session/…`) and the planner (`queries/plan/…`), which it reuses.
//! Each is a file in `queries/doctor/`, embedded unchanged, so what runs
//! can be read there.

pub use crate::queries::Sql;
use crate::queries::query_file;

/// Server version, database, read-only flag, application_name, TLS.
pub const SESSION: Sql = query_file!("doctor/session.sql");
/// Packages and installed versions of pg_stat_statements and HypoPG.
pub const AVAILABLE_EXTENSIONS: Sql = query_file!("doctor/available_extensions.sql");
/// `BEGIN; CREATE TEMPORARY TABLE …; CREATE INDEX …; ROLLBACK;` (sandbox).
pub const SANDBOX_PROBE: Sql = query_file!("doctor/sandbox_probe.sql");
/// How many user tables the sandbox role owns (CREATE INDEX needs it).
pub const SANDBOX_OWNERSHIP: Sql = query_file!("doctor/sandbox_ownership.sql");

/// Ends the probe's transaction when one of its statements failed.
pub const ROLLBACK: &str = "ROLLBACK";
