//! Weighing validated indexes across the workload: which tracked
//! statements each one helps (judged by HypoPG), how often they run, and
//! what the table's writes cost — so that a 30 % win on a hot statement
//! outranks 60 % on a cold one, and one shared index outranks two.

use std::collections::HashMap;

use tokio_postgres::Client;

use super::candidates::workload::{CandidateImpact, RankedCandidate, StatementImpact, rank};
use super::model::{Evidence, Verdict};
use super::outcome::{ActionKind, ValidatedAction};
use super::service::AnalyzeRequest;
use crate::plan::evaluate_index;
use crate::sql::ast::parse_statement;
use crate::sql::facts::extract;
use crate::sql::fingerprint::Fingerprint;
use crate::sql::kind::StatementKind;
use crate::sql::params::to_dollar_params;
use crate::stats::snapshot::{Snapshot, StatementStats, mean_ms};

/// Other statements judged per candidate, the most expensive first.
const OTHER_STATEMENTS: usize = 10;

fn calls_per_hour(stats: &StatementStats, snapshot: &Snapshot) -> f64 {
    let window = snapshot.windows.recent_seconds.max(1.0);
    if stats.recent.calls > 0 {
        return stats.recent.calls as f64 * 3600.0 / window;
    }
    let watched = match (snapshot.watching_since, snapshot.refreshed_at) {
        (Some(since), Some(now)) => now.duration_since(since).map_or(0.0, |d| d.as_secs_f64()),
        _ => 0.0,
    };
    if watched >= 60.0 {
        stats.cumulative.calls as f64 * 3600.0 / watched
    } else {
        0.0
    }
}

fn mean(stats: &StatementStats) -> f64 {
    mean_ms(&stats.recent)
        .or(stats.cumulative.mean_ms())
        .unwrap_or(0.0)
}

fn unqualified(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// Tracked statements (other than the analysed one) that read `table`,
/// and the writes per hour of statements that modify it.
fn statements_on<'a>(
    snapshot: &'a Snapshot,
    table: &str,
    analysed: Fingerprint,
) -> (Vec<(Fingerprint, &'a StatementStats, String)>, f64) {
    let mut readers = Vec::new();
    let mut writes_per_hour = 0.0;
    for (fingerprint, stats) in snapshot.statements.iter() {
        let Some(text) = stats.sample_text.as_deref() else {
            continue;
        };
        let Some(ast) = parse_statement(text) else {
            continue;
        };
        let touches = extract(&ast)
            .tables
            .iter()
            .any(|t| unqualified(&t.name).eq_ignore_ascii_case(unqualified(table)));
        if !touches {
            continue;
        }
        match StatementKind::of(text) {
            StatementKind::Insert
            | StatementKind::Update
            | StatementKind::Delete
            | StatementKind::Merge => {
                writes_per_hour += calls_per_hour(stats, snapshot)
                    * (stats.cumulative.rows.max(1) as f64 / stats.cumulative.calls.max(1) as f64);
            }
            _ if *fingerprint != analysed => readers.push((*fingerprint, stats, text.to_string())),
            _ => {}
        }
    }
    readers.sort_by(|a, b| b.1.cumulative.total_ms.total_cmp(&a.1.cumulative.total_ms));
    readers.truncate(OTHER_STATEMENTS);
    (readers, writes_per_hour)
}

/// Adds projected savings to each action and orders them best first. The
/// analysed statement counts with its own evidence; others are judged with
/// HypoPG on the same session.
pub async fn weigh_indexes(
    client: &mut Client,
    version: i32,
    request: &AnalyzeRequest,
    accepted: Vec<(ValidatedAction, Option<String>)>,
    min_improvement_percent: f64,
) -> Vec<ValidatedAction> {
    let snapshot = &request.snapshot;
    let own = snapshot
        .stats_for(request.fingerprint)
        .map(|(_, stats)| stats);
    let mut impacts = Vec::new();
    let mut actions: HashMap<String, ValidatedAction> = HashMap::new();
    for (mut action, comparison) in accepted {
        action.plan_comparison = comparison;
        let ActionKind::Index { candidate, .. } = &action.kind else {
            continue;
        };
        let candidate = candidate.clone();
        let mut statements = Vec::new();
        if let Some(stats) = own {
            statements.push(StatementImpact {
                fingerprint: request.fingerprint.0,
                calls_per_hour: calls_per_hour(stats, snapshot),
                mean_ms: mean(stats),
                cost_ratio: action.evidence.ratio().unwrap_or(1.0),
            });
        }
        let (others, writes_per_hour) =
            statements_on(snapshot, &candidate.table, request.fingerprint);
        for (fingerprint, stats, text) in others {
            let dollar = to_dollar_params(&text).text;
            let verdict = evaluate_index(
                client,
                &dollar,
                &candidate,
                version,
                min_improvement_percent / 2.0,
            )
            .await;
            if let Ok(Verdict::Accepted { evidence }) = verdict {
                statements.push(StatementImpact {
                    fingerprint: fingerprint.0,
                    calls_per_hour: calls_per_hour(stats, snapshot),
                    mean_ms: mean(stats),
                    cost_ratio: evidence.ratio().unwrap_or(1.0),
                });
            }
        }
        impacts.push(CandidateImpact {
            candidate: candidate.clone(),
            statements,
            writes_per_hour,
        });
        actions.insert(candidate.definition.clone(), action);
    }
    let has_numbers = impacts
        .iter()
        .any(|impact| impact.statements.iter().any(|s| s.calls_per_hour > 0.0));
    if !has_numbers {
        // No live numbers: keep the validated order, without projections.
        let mut ordered: Vec<ValidatedAction> = actions.into_values().collect();
        ordered.sort_by(|a, b| ratio(&a.evidence).total_cmp(&ratio(&b.evidence)));
        return ordered;
    }
    rank(&impacts)
        .into_iter()
        .filter_map(|ranked: RankedCandidate| {
            let mut action = actions.remove(&ranked.candidate.definition)?;
            if let ActionKind::Index { projected, .. } = &mut action.kind {
                *projected = Some(ranked.projected_savings());
            }
            Some(action)
        })
        .collect()
}

fn ratio(evidence: &Evidence) -> f64 {
    evidence.ratio().unwrap_or(1.0)
}
