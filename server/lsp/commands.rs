//! Commands the server executes (`workspace/executeCommand`).

/// Show the plan of the statement under the cursor.
pub const EXPLAIN: &str = "optischema.explain";
/// Start the advisor on a statement.
pub const ANALYZE: &str = "optischema.analyze";
/// Record an applied action in the audit log.
pub const RECORD_APPLIED: &str = "optischema.recordApplied";

pub const COMMANDS: &[&str] = &[EXPLAIN, ANALYZE, RECORD_APPLIED];
