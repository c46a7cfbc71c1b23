//! The statements `doctor` sends besides those of the statistics source
//! (`queries/session/…`) and the planner (`queries/plan/…`), which it reuses.
//! Each is a file in `queries/doctor/`, embedded unchanged, so what runs
//! can be read there.

/// One embedded statement and the file it came from (for error messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sql {
    pub file: &'static str,
    pub text: &'static str,
}

macro_rules! doctor_file {
    ($name:literal) => {
        Sql {
            file: concat!("queries/doctor/", $name),
            text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/queries/doctor/", $name)),
        }
    };
}

/// Server version, database, read-only flag, application_name, TLS.
pub const SESSION: Sql = doctor_file!("session.sql");
/// Packages and installed versions of pg_stat_statements and HypoPG.
pub const AVAILABLE_EXTENSIONS: Sql = doctor_file!("available_extensions.sql");
/// `BEGIN; CREATE TEMPORARY TABLE …; CREATE INDEX …; ROLLBACK;` (sandbox).
pub const SANDBOX_PROBE: Sql = doctor_file!("sandbox_probe.sql");
/// How many user tables the sandbox role owns (CREATE INDEX needs it).
pub const SANDBOX_OWNERSHIP: Sql = doctor_file!("sandbox_ownership.sql");

/// Ends the probe's transaction when one of its statements failed.
pub const ROLLBACK: &str = "ROLLBACK";
