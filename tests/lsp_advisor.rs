//! Explain & fix through the language server: a schema with planted missing
//! indexes, a workload, HypoPG on the monitored database (as a read-only
//! role), a sandbox database, and the built binary over LSP.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::advisor::{MonitoredWithSandbox, workspace_edit_capabilities};
use support::commands::{code_actions, explain, statement_command, titles};
use support::{LspClient, temp_workspace};

const SCHEMA: &str = "
CREATE EXTENSION pg_stat_statements;
CREATE EXTENSION hypopg;
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);
INSERT INTO customers SELECT g, 'c' || g || '@example.com' FROM generate_series(1, 20000) g;
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, total integer NOT NULL);
-- Planted: no index on orders.customer_id. Some orders have no customer.
INSERT INTO orders SELECT g, CASE WHEN g % 500 = 0 THEN NULL ELSE g % 20000 + 1 END, g % 1000
  FROM generate_series(1, 120000) g;
CREATE TABLE flags (id int PRIMARY KEY, enabled boolean NOT NULL);
INSERT INTO flags SELECT g, g % 2 = 0 FROM generate_series(1, 20) g;
ANALYZE;
";

const FILE: &str = "-- orders page\n\
SELECT id, total FROM orders WHERE customer_id = $1;\n\
\n\
-- customers without orders (NOT IN over a nullable column)\n\
SELECT c.id FROM customers c WHERE c.id NOT IN (SELECT o.customer_id FROM orders o);\n\
\n\
SELECT id FROM flags WHERE enabled = true;\n";

fn setup() -> MonitoredWithSandbox {
    let params: Vec<Vec<i64>> = (1..=30).map(|id| vec![id * 7]).collect();
    MonitoredWithSandbox::start(
        SCHEMA,
        "SELECT id, total FROM orders WHERE customer_id = $1",
        &params,
    )
}

fn start(setup: &MonitoredWithSandbox, root: &support::TempWorkspace, sandbox: bool) -> LspClient {
    let mut client = LspClient::builder()
        .args(&["lsp"])
        .root_uri(&root.uri)
        .start();
    let mut options = json!({
        "database": {"url": setup.monitor_url},
        "stats": {"intervalSeconds": 0.5, "catalogRefreshSeconds": 1, "historyDir": root.path.join(".history")},
    });
    if sandbox {
        options["sandbox"] = json!({"url": setup.sandbox_url});
    }
    client.initialize(options, Some(workspace_edit_capabilities()));
    client
}

fn analyze(client: &mut LspClient, uri: &str, line: u32) {
    let answer = statement_command(client, "optischema.analyze", uri, line);
    assert!(
        answer.is_null() || answer["markdown"].is_string(),
        "{answer}"
    );
}

fn wait_analysis_done(client: &mut LspClient) -> String {
    let message = client.wait_notification(
        "window/showMessage",
        |m| {
            m["message"].as_str().is_some_and(|t| {
                t.contains("validated fix")
                    || t.contains("no fix")
                    || t.contains("no validated fix")
            })
        },
        Duration::from_secs(120),
    );
    message["message"].as_str().unwrap_or_default().to_string()
}

#[test]
fn planted_index_is_offered_with_measured_gain_and_nothing_else_is() {
    let setup = setup();
    let root = temp_workspace();
    let uri = root.write("queries.sql", FILE);
    let mut client = start(&setup, &root, true);
    client.did_open(&uri, FILE);

    // Before analysis: only the commands are offered.
    let before = titles(&code_actions(&mut client, &uri, 1));
    assert!(
        before.iter().any(|t| t.contains("Analyze this statement")),
        "{before:?}"
    );
    assert!(
        !before.iter().any(|t| t.starts_with("Add index")),
        "{before:?}"
    );

    analyze(&mut client, &uri, 1);
    let summary = wait_analysis_done(&mut client);
    assert!(
        summary.contains("validated fix"),
        "{summary}\n{}",
        client.stderr_text()
    );
    let progress = client.notifications_seen("$/progress");
    assert!(
        progress.iter().any(|p| p["value"]["kind"] == "begin"),
        "progress was reported"
    );
    assert!(progress.iter().any(|p| p["value"]["kind"] == "end"));

    let actions = code_actions(&mut client, &uri, 1);
    let index_actions: Vec<&Value> = actions
        .iter()
        .filter(|a| {
            a["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Add index"))
        })
        .collect();
    assert_eq!(
        index_actions.len(),
        1,
        "exactly the planted index: {:?}",
        titles(&actions)
    );
    let action = index_actions[0];
    let title = action["title"].as_str().unwrap();
    assert!(
        title.starts_with("Add index on orders (customer_id) — sandbox: "),
        "{title}"
    );
    assert!(title.contains(" → "), "{title}");

    // The edit creates a migration with CREATE INDEX CONCURRENTLY.
    let operations = action["edit"]["documentChanges"].as_array().unwrap();
    assert_eq!(operations[0]["kind"], "create");
    let created = operations[0]["uri"].as_str().unwrap();
    assert!(
        created.contains("/migrations/") && created.ends_with("_add_orders_customer_id_idx.sql"),
        "{created}"
    );
    let text = operations[1]["edits"][0]["newText"].as_str().unwrap();
    assert!(text.contains("SET lock_timeout"), "{text}");
    assert!(text.contains("CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);"), "{text}");

    // Applying runs the command that writes the audit trail.
    let command = &action["command"];
    client
        .request(
            "workspace/executeCommand",
            json!({"command": command["command"], "arguments": command["arguments"]}),
        )
        .unwrap();
    let audit = std::fs::read_to_string(root.path.join(".optischema/audit.jsonl")).unwrap();
    let entry: Value = serde_json::from_str(audit.lines().next().unwrap()).unwrap();
    assert_eq!(entry["action"], "index");
    assert_eq!(entry["indexName"], "orders_customer_id_idx");
    assert_eq!(entry["evidence"]["kind"], "sandbox-timing");

    // The NOT IN rewrite changes results here (NULL customer ids): not offered.
    analyze(&mut client, &uri, 4);
    wait_analysis_done(&mut client);
    let rewrite_titles = titles(&code_actions(&mut client, &uri, 4));
    assert!(
        !rewrite_titles.iter().any(|t| t.starts_with("Rewrite")),
        "{rewrite_titles:?}"
    );
    let markdown = explain(&mut client, &uri, 4);
    assert!(
        markdown.contains("different rows") || markdown.contains("not offered"),
        "{markdown}"
    );

    // A tiny table: candidates are not worth it, nothing offered.
    analyze(&mut client, &uri, 6);
    wait_analysis_done(&mut client);
    let flag_titles = titles(&code_actions(&mut client, &uri, 6));
    assert!(
        !flag_titles.iter().any(|t| t.starts_with("Add index")),
        "{flag_titles:?}"
    );
    assert!(client.shutdown_and_exit().success());

    // The sandbox has nothing left behind.
    let leftovers = setup
        .cluster
        .psql("sandbox", "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'optischema%' OR (tablename = 'orders' AND indexdef LIKE '%customer_id%');");
    assert_eq!(leftovers.trim(), "0");
    // The monitored database received no DDL or DML from the monitor role.
    let ran = setup.cluster.psql(
        "app",
        "SELECT regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'monitor';",
    );
    for statement in ran.lines() {
        let verb = statement
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        assert!(
            [
                "SELECT",
                "EXPLAIN",
                "SHOW",
                "SET",
                "PREPARE",
                "DEALLOCATE",
                "BEGIN",
                "START",
                "ROLLBACK",
                "WITH"
            ]
            .contains(&verb.as_str())
                || statement.trim_start().starts_with("--"),
            "the monitor ran: {statement}"
        );
    }
    let modifying = setup.cluster.psql(
        "app",
        "SELECT count(*) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'monitor' AND query ~* '^\\s*(create|alter|drop|insert|update|delete|truncate|grant)';",
    );
    assert_eq!(modifying.trim(), "0");
    let indexes = setup.cluster.psql(
        "app",
        "SELECT count(*) FROM pg_indexes WHERE tablename = 'orders';",
    );
    assert_eq!(
        indexes.trim(),
        "1",
        "only the primary key: nothing was built on the monitored database"
    );
}

#[test]
fn without_a_sandbox_indexes_are_planner_estimates_and_rewrites_are_not_offered() {
    let setup = setup();
    let root = temp_workspace();
    let uri = root.write("queries.sql", FILE);
    let mut client = start(&setup, &root, false);
    client.did_open(&uri, FILE);
    analyze(&mut client, &uri, 1);
    wait_analysis_done(&mut client);
    let titles = titles(&code_actions(&mut client, &uri, 1));
    let index: Vec<&String> = titles
        .iter()
        .filter(|t| t.starts_with("Add index"))
        .collect();
    let details = explain(&mut client, &uri, 1);
    assert_eq!(index.len(), 1, "{titles:?}\n{}", details);
    assert!(index[0].contains("planner estimate: cost "), "{}", index[0]);

    analyze(&mut client, &uri, 4);
    wait_analysis_done(&mut client);
    let markdown = explain(&mut client, &uri, 4);
    assert!(
        markdown.contains("sandbox.url"),
        "rewrites need the sandbox: {markdown}"
    );
}
