//! Reading `EXPLAIN (ANALYZE, FORMAT JSON)` output: how long the statement
//! ran and which indexes the plan used.

use std::collections::BTreeSet;

use serde_json::Value;

/// What one EXPLAIN ANALYZE run tells us.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainRun {
    /// "Execution Time": the executor's time, without planning and without
    /// sending rows to the client.
    pub execution_ms: f64,
    /// Every "Index Name" in the plan (index scans, index-only and bitmap
    /// index scans, at any depth).
    pub index_names: BTreeSet<String>,
}

/// Parses the JSON document EXPLAIN returns (`[{"Plan": …, "Execution Time": …}]`).
pub fn parse(json: &str) -> Result<ExplainRun, String> {
    let document: Value = serde_json::from_str(json)
        .map_err(|error| format!("unreadable EXPLAIN output: {error}"))?;
    let top = document
        .as_array()
        .and_then(|items| items.first())
        .ok_or("EXPLAIN output is not a list of plans")?;
    let execution_ms = top
        .get("Execution Time")
        .and_then(Value::as_f64)
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
        .ok_or("EXPLAIN output has no \"Execution Time\"")?;
    Ok(ExplainRun {
        execution_ms,
        index_names: index_names(top.get("Plan").unwrap_or(&Value::Null)),
    })
}

/// Walks the plan with an explicit stack: plans can nest deeply.
fn index_names(plan: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut pending = vec![plan];
    while let Some(node) = pending.pop() {
        if let Some(name) = node.get("Index Name").and_then(Value::as_str) {
            names.insert(name.to_owned());
        }
        if let Some(children) = node.get("Plans").and_then(Value::as_array) {
            pending.extend(children);
        }
    }
    names
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        len if len % 2 == 1 => Some(sorted[middle]),
        _ => Some((sorted[middle - 1] + sorted[middle]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_execution_time_and_nested_index_names() {
        let json = r#"[{"Plan": {"Node Type": "Nested Loop", "Plans": [
            {"Node Type": "Index Scan", "Index Name": "orders_pkey"},
            {"Node Type": "Bitmap Heap Scan", "Plans": [
                {"Node Type": "Bitmap Index Scan", "Index Name": "optischema_candidate_1"}]}]},
            "Planning Time": 0.1, "Execution Time": 12.5}]"#;
        let run = parse(json).unwrap();
        assert_eq!(run.execution_ms, 12.5);
        assert_eq!(
            run.index_names.into_iter().collect::<Vec<_>>(),
            vec!["optischema_candidate_1", "orders_pkey"]
        );
    }

    #[test]
    fn malformed_output_is_an_error_not_a_panic() {
        for json in [
            "",
            "{}",
            "[]",
            "[{}]",
            r#"[{"Execution Time": "x"}]"#,
            "[1]",
        ] {
            assert!(parse(json).is_err(), "{json}");
        }
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
