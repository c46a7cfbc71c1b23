//! Problems that do not stop reading statistics but make them incomplete.

use std::fmt;

/// A non-fatal problem found when the source opened; `Display` names the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceWarning {
    /// Neither superuser nor holding pg_read_all_stats: pg_stat_statements
    /// hides other roles' statements (their queryid reads as NULL).
    OtherRolesHidden {
        /// The role, already quoted as an SQL identifier where needed.
        role: String,
    },
    /// PostgreSQL 14+ with `compute_query_id = off`: statements get no query
    /// identifier, so pg_stat_statements records nothing.
    QueryIdOff,
    /// `pg_stat_statements.track = none`: nothing is recorded.
    TrackingOff,
    /// `pg_control_system()` could not be called, so the database identity
    /// (which keys the trend history) comes from the server's address.
    IdentityFromAddress {
        role: String,
        /// The server's reason, e.g. "permission denied for function …".
        reason: String,
    },
}

impl fmt::Display for SourceWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceWarning::OtherRolesHidden { role } => write!(
                f,
                "statements of other users are hidden: `GRANT pg_read_all_stats TO {role};`"
            ),
            SourceWarning::QueryIdOff => f.write_str(
                "compute_query_id is off, so pg_stat_statements records nothing: \
                 `ALTER SYSTEM SET compute_query_id = 'auto'; SELECT pg_reload_conf();`",
            ),
            SourceWarning::TrackingOff => f.write_str(
                "pg_stat_statements.track is none, so nothing is recorded: \
                 `ALTER SYSTEM SET pg_stat_statements.track = 'top'; SELECT pg_reload_conf();`",
            ),
            SourceWarning::IdentityFromAddress { role, reason } => write!(
                f,
                "cannot read the cluster's system identifier ({reason}); statistics history is \
                 keyed by the server's address and port instead and starts over if they change: \
                 `GRANT EXECUTE ON FUNCTION pg_control_system() TO {role};`"
            ),
        }
    }
}
