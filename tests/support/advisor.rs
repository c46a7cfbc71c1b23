//! The databases and client capabilities the advisor and AI tests share.

use serde_json::{Value, json};

use super::PgCluster;
use super::workload::run_with_params;

/// A monitored database `app` (read by the `monitor` role, which may only
/// read) and the sandbox `sandbox`, a copy of it, in one throwaway cluster.
pub struct MonitoredWithSandbox {
    pub cluster: PgCluster,
    pub monitor_url: String,
    pub sandbox_url: String,
}

impl MonitoredWithSandbox {
    /// Creates both from `schema`, then runs `statement` once per parameter
    /// set in `app`, as an application would, for live numbers.
    pub fn start(schema: &str, statement: &str, params: &[Vec<i64>]) -> MonitoredWithSandbox {
        let cluster = PgCluster::start();
        cluster.create_database("app");
        cluster.psql("app", schema);
        cluster.psql("postgres", "CREATE DATABASE sandbox TEMPLATE app;");
        cluster.psql(
            "app",
            "CREATE ROLE monitor LOGIN;
             GRANT pg_read_all_stats TO monitor;
             GRANT SELECT ON ALL TABLES IN SCHEMA public TO monitor;
             SELECT pg_stat_statements_reset();",
        );
        run_with_params(&cluster.url_for("app", "postgres"), statement, params);
        MonitoredWithSandbox {
            monitor_url: cluster.url_for("app", "monitor"),
            sandbox_url: cluster.url_for("sandbox", "postgres"),
            cluster,
        }
    }
}

/// An editor's capabilities that can apply an action's edits, creating
/// migration files.
pub fn workspace_edit_capabilities() -> Value {
    let mut capabilities = super::lsp::default_capabilities();
    capabilities["workspace"]["workspaceEdit"] = json!({
        "documentChanges": true,
        "resourceOperations": ["create"]
    });
    capabilities
}
