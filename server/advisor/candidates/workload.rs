//! Weighing index candidates against the whole tracked workload.
//!
//! One-query-at-a-time advice optimises whatever statement is on screen. Here
//! a candidate is worth the time it saves across every tracked statement it
//! helps, per hour of the live numbers, minus what it costs the writes on its
//! table:
//!
//! ```text
//! savings = Σ calls_per_hour × mean_ms × (1 − cost_ratio)      (over its statements)
//!         − WRITE_COST_MS_PER_INDEX × writes_per_hour
//! ```
//!
//! So a 30 % win on a statement that runs 10 000 times an hour beats a 60 %
//! win on one that runs 10 times, and one index that helps several
//! statements beats several that help one each.

use crate::advisor::model::IndexCandidate;
use crate::analysis::format;

/// What every written row (insert, update, delete) pays for one more index
/// on its table, in milliseconds: a b-tree insertion plus its WAL, most of
/// it in cache. A deliberately rough, small constant: it only needs to stop
/// an index that barely helps from winning on a write-heavy table.
pub const WRITE_COST_MS_PER_INDEX: f64 = 0.01;

/// How one tracked statement would change with a candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementImpact {
    /// The statement's fingerprint (`sql::fingerprint::Fingerprint.0`).
    pub fingerprint: u64,
    pub calls_per_hour: f64,
    pub mean_ms: f64,
    /// Cost after / cost before, from the planner (HypoPG) or sandbox timings;
    /// below 1 is an improvement.
    pub cost_ratio: f64,
}

impl StatementImpact {
    /// Milliseconds per hour this statement would stop spending; negative
    /// when it would get slower. Missing or nonsensical numbers count as no
    /// change.
    pub fn savings_ms_per_hour(&self) -> f64 {
        let ratio = if self.cost_ratio.is_finite() {
            self.cost_ratio.max(0.0)
        } else {
            1.0
        };
        non_negative(self.calls_per_hour) * non_negative(self.mean_ms) * (1.0 - ratio)
    }
}

/// A candidate with the statements it was evaluated against.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateImpact {
    pub candidate: IndexCandidate,
    /// One entry per statement (repeated fingerprints count once).
    pub statements: Vec<StatementImpact>,
    /// Rows written to the candidate's table per hour.
    pub writes_per_hour: f64,
}

/// A candidate with its projected worth.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedCandidate {
    pub candidate: IndexCandidate,
    /// Fingerprints of the statements that get faster, most saved first.
    pub statements_helped: Vec<u64>,
    /// Time saved on reads, per hour.
    pub read_savings_ms_per_hour: f64,
    /// Time the index would add to writes, per hour.
    pub write_cost_ms_per_hour: f64,
    /// `read_savings_ms_per_hour - write_cost_ms_per_hour`.
    pub savings_ms_per_hour: f64,
    /// Shorter candidates (prefixes of this one) that this one replaces:
    /// it helps every statement they help.
    pub absorbs: Vec<IndexCandidate>,
}

impl RankedCandidate {
    /// One line for an action title or hover, e.g.
    /// `saves ~1.25 s per hour across 3 statements`.
    pub fn projected_savings(&self) -> String {
        let statements = match self.statements_helped.len() {
            1 => "1 statement".to_owned(),
            n => format!("{n} statements"),
        };
        format!(
            "saves ~{} per hour across {statements}",
            format::duration_ms(self.savings_ms_per_hour)
        )
    }
}

/// Ranks candidates by projected savings per hour, best first.
///
/// A candidate whose columns start with another's and which helps every
/// statement the shorter one helps replaces it (one index, not two). Ties go
/// to the candidate helping more statements, then the narrower index, then
/// the name, so the order is deterministic. Candidates that save nothing
/// once write costs are paid are left out.
pub fn rank(impacts: &[CandidateImpact]) -> Vec<RankedCandidate> {
    let mut ranked: Vec<RankedCandidate> = impacts.iter().map(weigh).collect();
    ranked.sort_by(better_first);
    // Absorbing keeps the order: the survivors' numbers do not change.
    let mut kept = absorb_prefixes(ranked);
    kept.retain(|candidate| candidate.savings_ms_per_hour > 0.0);
    kept
}

fn weigh(impact: &CandidateImpact) -> RankedCandidate {
    let mut seen = Vec::new();
    let mut helped: Vec<(u64, f64)> = Vec::new();
    let mut read_savings = 0.0;
    for statement in &impact.statements {
        if seen.contains(&statement.fingerprint) {
            continue;
        }
        seen.push(statement.fingerprint);
        let saved = statement.savings_ms_per_hour();
        read_savings += saved;
        if saved > 0.0 {
            helped.push((statement.fingerprint, saved));
        }
    }
    helped.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let write_cost = WRITE_COST_MS_PER_INDEX * non_negative(impact.writes_per_hour);
    RankedCandidate {
        candidate: impact.candidate.clone(),
        statements_helped: helped
            .into_iter()
            .map(|(fingerprint, _)| fingerprint)
            .collect(),
        read_savings_ms_per_hour: read_savings,
        write_cost_ms_per_hour: write_cost,
        savings_ms_per_hour: read_savings - write_cost,
        absorbs: Vec::new(),
    }
}

/// Folds each candidate into the best-ranked longer candidate on the same
/// table that starts with its columns and helps all its statements. Shorter
/// candidates go first, so a chain `a` ⊂ `a,b` ⊂ `a,b,c` ends in one.
fn absorb_prefixes(ranked: Vec<RankedCandidate>) -> Vec<RankedCandidate> {
    let mut slots: Vec<Option<RankedCandidate>> = ranked.into_iter().map(Some).collect();
    let mut by_width: Vec<usize> = (0..slots.len()).collect();
    by_width.sort_by_key(|&index| {
        slots[index]
            .as_ref()
            .map_or(0, |c| c.candidate.columns.len())
    });
    for index in by_width {
        let Some(shorter) = slots[index].take() else {
            continue;
        };
        // `slots` is in rank order, so the first match is the best one.
        match slots
            .iter_mut()
            .flatten()
            .find(|longer| replaces(longer, &shorter))
        {
            Some(longer) => {
                longer.absorbs.extend(shorter.absorbs.iter().cloned());
                longer.absorbs.push(shorter.candidate);
            }
            None => slots[index] = Some(shorter),
        }
    }
    slots.into_iter().flatten().collect()
}

fn replaces(longer: &RankedCandidate, shorter: &RankedCandidate) -> bool {
    let (long, short) = (&longer.candidate, &shorter.candidate);
    long.table == short.table
        && long.columns.len() > short.columns.len()
        && long.columns.starts_with(&short.columns)
        && shorter
            .statements_helped
            .iter()
            .all(|fingerprint| longer.statements_helped.contains(fingerprint))
}

fn better_first(a: &RankedCandidate, b: &RankedCandidate) -> std::cmp::Ordering {
    b.savings_ms_per_hour
        .total_cmp(&a.savings_ms_per_hour)
        .then(b.statements_helped.len().cmp(&a.statements_helped.len()))
        .then(a.candidate.columns.len().cmp(&b.candidate.columns.len()))
        .then_with(|| a.candidate.table.cmp(&b.candidate.table))
        .then_with(|| a.candidate.columns.cmp(&b.candidate.columns))
}

fn non_negative(value: f64) -> f64 {
    if value.is_finite() {
        value.max(0.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(table: &str, columns: &[&str]) -> IndexCandidate {
        IndexCandidate {
            table: table.into(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            definition: format!("CREATE INDEX ON {table} ({})", columns.join(", ")),
        }
    }

    fn statement(
        fingerprint: u64,
        calls_per_hour: f64,
        mean_ms: f64,
        ratio: f64,
    ) -> StatementImpact {
        StatementImpact {
            fingerprint,
            calls_per_hour,
            mean_ms,
            cost_ratio: ratio,
        }
    }

    fn impact(columns: &[&str], statements: Vec<StatementImpact>) -> CandidateImpact {
        CandidateImpact {
            candidate: candidate("orders", columns),
            statements,
            writes_per_hour: 0.0,
        }
    }

    fn order(ranked: &[RankedCandidate]) -> Vec<String> {
        ranked
            .iter()
            .map(|r| r.candidate.columns.join(","))
            .collect()
    }

    #[test]
    fn a_modest_win_on_a_hot_statement_beats_a_big_one_on_a_cold_one() {
        let ranked = rank(&[
            // 60 % faster, 10 calls an hour of 50 ms: 300 ms/h.
            impact(&["cold"], vec![statement(1, 10.0, 50.0, 0.4)]),
            // 30 % faster, 10 000 calls an hour of 2 ms: 6 s/h.
            impact(&["hot"], vec![statement(2, 10_000.0, 2.0, 0.7)]),
        ]);
        assert_eq!(order(&ranked), ["hot", "cold"]);
        assert!((ranked[0].savings_ms_per_hour - 6_000.0).abs() < 1e-6);
        assert!((ranked[1].savings_ms_per_hour - 300.0).abs() < 1e-6);
        assert_eq!(
            ranked[0].projected_savings(),
            "saves ~6.00 s per hour across 1 statement"
        );
    }

    #[test]
    fn one_shared_index_beats_one_with_the_same_total_on_a_single_statement() {
        let ranked = rank(&[
            impact(&["single"], vec![statement(3, 100.0, 20.0, 0.5)]),
            impact(
                &["shared"],
                vec![
                    statement(1, 100.0, 10.0, 0.5),
                    statement(2, 100.0, 10.0, 0.5),
                ],
            ),
        ]);
        assert_eq!(ranked[0].savings_ms_per_hour, ranked[1].savings_ms_per_hour);
        assert_eq!(order(&ranked), ["shared", "single"]);
        assert_eq!(ranked[0].statements_helped.len(), 2);
    }

    #[test]
    fn one_shared_index_beats_two_single_statement_ones_of_equal_total() {
        let (first, second) = (
            statement(1, 100.0, 10.0, 0.5),
            statement(2, 100.0, 10.0, 0.5),
        );
        let with_writes = |columns: &[&str], statements| CandidateImpact {
            writes_per_hour: 1_000.0,
            ..impact(columns, statements)
        };
        let ranked = rank(&[
            with_writes(&["a"], vec![first.clone()]),
            with_writes(&["b"], vec![second.clone()]),
            with_writes(&["c"], vec![first, second]),
        ]);
        assert_eq!(order(&ranked), ["c", "a", "b"]);
        // Two indexes would also pay the write cost twice.
        assert!((ranked[0].write_cost_ms_per_hour - 10.0).abs() < 1e-9);
        assert!((ranked[0].savings_ms_per_hour - 990.0).abs() < 1e-9);
    }

    #[test]
    fn a_longer_index_serving_all_statements_of_its_prefix_replaces_it() {
        let ranked = rank(&[
            impact(&["a"], vec![statement(1, 100.0, 10.0, 0.5)]),
            impact(
                &["a", "b"],
                vec![
                    statement(1, 100.0, 10.0, 0.6),
                    statement(2, 10.0, 10.0, 0.5),
                ],
            ),
            impact(&["a", "b", "c"], vec![statement(3, 1.0, 1.0, 0.5)]),
        ]);
        assert_eq!(order(&ranked), ["a,b", "a,b,c"]);
        assert_eq!(ranked[0].absorbs, vec![candidate("orders", &["a"])]);
    }

    #[test]
    fn a_prefix_helping_other_statements_is_kept() {
        let ranked = rank(&[
            impact(
                &["a"],
                vec![statement(1, 100.0, 10.0, 0.5), statement(9, 1.0, 1.0, 0.5)],
            ),
            impact(&["a", "b"], vec![statement(1, 100.0, 10.0, 0.5)]),
        ]);
        assert_eq!(order(&ranked), ["a", "a,b"]);
        assert!(ranked.iter().all(|r| r.absorbs.is_empty()));
    }

    #[test]
    fn write_heavy_tables_drop_candidates_that_barely_help() {
        let ranked = rank(&[CandidateImpact {
            writes_per_hour: 1_000_000.0,
            ..impact(&["a"], vec![statement(1, 100.0, 10.0, 0.9)])
        }]);
        assert!(ranked.is_empty());
    }

    #[test]
    fn nonsense_numbers_count_as_no_change() {
        let ranked = rank(&[impact(
            &["a"],
            vec![
                statement(1, f64::NAN, 10.0, 0.5),
                statement(2, 10.0, -5.0, 0.5),
                statement(3, 10.0, 10.0, f64::INFINITY),
                statement(4, 10.0, 10.0, 0.5),
                statement(4, 10.0, 10.0, 0.5),
            ],
        )]);
        assert_eq!(ranked.len(), 1);
        assert_eq!(ranked[0].statements_helped, vec![4]);
        assert!((ranked[0].savings_ms_per_hour - 50.0).abs() < 1e-9);
    }
}
