//! The demo's application: statements from `examples/queries/*.sql`, picked
//! by the weights of `examples/workload.sql`, executed with bind parameters
//! over several connections, as an application would (prepared once per
//! connection, then executed with values).

pub mod plan;
mod random;
mod text_param;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls, SimpleQueryMessage};

use super::error::DemoError;
use plan::WorkloadEntry;
use random::Random;
use text_param::TextParam;

/// The demo application's name in pg_stat_activity.
const APPLICATION_NAME: &str = "shop (optischema demo workload)";
/// A statement that runs away (say, with much more data) must not stall the demo.
const STATEMENT_TIMEOUT: &str = "10s";

/// One statement the application runs, with its parameter sets.
pub struct Job {
    pub name: String,
    pub sql: String,
    pub weight: u32,
    parameter_sets: Vec<Vec<TextParam>>,
}

/// Calls and errors per statement name.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub statements: BTreeMap<String, StatementTally>,
}

#[derive(Debug, Default, Clone)]
pub struct StatementTally {
    pub calls: u64,
    pub errors: u64,
    pub first_error: Option<String>,
}

impl Tally {
    pub fn calls(&self) -> u64 {
        self.statements.values().map(|t| t.calls).sum()
    }

    pub fn errors(&self) -> u64 {
        self.statements.values().map(|t| t.errors).sum()
    }

    fn merge(&mut self, other: Tally) {
        for (name, theirs) in other.statements {
            let ours = self.statements.entry(name).or_default();
            ours.calls += theirs.calls;
            ours.errors += theirs.errors;
            if ours.first_error.is_none() {
                ours.first_error = theirs.first_error;
            }
        }
    }
}

/// Matches the workload's entries to the named statements and runs each
/// parameter query once. `statements`: name → statement text.
pub async fn prepare_jobs(
    client: &Client,
    entries: &[WorkloadEntry],
    statements: &HashMap<String, String>,
    workload_file: &Path,
) -> Result<Vec<Job>, DemoError> {
    let mut jobs = Vec::new();
    for entry in entries {
        let at = |detail: String| {
            DemoError::examples(workload_file, format!("line {}: {detail}", entry.line))
        };
        let sql = statements.get(&entry.name).ok_or_else(|| {
            at(format!(
                "`{}` is not the `-- name:` of any statement in queries/*.sql",
                entry.name
            ))
        })?;
        let expected = client
            .prepare(sql)
            .await
            .map_err(|error| {
                at(format!(
                    "`{}` cannot be prepared: {}",
                    entry.name,
                    describe(&error)
                ))
            })?
            .params()
            .len();
        let parameter_sets = match &entry.parameter_query {
            Some(query) => parameter_sets(client, query)
                .await
                .map_err(|detail| at(format!("parameter query for `{}`: {detail}", entry.name)))?,
            None => vec![Vec::new()],
        };
        if let Some(found) = parameter_sets.iter().map(Vec::len).find(|n| *n != expected) {
            return Err(at(format!(
                "`{}` takes {expected} parameter(s) but its parameter query returns {found} column(s)",
                entry.name
            )));
        }
        jobs.push(Job {
            name: entry.name.clone(),
            sql: sql.clone(),
            weight: entry.weight,
            parameter_sets,
        });
    }
    Ok(jobs)
}

/// Every row of `query` as text values (simple protocol: any type prints).
async fn parameter_sets(client: &Client, query: &str) -> Result<Vec<Vec<TextParam>>, String> {
    let messages = client
        .simple_query(query)
        .await
        .map_err(|error| describe(&error))?;
    let sets: Vec<Vec<TextParam>> = messages
        .iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|index| TextParam(row.get(index).map(str::to_owned)))
                    .collect(),
            ),
            _ => None,
        })
        .collect();
    if sets.is_empty() {
        return Err("returned no rows".into());
    }
    Ok(sets)
}

/// Runs `jobs` on `connections` connections until `duration` has passed.
pub async fn run(
    config: Config,
    jobs: Arc<Vec<Job>>,
    connections: usize,
    duration: Duration,
) -> Result<Tally, DemoError> {
    let deadline = tokio::time::Instant::now() + duration;
    let mut workers = Vec::new();
    for worker in 0..connections.max(1) {
        let mut config = config.clone();
        config
            .application_name(APPLICATION_NAME)
            .options(format!("-c statement_timeout={STATEMENT_TIMEOUT}"));
        let jobs = jobs.clone();
        workers.push(tokio::spawn(async move {
            work(config, jobs, deadline, worker as u64).await
        }));
    }
    let mut tally = Tally::default();
    for worker in workers {
        let done = worker.await.map_err(|error| {
            DemoError::Database(format!("a workload connection failed: {error}"))
        })??;
        tally.merge(done);
    }
    Ok(tally)
}

/// One connection of the application.
async fn work(
    config: Config,
    jobs: Arc<Vec<Job>>,
    deadline: tokio::time::Instant,
    salt: u64,
) -> Result<Tally, DemoError> {
    let (client, connection) = config.connect(NoTls).await.map_err(|error| {
        DemoError::Database(format!("workload connection: {}", describe(&error)))
    })?;
    tokio::spawn(connection);
    let mut prepared = Vec::new();
    for job in jobs.iter() {
        let statement = client.prepare(&job.sql).await.map_err(|error| {
            DemoError::Database(format!("preparing `{}`: {}", job.name, describe(&error)))
        })?;
        prepared.push(statement);
    }
    let total_weight: u64 = jobs.iter().map(|job| u64::from(job.weight)).sum();
    let mut random = Random::new(salt);
    let mut tally = Tally::default();
    while tokio::time::Instant::now() < deadline && !client.is_closed() {
        let index = pick(&jobs, random.below(total_weight));
        let job = &jobs[index];
        let set = &job.parameter_sets[random.below(job.parameter_sets.len() as u64) as usize];
        let params: Vec<&(dyn ToSql + Sync)> =
            set.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let outcome = client.query(&prepared[index], &params).await;
        let entry = tally.statements.entry(job.name.clone()).or_default();
        entry.calls += 1;
        if let Err(error) = outcome {
            entry.errors += 1;
            entry.first_error.get_or_insert_with(|| describe(&error));
        }
    }
    Ok(tally)
}

/// The job whose cumulative weight range holds `draw`.
fn pick(jobs: &[Job], draw: u64) -> usize {
    let mut remaining = draw;
    for (index, job) in jobs.iter().enumerate() {
        let weight = u64::from(job.weight);
        if remaining < weight {
            return index;
        }
        remaining -= weight;
    }
    jobs.len() - 1
}

fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db_error) => db_error.message().to_owned(),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str, weight: u32) -> Job {
        Job {
            name: name.into(),
            sql: String::new(),
            weight,
            parameter_sets: vec![Vec::new()],
        }
    }

    #[test]
    fn picks_by_cumulative_weight() {
        let jobs = vec![job("a", 3), job("b", 1), job("c", 2)];
        let picked: Vec<usize> = (0..6).map(|draw| pick(&jobs, draw)).collect();
        assert_eq!(picked, vec![0, 0, 0, 1, 2, 2]);
    }
}
