//! Planning a statement on the monitored database without executing it.
//!
//! - No parameters: `EXPLAIN (FORMAT JSON) statement`.
//! - Parameters, PostgreSQL 16+: `EXPLAIN (GENERIC_PLAN, FORMAT JSON)`.
//! - Parameters, PostgreSQL 12–15: in a transaction (read-only, like every
//!   transaction of the monitoring session), `SET LOCAL plan_cache_mode =
//!   force_generic_plan`, `PREPARE`, `EXPLAIN EXECUTE name(NULL, …)`, then
//!   `ROLLBACK` and `DEALLOCATE`. The forced generic plan never looks at the
//!   NULL arguments (without it, the first executions get a custom plan in
//!   which `x = NULL` folds to a constant-false filter). A prepared statement
//!   outlives a rollback, hence the `DEALLOCATE`, sent even when `EXPLAIN`
//!   failed.
//!
//! `EXPLAIN` without `ANALYZE` plans only, also for `INSERT`, `UPDATE` and
//! `DELETE`, and works under `default_transaction_read_only = on`.
//!
//! Everything here takes `&mut Client`: a transaction and, during an index
//! evaluation, HypoPG's hypothetical indexes are session state that no
//! concurrent user of the same session may see. If a caller drops one of
//! these futures half-way, tokio-postgres rolls the transaction back, but a
//! prepared statement may remain; such a caller should discard the session.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio_postgres::{Client, GenericClient, SimpleQueryMessage};

use super::error::PlanError;
use super::model::Plan;
use super::parse::parse_plan;
use super::sql::{self, Sql};
use super::statement::{Explainable, explainable};

/// `EXPLAIN (GENERIC_PLAN)` arrived in PostgreSQL 16.
const GENERIC_PLAN_OPTION_SINCE: i32 = 160_000;
/// `plan_cache_mode` arrived in PostgreSQL 12.
const PLAN_CACHE_MODE_SINCE: i32 = 120_000;
/// `compute_query_id` and the `Query Identifier` arrived in PostgreSQL 14.
const QUERY_IDENTIFIER_SINCE: i32 = 140_000;

/// Names prepared statements uniquely within the process, so a statement
/// left behind by a cancelled call can never collide with a new one.
static NEXT_PREPARED_NAME: AtomicU64 = AtomicU64::new(1);

/// The plan PostgreSQL would use for `statement` (with `$n` placeholders,
/// or literals), without executing it. `verbose` adds output columns,
/// schema-qualified relation names and the query identifier.
pub async fn explain_generic(
    client: &mut Client,
    statement: &str,
    server_version_num: i32,
    verbose: bool,
) -> Result<Plan, PlanError> {
    let statement = explainable(statement)?;
    let json = if statement.parameters == 0 {
        explain_directly(client, statement, explain_options(false, verbose)).await?
    } else if server_version_num >= GENERIC_PLAN_OPTION_SINCE {
        explain_directly(client, statement, explain_options(true, verbose)).await?
    } else if server_version_num >= PLAN_CACHE_MODE_SINCE {
        explain_prepared(client, statement, explain_options(false, verbose)).await?
    } else {
        return Err(PlanError::Unsupported {
            reason: "generic plans of statements with parameters need PostgreSQL 12 or later"
                .into(),
        });
    };
    parse_plan(&json)
}

/// The server's query identifier for `statement` (pg_stat_statements'
/// `queryid`), read from `EXPLAIN (VERBOSE)`. `None` before PostgreSQL 14
/// (nothing is sent) and when `compute_query_id` is off.
///
/// A `$1` form and a literal form of one statement usually differ: a
/// constant is jumbled by position, a parameter by its number and type.
pub async fn query_identifier(
    client: &mut Client,
    statement: &str,
    server_version_num: i32,
) -> Result<Option<i64>, PlanError> {
    if server_version_num < QUERY_IDENTIFIER_SINCE {
        return Ok(None);
    }
    let plan = explain_generic(client, statement, server_version_num, true).await?;
    Ok(plan.query_identifier)
}

/// The option list of our `EXPLAIN`s; never `ANALYZE`.
fn explain_options(generic_plan: bool, verbose: bool) -> &'static str {
    match (generic_plan, verbose) {
        (false, false) => "FORMAT JSON",
        (false, true) => "FORMAT JSON, VERBOSE",
        (true, false) => "GENERIC_PLAN, FORMAT JSON",
        (true, true) => "GENERIC_PLAN, FORMAT JSON, VERBOSE",
    }
}

async fn explain_directly(
    client: &Client,
    statement: Explainable<'_>,
    options: &str,
) -> Result<String, PlanError> {
    let text = sql::EXPLAIN.fill(&[("options", options), ("statement", statement.text)]);
    explain_output(client, sql::EXPLAIN, &text).await
}

async fn explain_prepared(
    client: &mut Client,
    statement: Explainable<'_>,
    options: &str,
) -> Result<String, PlanError> {
    let name = format!(
        "optischema_plan_{}",
        NEXT_PREPARED_NAME.fetch_add(1, Ordering::Relaxed)
    );
    let mut prepared = false;
    let explained = explain_in_generic_mode(client, &name, statement, options, &mut prepared).await;
    if !prepared {
        return explained;
    }
    // The transaction is over (committed nothing, or rolled back on error),
    // so this runs on its own and cannot be refused as "transaction aborted".
    let deallocated = client
        .batch_execute(&sql::DEALLOCATE.fill(&[("name", &name)]))
        .await
        .map_err(|error| PlanError::query(sql::DEALLOCATE.file, error));
    let json = explained?;
    deallocated?;
    Ok(json)
}

async fn explain_in_generic_mode(
    client: &mut Client,
    name: &str,
    statement: Explainable<'_>,
    options: &str,
    prepared: &mut bool,
) -> Result<String, PlanError> {
    let transaction = client
        .transaction()
        .await
        .map_err(|error| PlanError::query("BEGIN", error))?;
    // `SET LOCAL` ends with the transaction: the session's own
    // plan_cache_mode is never changed.
    execute(
        &transaction,
        sql::FORCE_GENERIC_PLAN,
        sql::FORCE_GENERIC_PLAN.text,
    )
    .await?;
    let prepare = sql::PREPARE.fill(&[("name", name), ("statement", statement.text)]);
    execute(&transaction, sql::PREPARE, &prepare).await?;
    *prepared = true;
    let arguments = vec!["NULL"; statement.parameters].join(", ");
    let explain = sql::EXPLAIN_EXECUTE.fill(&[
        ("options", options),
        ("name", name),
        ("arguments", &arguments),
    ]);
    let json = explain_output(&transaction, sql::EXPLAIN_EXECUTE, &explain).await?;
    transaction
        .rollback()
        .await
        .map_err(|error| PlanError::query("ROLLBACK", error))?;
    Ok(json)
}

async fn execute(client: &impl GenericClient, sql: Sql, text: &str) -> Result<(), PlanError> {
    client
        .simple_query(text)
        .await
        .map(drop)
        .map_err(|error| PlanError::query(sql.file, error))
}

/// Runs an `EXPLAIN` over the simple-query protocol (so `$n` may appear in
/// the text) and returns its JSON text.
async fn explain_output(
    client: &impl GenericClient,
    sql: Sql,
    text: &str,
) -> Result<String, PlanError> {
    let messages = client
        .simple_query(text)
        .await
        .map_err(|error| PlanError::query(sql.file, error))?;
    let lines: Vec<&str> = messages
        .iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => row.get(0),
            _ => None,
        })
        .collect();
    if lines.is_empty() {
        return Err(PlanError::Malformed {
            detail: format!("{} returned no rows", sql.file),
        });
    }
    Ok(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_analyze() {
        for generic in [false, true] {
            for verbose in [false, true] {
                let options = explain_options(generic, verbose);
                assert!(!options.contains("ANALYZE"), "{options}");
                assert!(options.contains("FORMAT JSON"), "{options}");
            }
        }
    }
}
