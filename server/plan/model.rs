//! A query plan as plain data: what `EXPLAIN (FORMAT JSON)` prints, typed.
//!
//! Only the fields the diagnostics, the renderer and the advisor read are
//! kept; PostgreSQL adds fields between versions and they are ignored.

use serde::{Deserialize, Serialize};

/// One statement's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub root: PlanNode,
    /// `Query Identifier` (PostgreSQL 14+, printed with `VERBOSE` when
    /// `compute_query_id` is on): pg_stat_statements' `queryid` for the
    /// statement as planned.
    pub query_identifier: Option<i64>,
    /// `Planning Time` (with `ANALYZE` or `SUMMARY`).
    pub planning_ms: Option<f64>,
    /// `Execution Time` (with `ANALYZE`).
    pub execution_ms: Option<f64>,
}

/// One node of a plan tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanNode {
    /// `Seq Scan`, `Index Scan`, `Hash Join`, `ModifyTable`, …
    pub node_type: String,
    /// For `ModifyTable`: `Insert`, `Update`, `Delete`, `Merge`.
    pub operation: Option<String>,
    /// How the parent uses this node: `Outer`, `Inner`, `InitPlan`, `SubPlan`, …
    pub parent_relationship: Option<String>,
    /// `SubPlan 1`, `InitPlan 1 (returns $0)`, `CTE x`.
    pub subplan_name: Option<String>,
    /// The scanned or modified table: `schema.name` when `VERBOSE` printed
    /// the schema, else the bare name.
    pub relation: Option<String>,
    pub alias: Option<String>,
    pub index_name: Option<String>,
    /// For joins: `Inner`, `Left`, `Semi`, `Anti`, …
    pub join_type: Option<String>,
    /// For aggregates: `Plain`, `Sorted`, `Hashed`, `Mixed`.
    pub strategy: Option<String>,
    /// Whether the node runs in parallel workers (`Parallel Seq Scan` is a
    /// `Seq Scan` with this set).
    pub parallel_aware: bool,
    pub startup_cost: f64,
    pub total_cost: f64,
    /// Estimated rows per loop.
    pub plan_rows: f64,
    pub plan_width: f64,
    pub filter: Option<String>,
    pub index_cond: Option<String>,
    pub recheck_cond: Option<String>,
    pub join_filter: Option<String>,
    pub hash_cond: Option<String>,
    pub merge_cond: Option<String>,
    pub sort_key: Vec<String>,
    /// Measured by `EXPLAIN ANALYZE` (sandbox plans only).
    pub actual: Option<Actual>,
    pub children: Vec<PlanNode>,
}

/// What `EXPLAIN ANALYZE` measured for one node. Times and rows are per
/// loop, as PostgreSQL prints them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Actual {
    pub startup_ms: f64,
    pub total_ms: f64,
    pub rows: f64,
    pub loops: f64,
    /// `Rows Removed by Filter`, summed over loops.
    pub rows_removed_by_filter: Option<f64>,
}

impl PlanNode {
    /// A node with only its type and costs set, for building trees in tests
    /// and by hand.
    pub fn new(node_type: &str, startup_cost: f64, total_cost: f64, plan_rows: f64) -> PlanNode {
        PlanNode {
            node_type: node_type.to_owned(),
            operation: None,
            parent_relationship: None,
            subplan_name: None,
            relation: None,
            alias: None,
            index_name: None,
            join_type: None,
            strategy: None,
            parallel_aware: false,
            startup_cost,
            total_cost,
            plan_rows,
            plan_width: 0.0,
            filter: None,
            index_cond: None,
            recheck_cond: None,
            join_filter: None,
            hash_cond: None,
            merge_cond: None,
            sort_key: Vec::new(),
            actual: None,
            children: Vec::new(),
        }
    }

    /// This node and all below it, parents before children.
    pub fn walk(&self) -> impl Iterator<Item = &PlanNode> {
        let mut pending = vec![self];
        std::iter::from_fn(move || {
            let node = pending.pop()?;
            pending.extend(node.children.iter().rev());
            Some(node)
        })
    }

    /// Whether this node reads an index (so a hypothetical index "is used").
    pub fn is_index_scan(&self) -> bool {
        matches!(
            self.node_type.as_str(),
            "Index Scan" | "Index Only Scan" | "Bitmap Index Scan"
        )
    }

    /// The estimated cost of this node alone: its total minus its children's
    /// totals, never below zero (a `Limit` stops its child early, so its
    /// total is less than the child's).
    pub fn self_cost(&self) -> f64 {
        let children: f64 = self.children.iter().map(|child| child.total_cost).sum();
        (self.total_cost - children).max(0.0)
    }

    /// The measured time of this node alone across all its loops, when
    /// `ANALYZE` measured it.
    pub fn self_time_ms(&self) -> Option<f64> {
        let own = self.actual?.total_ms * self.actual?.loops;
        let children = self
            .children
            .iter()
            .map(|child| child.actual.map(|a| a.total_ms * a.loops))
            .sum::<Option<f64>>()?;
        Some((own - children).max(0.0))
    }
}

impl Plan {
    /// Whether the plan uses the named index anywhere.
    pub fn uses_index(&self, index_name: &str) -> bool {
        self.root
            .walk()
            .any(|node| node.is_index_scan() && node.index_name.as_deref() == Some(index_name))
    }

    /// Whether every node was measured (`EXPLAIN ANALYZE`).
    pub fn is_analyzed(&self) -> bool {
        self.root.walk().all(|node| node.actual.is_some())
    }

    pub fn total_cost(&self) -> f64 {
        self.root.total_cost
    }
}
