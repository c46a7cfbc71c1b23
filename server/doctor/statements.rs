//! pg_stat_statements: loaded, installed, recording, visible to our role,
//! and how much it holds. Reuses the statistics source's own queries
//! (`queries/session/facts.sql`, `extension.sql`), so the doctor sees what
//! the language server will see.

use std::collections::HashMap;

use tokio_postgres::Client;

use super::CHECK_TIMEOUT;
use super::connection::{Connected, timed_out};
use super::report::{CheckLine, Report};
use super::session::failed;
use super::sql;
use crate::db::ConnSpec;
use crate::stats::source::StatsSource;
use crate::stats::source::sql::{EXTENSION, FACTS};

const CHECK: &str = "pg_stat_statements";

/// What the server offers per extension: (default version, version
/// installed in this database).
pub type Available = HashMap<String, (Option<String>, Option<String>)>;

/// Packages of pg_stat_statements and HypoPG on the server.
pub async fn available_extensions(client: &Client) -> Result<Available, String> {
    let rows = client
        .query(sql::AVAILABLE_EXTENSIONS.text, &[])
        .await
        .map_err(|error| failed(sql::AVAILABLE_EXTENSIONS.file, &error))?;
    rows.iter()
        .map(|row| {
            let get = |name| -> Result<Option<String>, String> {
                row.try_get(name)
                    .map_err(|error| failed(sql::AVAILABLE_EXTENSIONS.file, &error))
            };
            let name: String = get("name")?.unwrap_or_default();
            Ok((name, (get("default_version")?, get("installed_version")?)))
        })
        .collect()
}

/// From `queries/session/facts.sql`.
struct Facts {
    database: String,
    role: String,
    superuser: bool,
    reads_all_stats: bool,
    compute_query_id: Option<String>,
    track: Option<String>,
}

async fn read_facts(client: &Client) -> Result<Facts, String> {
    let row = client
        .query_one(FACTS.text, &[])
        .await
        .map_err(|error| failed(FACTS.file, &error))?;
    let wrap = |error: tokio_postgres::Error| failed(FACTS.file, &error);
    Ok(Facts {
        database: row.try_get("database").map_err(wrap)?,
        role: row.try_get("role").map_err(wrap)?,
        superuser: row.try_get("is_superuser").map_err(wrap)?,
        reads_all_stats: row.try_get("reads_all_stats").map_err(wrap)?,
        compute_query_id: row.try_get("compute_query_id").map_err(wrap)?,
        track: row.try_get("track").map_err(wrap)?,
    })
}

/// `(version, schema)` of the installed extension, if any.
async fn installed(client: &Client) -> Result<Option<(String, String)>, String> {
    let row = client
        .query_opt(EXTENSION.text, &[])
        .await
        .map_err(|error| failed(EXTENSION.file, &error))?;
    row.map(|row| {
        let wrap = |error: tokio_postgres::Error| failed(EXTENSION.file, &error);
        Ok((
            row.try_get("version").map_err(wrap)?,
            row.try_get("schema").map_err(wrap)?,
        ))
    })
    .transpose()
}

/// Every pg_stat_statements check; `available` comes from
/// [`available_extensions`] (empty when it could not be read).
pub async fn check(
    spec: &ConnSpec,
    connected: &Connected,
    available: &Available,
    report: &mut Report<'_>,
) {
    let client = &connected.client;
    let read = async { Ok::<_, String>((read_facts(client).await?, installed(client).await?)) };
    let (facts, extension) = match tokio::time::timeout(CHECK_TIMEOUT, read).await {
        Ok(Ok(found)) => found,
        Ok(Err(message)) => {
            report.push(CheckLine::fail(
                CHECK,
                message,
                "check that the role may read pg_catalog",
            ));
            return;
        }
        Err(_) => {
            report.push(timed_out(CHECK));
            return;
        }
    };
    let major = connected.info.major_version();
    let preloaded = facts.track.is_some();
    report.push(preload_line(preloaded, available, &major));
    let installed = extension.is_some();
    report.push(installed_line(&facts.database, extension));
    if preloaded {
        report.push(track_line(facts.track.as_deref().unwrap_or("")));
    }
    report.push(query_id_line(
        connected.info.server_version_num,
        facts.compute_query_id.as_deref(),
    ));
    report.push(privileges_line(&facts));
    if preloaded && installed {
        report.push(held_line(spec, &facts).await);
    }
}

fn preload_line(preloaded: bool, available: &Available, major: &str) -> CheckLine {
    if preloaded {
        return CheckLine::pass(CHECK, "loaded (shared_preload_libraries)");
    }
    let package = if available.contains_key("pg_stat_statements") {
        String::new()
    } else {
        format!(
            "install the server's contrib modules (Debian/Ubuntu: part of postgresql-{major}; \
             RPM: postgresql{major}-contrib), then "
        )
    };
    CheckLine::fail(
        CHECK,
        "the library is not loaded, so nothing is recorded",
        format!(
            "{package}add pg_stat_statements to shared_preload_libraries in postgresql.conf \
             (keep libraries already listed, comma-separated) and restart PostgreSQL"
        ),
    )
}

fn installed_line(database: &str, extension: Option<(String, String)>) -> CheckLine {
    match extension {
        Some((version, schema)) => CheckLine::pass(
            CHECK,
            format!(
                "extension version {version} installed in database \"{database}\" (schema {schema})"
            ),
        ),
        None => CheckLine::fail(
            CHECK,
            format!("the extension is not installed in database \"{database}\""),
            format!(
                "run `CREATE EXTENSION pg_stat_statements;` in database {database} \
                 (as a superuser or the database owner)"
            ),
        ),
    }
}

fn track_line(track: &str) -> CheckLine {
    if track.eq_ignore_ascii_case("none") {
        CheckLine::fail(
            CHECK,
            "pg_stat_statements.track = none: nothing is recorded",
            "`ALTER SYSTEM SET pg_stat_statements.track = 'top'; SELECT pg_reload_conf();`",
        )
    } else {
        CheckLine::pass(
            CHECK,
            format!("recording: pg_stat_statements.track = {track}"),
        )
    }
}

fn query_id_line(server_version_num: i32, compute_query_id: Option<&str>) -> CheckLine {
    const CHECK: &str = "query ids";
    if server_version_num < 140_000 {
        return CheckLine::pass(
            CHECK,
            "PostgreSQL 13 and older: statements are matched by fingerprint only",
        );
    }
    match compute_query_id {
        Some(value) if value.eq_ignore_ascii_case("off") => CheckLine::fail(
            CHECK,
            "compute_query_id = off: pg_stat_statements records nothing",
            "`ALTER SYSTEM SET compute_query_id = 'auto'; SELECT pg_reload_conf();`",
        ),
        Some(value) => CheckLine::pass(
            CHECK,
            format!("compute_query_id = {value} (statements also match by query identifier)"),
        ),
        None => CheckLine::pass(CHECK, "compute_query_id is not reported by this server"),
    }
}

fn privileges_line(facts: &Facts) -> CheckLine {
    const CHECK: &str = "privileges";
    if facts.superuser {
        CheckLine::pass(
            CHECK,
            format!(
                "role {} is a superuser (sees every role's statements)",
                facts.role
            ),
        )
    } else if facts.reads_all_stats {
        CheckLine::pass(
            CHECK,
            format!(
                "role {} has pg_read_all_stats (sees every role's statements)",
                facts.role
            ),
        )
    } else {
        CheckLine::warn(
            CHECK,
            format!(
                "role {} sees only its own statements: other roles' texts and numbers are hidden",
                facts.role
            ),
            format!(
                "`GRANT pg_read_all_stats TO {};` (as a superuser)",
                facts.role
            ),
        )
    }
}

/// Reads pg_stat_statements the way the collector does and counts entries.
async fn held_line(spec: &ConnSpec, facts: &Facts) -> CheckLine {
    let read = async {
        let source = StatsSource::connect(spec).await?;
        source.entries().await
    };
    match tokio::time::timeout(CHECK_TIMEOUT, read).await {
        Ok(Ok(entries)) if entries.is_empty() => CheckLine::warn(
            CHECK,
            format!(
                "no statements recorded for database \"{}\" yet",
                facts.database
            ),
            "run the application (or its tests) against this database, then check again",
        ),
        Ok(Ok(entries)) => CheckLine::pass(
            CHECK,
            format!(
                "holds {} statement(s) for database \"{}\"",
                entries.len(),
                facts.database
            ),
        ),
        Ok(Err(error)) => CheckLine::fail(
            CHECK,
            format!("reading it failed: {error}"),
            "see the message; the statements OptiSchema sends are in queries/",
        ),
        Err(_) => timed_out(CHECK),
    }
}
