//! Reading `EXPLAIN (FORMAT JSON)` output into a [`Plan`].
//!
//! Fields PostgreSQL adds in later versions are ignored; a field we read
//! that has the wrong type, or a missing node type or cost, makes the whole
//! plan an error rather than a silently wrong tree.

use serde_json::{Map, Value};

use super::error::PlanError;
use super::model::{Actual, Plan, PlanNode};

type Object = Map<String, Value>;

/// Parses the text `EXPLAIN (FORMAT JSON …)` returned.
///
/// A statement that rewrite rules expand into several queries gets several
/// plans; the first is returned (it is the one for the statement as written,
/// or its `INSTEAD` replacement).
pub fn parse_plan(json: &str) -> Result<Plan, PlanError> {
    let value: Value =
        serde_json::from_str(json).map_err(|error| malformed(format!("not JSON: {error}")))?;
    let entry = match &value {
        Value::Array(entries) => entries.first(),
        // Tolerate a single object, as some tools store plans that way.
        Value::Object(_) => Some(&value),
        _ => None,
    }
    .and_then(Value::as_object)
    .ok_or_else(|| malformed("expected an array holding one object with a \"Plan\"".into()))?;
    let root = entry
        .get("Plan")
        .and_then(Value::as_object)
        .ok_or_else(|| malformed("no \"Plan\" object".into()))?;
    Ok(Plan {
        root: parse_node(root)?,
        query_identifier: query_identifier(entry)?,
        planning_ms: number(entry, "Planning Time")?,
        execution_ms: number(entry, "Execution Time")?,
    })
}

fn parse_node(node: &Object) -> Result<PlanNode, PlanError> {
    let node_type =
        text(node, "Node Type")?.ok_or_else(|| malformed("a node without \"Node Type\"".into()))?;
    let required = |field: &str| -> Result<f64, PlanError> {
        number(node, field)?
            .ok_or_else(|| malformed(format!("{node_type} node without \"{field}\"")))
    };
    let relation = match (text(node, "Schema")?, text(node, "Relation Name")?) {
        (Some(schema), Some(name)) => Some(format!("{schema}.{name}")),
        (None, name) => name,
        (Some(_), None) => None,
    };
    let children = match node.get("Plans") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(plans)) => plans
            .iter()
            .map(|child| {
                child
                    .as_object()
                    .ok_or_else(|| malformed(format!("a child of {node_type} is not an object")))
                    .and_then(parse_node)
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(malformed(format!(
                "\"Plans\" of {node_type} is not an array"
            )));
        }
    };
    Ok(PlanNode {
        operation: text(node, "Operation")?,
        parent_relationship: text(node, "Parent Relationship")?,
        subplan_name: text(node, "Subplan Name")?,
        relation,
        alias: text(node, "Alias")?,
        index_name: text(node, "Index Name")?,
        join_type: text(node, "Join Type")?,
        strategy: text(node, "Strategy")?,
        parallel_aware: node
            .get("Parallel Aware")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        startup_cost: required("Startup Cost")?,
        total_cost: required("Total Cost")?,
        plan_rows: required("Plan Rows")?,
        plan_width: number(node, "Plan Width")?.unwrap_or(0.0),
        filter: text(node, "Filter")?,
        index_cond: text(node, "Index Cond")?,
        recheck_cond: text(node, "Recheck Cond")?,
        join_filter: text(node, "Join Filter")?,
        hash_cond: text(node, "Hash Cond")?,
        merge_cond: text(node, "Merge Cond")?,
        sort_key: texts(node, "Sort Key")?,
        actual: actual(node)?,
        children,
        node_type,
    })
}

/// Present when `ANALYZE` with timing measured the node; a node that never
/// ran reports zero loops.
fn actual(node: &Object) -> Result<Option<Actual>, PlanError> {
    let (Some(total_ms), Some(loops)) = (
        number(node, "Actual Total Time")?,
        number(node, "Actual Loops")?,
    ) else {
        return Ok(None);
    };
    Ok(Some(Actual {
        startup_ms: number(node, "Actual Startup Time")?.unwrap_or(0.0),
        total_ms,
        rows: number(node, "Actual Rows")?.unwrap_or(0.0),
        loops,
        rows_removed_by_filter: number(node, "Rows Removed by Filter")?,
    }))
}

/// PostgreSQL prints the identifier as a signed 64-bit integer; a value
/// above `i64::MAX` can only come from another tool printing it unsigned,
/// and is the same bits.
fn query_identifier(entry: &Object) -> Result<Option<i64>, PlanError> {
    match entry.get("Query Identifier") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_i64()
            .or_else(|| value.as_u64().map(|unsigned| unsigned as i64))
            .map(Some)
            .ok_or_else(|| malformed(format!("\"Query Identifier\" is not an integer: {value}"))),
    }
}

fn text(object: &Object, field: &str) -> Result<Option<String>, PlanError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(malformed(format!("\"{field}\" is not a string: {other}"))),
    }
}

fn texts(object: &Object, field: &str) -> Result<Vec<String>, PlanError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| malformed(format!("\"{field}\" holds a non-string: {item}")))
            })
            .collect(),
        Some(other) => Err(malformed(format!("\"{field}\" is not an array: {other}"))),
    }
}

fn number(object: &Object, field: &str) -> Result<Option<f64>, PlanError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_f64()
            .map(Some)
            .ok_or_else(|| malformed(format!("\"{field}\" is not a number: {value}"))),
    }
}

fn malformed(detail: String) -> PlanError {
    PlanError::Malformed { detail }
}

#[cfg(test)]
mod tests;
