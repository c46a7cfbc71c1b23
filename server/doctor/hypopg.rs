//! HypoPG in the monitored database: without it, index candidates can only
//! be judged in a sandbox. Optional, so a missing HypoPG is a warning.

use super::CHECK_TIMEOUT;
use super::connection::Connected;
use super::report::{CheckLine, Report};
use super::statements::Available;
use crate::plan::hypopg_available;

const CHECK: &str = "HypoPG";

pub async fn check(connected: &Connected, available: &Available, report: &mut Report<'_>) {
    let database = &connected.info.database;
    let usable =
        match tokio::time::timeout(CHECK_TIMEOUT, hypopg_available(&connected.client)).await {
            Ok(Ok(usable)) => usable,
            Ok(Err(error)) => {
                report.push(CheckLine::warn(
                    CHECK,
                    format!("cannot tell whether HypoPG is installed: {error}"),
                    "check that the role may read pg_catalog",
                ));
                return;
            }
            Err(_) => {
                report.push(super::connection::timed_out(CHECK));
                return;
            }
        };
    let (package, installed) = match available.get("hypopg") {
        Some((default, installed)) => (default.clone(), installed.clone()),
        None => (None, None),
    };
    let line = match (usable, installed, package) {
        (true, installed, _) => CheckLine::pass(
            CHECK,
            format!(
                "version {} installed in database \"{database}\": index candidates get \
                 planner estimates without building anything",
                installed.as_deref().unwrap_or("?")
            ),
        ),
        (false, Some(version), _) => CheckLine::warn(
            CHECK,
            format!(
                "version {version} is installed in database \"{database}\" but its functions \
                 are not on this role's search_path"
            ),
            "put HypoPG's schema on the role's search_path \
             (`ALTER ROLE … SET search_path = …`), or reinstall it in a schema on it",
        ),
        (false, None, Some(_)) => CheckLine::warn(
            CHECK,
            format!(
                "not installed in database \"{database}\" (the server has the package): \
                 index suggestions need HypoPG or a sandbox"
            ),
            format!("run `CREATE EXTENSION hypopg;` in database {database}"),
        ),
        (false, None, None) => CheckLine::warn(
            CHECK,
            format!(
                "not available on the server: index suggestions need HypoPG in database \
                 \"{database}\" or a sandbox"
            ),
            format!(
                "install the package postgresql-{}-hypopg on the database server \
                 (Debian/Ubuntu, from apt.postgresql.org), then run `CREATE EXTENSION hypopg;` \
                 in database {database}",
                connected.info.major_version()
            ),
        ),
    };
    report.push(line);
}
