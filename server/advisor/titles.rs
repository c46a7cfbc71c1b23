//! Code action titles: they state the evidence and the measured gain.

use super::model::{Evidence, Origin};
use super::outcome::{ActionKind, ValidatedAction};
use crate::analysis::format::{count, duration_ms, grouped};

/// `sandbox: 182 ms → 0.9 ms` or `planner estimate: cost 18,234 → 12`.
pub fn evidence(evidence: &Evidence) -> String {
    match evidence {
        Evidence::PlannerEstimate {
            cost_before,
            cost_after,
            ..
        } => format!(
            "planner estimate: cost {} → {}",
            grouped(cost_before.max(0.0).round() as u64),
            grouped(cost_after.max(0.0).round() as u64)
        ),
        Evidence::SandboxTiming {
            before_ms,
            after_ms,
            parameter_sets,
            rows_compared,
            ..
        } => match rows_compared {
            Some(rows) => format!(
                "sandbox: {} → {}, same {} row(s) for {parameter_sets} parameter set(s)",
                duration_ms(*before_ms),
                duration_ms(*after_ms),
                count(*rows as f64)
            ),
            None => format!(
                "sandbox: {} → {}",
                duration_ms(*before_ms),
                duration_ms(*after_ms)
            ),
        },
    }
}

fn ai_prefix(origin: &Origin) -> &'static str {
    match origin {
        Origin::Ai { .. } => "AI-suggested: ",
        Origin::Rule { .. } => "",
    }
}

/// The title of a validated action.
pub fn title(action: &ValidatedAction) -> String {
    let prefix = ai_prefix(&action.origin);
    let proof = evidence(&action.evidence);
    match &action.kind {
        ActionKind::Index {
            candidate,
            projected,
        } => {
            let savings = projected
                .as_ref()
                .map(|text| format!(" · {text}"))
                .unwrap_or_default();
            let keys: Vec<&str> = candidate.columns.iter().map(|key| shown_key(key)).collect();
            format!(
                "{prefix}Add index on {} ({}) — {proof}{savings}",
                candidate.table,
                keys.join(", ")
            )
        }
        ActionKind::Rewrite { candidate } => {
            format!("{prefix}Rewrite: {} — {proof}", candidate.summary)
        }
    }
}

/// An index key as a title shows it: an expression without the parentheses
/// `CREATE INDEX` needs around it (`(lower(note))` → `lower(note)`).
fn shown_key(key: &str) -> &str {
    let Some(inner) = key.strip_prefix('(').and_then(|k| k.strip_suffix(')')) else {
        return key;
    };
    // Only when those two parentheses enclose the whole key: not `(a) + (b)`.
    let mut depth = 0usize;
    for character in inner.chars() {
        match character {
            '(' => depth += 1,
            ')' if depth == 0 => return key,
            ')' => depth -= 1,
            _ => {}
        }
    }
    inner
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisor::model::IndexCandidate;

    #[test]
    fn titles_state_the_evidence() {
        let action = ValidatedAction {
            kind: ActionKind::Index {
                candidate: IndexCandidate {
                    table: "orders".into(),
                    columns: vec!["customer_id".into()],
                    definition: "CREATE INDEX ON orders (customer_id)".into(),
                },
                projected: None,
            },
            origin: Origin::Rule {
                rule: "index-advisor".into(),
            },
            plan_comparison: None,
            evidence: Evidence::SandboxTiming {
                before_ms: 182.0,
                after_ms: 0.9,
                runs: 5,
                parameter_sets: 3,
                rows_compared: None,
            },
        };
        assert_eq!(
            title(&action),
            "Add index on orders (customer_id) — sandbox: 182 ms → 0.90 ms"
        );
        let estimate = Evidence::PlannerEstimate {
            cost_before: 18_234.4,
            cost_after: 12.2,
            index_used: true,
        };
        assert_eq!(evidence(&estimate), "planner estimate: cost 18,234 → 12");
    }

    #[test]
    fn expression_keys_lose_only_their_enclosing_parentheses() {
        assert_eq!(shown_key("(lower(note))"), "lower(note)");
        assert_eq!(shown_key("customer_id"), "customer_id");
        assert_eq!(shown_key("(a) + (b)"), "(a) + (b)");
        assert_eq!(shown_key("((a + b))"), "(a + b)");
        assert_eq!(shown_key("("), "(");
    }
}
