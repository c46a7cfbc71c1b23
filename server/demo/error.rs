//! Why the demo stopped, in words that say what to do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "PostgreSQL server programs (initdb, pg_ctl) not found{searched}. Install them — \
         Debian/Ubuntu: `sudo apt-get install postgresql postgresql-contrib` (and \
         `postgresql-<major>-hypopg` for index suggestions, e.g. postgresql-15-hypopg); \
         Fedora/RHEL: `sudo dnf install postgresql-server postgresql-contrib`; macOS: \
         `brew install postgresql` — or set OPTISCHEMA_PG_BIN to the directory holding initdb \
         and pg_ctl"
    )]
    BinariesMissing { searched: String },

    #[error(
        "pg_stat_statements is missing from the PostgreSQL installation in {bindir}: install \
         the contrib modules (Debian/Ubuntu: postgresql-contrib; Fedora/RHEL: postgresql-contrib)"
    )]
    ContribMissing { bindir: PathBuf },

    #[error(
        "running as root, and initdb refuses to run as root: the demo runs the server as the \
         `postgres` user, which {reason}. Run the demo as a regular user, or create the user \
         (`sudo adduser --system --group postgres`)"
    )]
    NoPostgresUser { reason: String },

    #[error("{step} failed: {detail}")]
    Command { step: String, detail: String },

    #[error("the examples directory was not found: {detail}")]
    ExamplesMissing { detail: String },

    #[error("{path}: {detail}")]
    Examples { path: PathBuf, detail: String },

    #[error("{0}")]
    Database(String),

    #[error("{0}")]
    Io(String),
}

impl DemoError {
    pub fn command(step: impl Into<String>, detail: impl Into<String>) -> DemoError {
        DemoError::Command {
            step: step.into(),
            detail: detail.into(),
        }
    }

    pub fn examples(path: impl Into<PathBuf>, detail: impl Into<String>) -> DemoError {
        DemoError::Examples {
            path: path.into(),
            detail: detail.into(),
        }
    }
}
