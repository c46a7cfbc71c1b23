//! The sandbox: reachable, able to build an index inside a rolled-back
//! transaction, owning the tables it must index, and — above all — not the
//! monitored database, since validation runs DDL and executes statements.

use tokio_postgres::Client;

use super::CHECK_TIMEOUT;
use super::connection::{connect, timed_out};
use super::report::{CheckLine, Report};
use super::session::{SessionInfo, failed};
use super::sql;
use crate::db::error_text;
use crate::db::{ConnSpec, SessionPurpose};

const CHECK: &str = "sandbox";

/// The monitored side, for the identity comparison.
pub struct Monitored<'a> {
    pub spec: &'a ConnSpec,
    /// `None` when the monitored database could not be reached.
    pub info: Option<&'a SessionInfo>,
}

pub async fn check(spec: &ConnSpec, monitored: Option<Monitored<'_>>, report: &mut Report<'_>) {
    let Some(client) = connect(spec, SessionPurpose::sandbox(), CHECK, report).await else {
        return;
    };
    let info = match tokio::time::timeout(CHECK_TIMEOUT, SessionInfo::read(&client)).await {
        Ok(Ok(info)) => info,
        Ok(Err(message)) => {
            report.push(CheckLine::fail(
                CHECK,
                message,
                "check that the sandbox role may read pg_catalog",
            ));
            return;
        }
        Err(_) => {
            report.push(timed_out(CHECK));
            return;
        }
    };
    report.push(CheckLine::pass(
        CHECK,
        format!(
            "connected: PostgreSQL {}, database \"{}\"",
            info.server_version, info.database
        ),
    ));
    if let Some(monitored) = &monitored {
        report.push(identity_line(spec, &info, monitored));
    }
    report.push(probe_line(&client).await);
    report.push(ownership_line(&client).await);
}

/// Whether the sandbox is the monitored database: the cluster's system
/// identifier and the database name, else the address when the identifier
/// is refused.
fn identity_line(spec: &ConnSpec, info: &SessionInfo, monitored: &Monitored) -> CheckLine {
    let same_address = spec.host == monitored.spec.host && spec.port == monitored.spec.port;
    let (same_cluster, how) = match (
        &info.system_identifier,
        monitored.info.and_then(|m| m.system_identifier.as_ref()),
    ) {
        (Some(sandbox), Some(watched)) => (sandbox == watched, "system identifier"),
        _ => (
            same_address,
            "host and port (the system identifier is not readable)",
        ),
    };
    let monitored_database = monitored
        .info
        .map_or(monitored.spec.dbname.as_str(), |m| m.database.as_str());
    if same_cluster && info.database == monitored_database {
        return CheckLine::warn(
            CHECK,
            format!(
                "THE SANDBOX IS THE MONITORED DATABASE (same {how}, database \"{}\"): \
                 validation creates indexes and executes statements there — inside \
                 rolled-back transactions, but with their locks and load",
                info.database
            ),
            "point sandbox.url at a separate copy: another server restored from a backup, \
             or at least another database (createdb -T, pg_dump | psql)",
        );
    }
    if same_cluster {
        CheckLine::pass(
            CHECK,
            format!(
                "a different database (\"{}\") than the monitored one, on the same server \
                 (validation load runs on that server)",
                info.database
            ),
        )
    } else {
        CheckLine::pass(
            CHECK,
            format!("a different server than the monitored database (compared by {how})"),
        )
    }
}

/// `BEGIN; CREATE TEMPORARY TABLE …; CREATE INDEX …; ROLLBACK;`
async fn probe_line(client: &Client) -> CheckLine {
    match tokio::time::timeout(CHECK_TIMEOUT, client.batch_execute(sql::SANDBOX_PROBE.text)).await {
        Ok(Ok(())) => CheckLine::pass(
            CHECK,
            "can create an index inside a transaction that is rolled back",
        ),
        Ok(Err(error)) => {
            // A failed statement leaves the transaction open and aborted.
            let _ = client.batch_execute(sql::ROLLBACK).await;
            let detail = error_text::message(&error);
            let fix = if detail.contains("read-only") {
                "the sandbox must be writable: use a primary (not a replica) and a role \
                 without default_transaction_read_only"
            } else if detail.contains("permission denied") {
                "`GRANT TEMPORARY ON DATABASE … TO …;` or use a role that may create tables \
                 and indexes in the sandbox database"
            } else {
                "use a role that may create tables and indexes in the sandbox database"
            };
            CheckLine::fail(
                CHECK,
                format!("cannot create an index in a rolled-back transaction: {detail}"),
                fix,
            )
        }
        Err(_) => timed_out(CHECK),
    }
}

/// CREATE INDEX needs ownership of the table.
async fn ownership_line(client: &Client) -> CheckLine {
    let row = match tokio::time::timeout(
        CHECK_TIMEOUT,
        client.query_one(sql::SANDBOX_OWNERSHIP.text, &[]),
    )
    .await
    {
        Ok(Ok(row)) => row,
        Ok(Err(error)) => {
            return CheckLine::warn(
                CHECK,
                failed(sql::SANDBOX_OWNERSHIP.file, &error),
                "check that the sandbox role may read pg_catalog",
            );
        }
        Err(_) => return timed_out(CHECK),
    };
    let tables: i64 = row.try_get("tables").unwrap_or(0);
    let owned: i64 = row.try_get("owned").unwrap_or(0);
    if tables == 0 {
        CheckLine::warn(
            CHECK,
            "the sandbox database has no tables",
            "load the schema and representative data (pg_dump --schema-only of the monitored \
             database, plus sample rows)",
        )
    } else if owned < tables {
        CheckLine::warn(
            CHECK,
            format!(
                "the role owns {owned} of {tables} table(s): CREATE INDEX needs ownership, so \
                 candidates on the others cannot be timed"
            ),
            "connect to the sandbox as the tables' owner, or `GRANT <owner> TO <sandbox role>;`",
        )
    } else {
        CheckLine::pass(
            CHECK,
            format!("the role owns all {tables} table(s) and may index them"),
        )
    }
}
