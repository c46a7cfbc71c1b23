//! Evaluating an index candidate with HypoPG on the monitored database.
//!
//! A hypothetical index lives in this session's memory only: nothing is
//! built, locked or written, and `hypopg_create_index` works in a read-only
//! session (verified on PostgreSQL 15 with HypoPG 1.3). It is not
//! transactional either: a rollback keeps it, so every evaluation ends with
//! `hypopg_reset()`, also when a step failed, and starts with one in case an
//! earlier, cancelled evaluation left an index behind.
//!
//! HypoPG's edges, and how they are respected here:
//! - `EXPLAIN ANALYZE` ignores hypothetical indexes: we only ever `EXPLAIN`.
//! - A prepared statement keeps the plan it got before the index existed:
//!   each plan is made by a fresh `EXPLAIN` (or, for parameters on 12–15, a
//!   fresh `PREPARE`) after the index was created.

use pg_query::NodeEnum;
use tokio_postgres::Client;

use crate::advisor::model::{Evidence, IndexCandidate, Verdict};
use crate::sql::grammar;

use super::error::PlanError;
use super::explain::explain_generic;
use super::model::Plan;
use super::sql;

/// Whether HypoPG is installed in the session's database and callable
/// without a schema (its schema is on the search path).
pub async fn hypopg_available(client: &Client) -> Result<bool, PlanError> {
    let row = client
        .query_one(sql::HYPOPG_AVAILABLE.text, &[])
        .await
        .map_err(|error| PlanError::query(sql::HYPOPG_AVAILABLE.file, error))?;
    row.try_get("available")
        .map_err(|error| PlanError::query(sql::HYPOPG_AVAILABLE.file, error))
}

/// Plans `statement` without and with `candidate` as a hypothetical index.
///
/// Accepted (with [`Evidence::PlannerEstimate`]) only when the plan uses the
/// index and its total cost drops by at least `min_improvement_percent`;
/// otherwise rejected with the costs in the reason.
pub async fn evaluate_index(
    client: &mut Client,
    statement: &str,
    candidate: &IndexCandidate,
    server_version_num: i32,
    min_improvement_percent: f64,
) -> Result<Verdict, PlanError> {
    evaluate_index_with_plans(
        client,
        statement,
        candidate,
        server_version_num,
        min_improvement_percent,
    )
    .await
    .map(|evaluated| evaluated.verdict)
}

/// A HypoPG evaluation with the plans it compared (for before/after views).
#[derive(Debug, Clone)]
pub struct EvaluatedIndex {
    pub verdict: Verdict,
    pub before: Plan,
    pub after: Plan,
}

/// Like [`evaluate_index`], keeping both plans.
pub async fn evaluate_index_with_plans(
    client: &mut Client,
    statement: &str,
    candidate: &IndexCandidate,
    server_version_num: i32,
    min_improvement_percent: f64,
) -> Result<EvaluatedIndex, PlanError> {
    check_candidate(&candidate.definition)?;
    reset(client).await?;
    let compared = plan_with_and_without(client, statement, candidate, server_version_num).await;
    let reset = reset(client).await;
    let comparison = compared?;
    reset?;
    Ok(EvaluatedIndex {
        verdict: comparison.verdict(min_improvement_percent),
        before: comparison.before,
        after: comparison.after,
    })
}

/// The two plans of one evaluation.
struct Comparison {
    before: Plan,
    after: Plan,
    index_name: String,
}

impl Comparison {
    fn verdict(&self, min_improvement_percent: f64) -> Verdict {
        let cost_before = self.before.total_cost();
        let cost_after = self.after.total_cost();
        let index_used = self.after.uses_index(&self.index_name);
        let improvement = if cost_before > 0.0 {
            (cost_before - cost_after) / cost_before * 100.0
        } else {
            0.0
        };
        let costs = format!("estimated cost {cost_before:.2} → {cost_after:.2}");
        if !index_used {
            Verdict::Rejected {
                reason: format!("the planner does not use the index ({costs})"),
            }
        } else if improvement >= min_improvement_percent {
            Verdict::Accepted {
                evidence: Evidence::PlannerEstimate {
                    cost_before,
                    cost_after,
                    index_used,
                },
            }
        } else {
            Verdict::Rejected {
                reason: format!(
                    "the index is used but the cost drops only {improvement:.1} % ({costs}); \
                     at least {min_improvement_percent} % is required"
                ),
            }
        }
    }
}

async fn plan_with_and_without(
    client: &mut Client,
    statement: &str,
    candidate: &IndexCandidate,
    server_version_num: i32,
) -> Result<Comparison, PlanError> {
    let before = explain_generic(client, statement, server_version_num, false).await?;
    let row = client
        .query_one(sql::HYPOPG_CREATE_INDEX.text, &[&candidate.definition])
        .await
        .map_err(|error| PlanError::query(sql::HYPOPG_CREATE_INDEX.file, error))?;
    let index_name: String = row
        .try_get("indexname")
        .map_err(|error| PlanError::query(sql::HYPOPG_CREATE_INDEX.file, error))?;
    let after = explain_generic(client, statement, server_version_num, false).await?;
    Ok(Comparison {
        before,
        after,
        index_name,
    })
}

async fn reset(client: &Client) -> Result<(), PlanError> {
    client
        .batch_execute(sql::HYPOPG_RESET.text)
        .await
        .map_err(|error| PlanError::query(sql::HYPOPG_RESET.file, error))
}

/// HypoPG itself accepts only `CREATE INDEX`, but the definition may come
/// from an LLM: only a single `CREATE INDEX` statement is passed on.
fn check_candidate(definition: &str) -> Result<(), PlanError> {
    let refuse = |reason: String| PlanError::InvalidCandidate { reason };
    let parsed = grammar::with_libpg_query(|| pg_query::parse(definition, 0))
        .map_err(|error| refuse(format!("PostgreSQL's grammar rejects it: {error}")))?;
    match parsed.protobuf.stmts.as_slice() {
        [only] => match only.stmt.as_ref().and_then(|node| node.node.as_ref()) {
            Some(NodeEnum::IndexStmt(_)) => Ok(()),
            _ => Err(refuse("it is not a CREATE INDEX statement".into())),
        },
        statements => Err(refuse(format!(
            "it holds {} statements; exactly one CREATE INDEX is expected",
            statements.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::model::PlanNode;

    fn plan(total_cost: f64, index: Option<&str>) -> Plan {
        let mut root = PlanNode::new(
            if index.is_some() {
                "Index Scan"
            } else {
                "Seq Scan"
            },
            0.0,
            total_cost,
            1.0,
        );
        root.index_name = index.map(str::to_owned);
        Plan {
            root,
            query_identifier: None,
            planning_ms: None,
            execution_ms: None,
        }
    }

    fn comparison(after_cost: f64, after_index: Option<&str>) -> Comparison {
        Comparison {
            before: plan(1000.0, None),
            after: plan(after_cost, after_index),
            index_name: "<1>btree_t_a".into(),
        }
    }

    #[test]
    fn accepts_a_used_index_with_enough_gain() {
        assert_eq!(
            comparison(10.0, Some("<1>btree_t_a")).verdict(20.0),
            Verdict::Accepted {
                evidence: Evidence::PlannerEstimate {
                    cost_before: 1000.0,
                    cost_after: 10.0,
                    index_used: true,
                },
            }
        );
    }

    #[test]
    fn rejects_an_unused_index_or_a_small_gain() {
        let Verdict::Rejected { reason } = comparison(10.0, Some("other")).verdict(20.0) else {
            panic!("expected a rejection");
        };
        assert!(reason.contains("does not use"), "{reason}");

        let Verdict::Rejected { reason } = comparison(900.0, Some("<1>btree_t_a")).verdict(20.0)
        else {
            panic!("expected a rejection");
        };
        assert!(
            reason.contains("10.0 %") && reason.contains("1000.00 → 900.00"),
            "{reason}"
        );
    }

    #[test]
    fn only_a_single_create_index_passes() {
        assert!(check_candidate("CREATE INDEX ON t (a)").is_ok());
        assert!(check_candidate("CREATE UNIQUE INDEX ON s.t (lower(b))").is_ok());
        for refused in [
            "DROP TABLE t",
            "CREATE INDEX ON t (a); DROP TABLE t",
            "SELECT 1",
            "CREATE INDEX ON",
            "",
        ] {
            assert!(
                matches!(
                    check_candidate(refused),
                    Err(PlanError::InvalidCandidate { .. })
                ),
                "{refused}"
            );
        }
    }
}
