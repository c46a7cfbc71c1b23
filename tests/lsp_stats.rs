//! Live statistics through the language server: a real PostgreSQL with
//! pg_stat_statements, a workload, and the built binary over LSP.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::workload::run_with_params;
use support::{LspClient, PgCluster, temp_workspace};

const SCHEMA: &str = "
CREATE EXTENSION pg_stat_statements;
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, country text NOT NULL);
INSERT INTO customers SELECT g, 'user' || g || '@example.com', 'country' || (g % 20) FROM generate_series(1, 5000) g;
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, total integer NOT NULL);
INSERT INTO orders SELECT g, g % 5000 + 1, g % 100 FROM generate_series(1, 50000) g;
CREATE INDEX orders_customer ON orders (customer_id);
ANALYZE;
";

/// The statement the "application" runs with bind parameters.
const BY_CUSTOMER_PARAM: &str = "SELECT id, total FROM orders WHERE customer_id = $1";
/// The same statement as a developer writes it in a .sql file.
const FILE: &str = "-- orders of one customer\n\
SELECT id, total FROM orders WHERE customer_id = 42;\n\
\n\
SELECT pg_sleep(0.02);\n\
\n\
SELECT email FROM customers WHERE id = 7 AND country = 'never-run';\n";

fn cluster() -> PgCluster {
    let cluster = PgCluster::start();
    cluster.psql("postgres", SCHEMA);
    cluster.psql("postgres", "SELECT pg_stat_statements_reset();");
    cluster
}

fn start_server(cluster: &PgCluster, history_dir: &std::path::Path, extra: Value) -> LspClient {
    let mut client = LspClient::start(&["lsp"]);
    let mut options = json!({
        "database": {"url": cluster.superuser_url()},
        "stats": {"intervalSeconds": 0.5, "historyDir": history_dir},
        "thresholds": {"slowMeanMs": 10, "hotSharePercent": 30}
    });
    merge(&mut options, extra);
    client.initialize(options, None);
    client
}

fn merge(target: &mut Value, extra: Value) {
    if let (Value::Object(target), Value::Object(extra)) = (target, extra) {
        for (key, value) in extra {
            match target.get_mut(&key) {
                Some(existing) if existing.is_object() => merge(existing, value),
                _ => {
                    target.insert(key, value);
                }
            }
        }
    }
}

fn hover_at(client: &mut LspClient, uri: &str, line: u32) -> String {
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": 2}}),
        )
        .expect("hover answers");
    hover["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Waits until the hover on `line` satisfies `predicate` (the collector
/// polls in the background; requests never wait for it).
fn wait_hover(
    client: &mut LspClient,
    uri: &str,
    line: u32,
    predicate: impl Fn(&str) -> bool,
) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let markdown = hover_at(client, uri, line);
        if predicate(&markdown) {
            return markdown;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "hover never matched; last:\n{markdown}\n{}",
            client.stderr_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn codes(diagnostics: &[Value]) -> Vec<&str> {
    diagnostics
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect()
}

#[test]
fn workload_numbers_reach_hover_lens_and_diagnostics() {
    let cluster = cluster();
    cluster.psql(
        "postgres",
        "CREATE ROLE app LOGIN; GRANT SELECT ON ALL TABLES IN SCHEMA public TO app;",
    );
    let history = tempfile::tempdir().unwrap();
    let mut client = start_server(&cluster, history.path(), json!({}));
    let workspace = temp_workspace();
    let uri = workspace.write("queries.sql", FILE);
    client.did_open(&uri, FILE);

    // The application: bind parameters, two different roles.
    let params: Vec<Vec<i64>> = (1..=30).map(|id| vec![id]).collect();
    run_with_params(&cluster.superuser_url(), BY_CUSTOMER_PARAM, &params);
    run_with_params(
        &cluster.url_for("postgres", "app"),
        BY_CUSTOMER_PARAM,
        &params[..10],
    );
    // A developer ran the literal form once from psql too.
    cluster.psql(
        "postgres",
        "SELECT id, total FROM orders WHERE customer_id = 42;",
    );
    for _ in 0..30 {
        cluster.psql("postgres", "SELECT pg_sleep(0.02);");
    }

    // Literal file text matches the parameterized entries of both roles and
    // the literal entry: 30 + 10 + 1 calls, several queryids aggregated.
    let markdown = wait_hover(&mut client, &uri, 1, |m| m.contains("| calls | 41"));
    assert!(markdown.contains("queryid"), "{markdown}");
    let queryids = markdown.split("queryid ").nth(1).unwrap_or_default();
    assert!(
        queryids.contains(','),
        "several queryids behind one statement: {markdown}"
    );
    assert!(markdown.contains("| time | mean"), "{markdown}");

    // Never executed: says so, with how long we have been watching.
    let unmatched = hover_at(&mut client, &uri, 5);
    assert!(
        unmatched.contains("Not seen in `pg_stat_statements`"),
        "{unmatched}"
    );

    // pg_sleep(0.02) is slow (> 10 ms) and hot (most of the database's time).
    let diagnostics = client.diagnostics_for(&uri, |d| {
        let codes = codes(d);
        codes.contains(&"slow-statement") && codes.contains(&"hot-statement")
    });
    let slow = diagnostics
        .iter()
        .find(|d| d["code"] == "slow-statement")
        .unwrap();
    assert_eq!(slow["range"]["start"]["line"], 3);
    let message = slow["message"].as_str().unwrap();
    // pg_sleep's own clock and pg_stat_statements' timer differ by a few
    // percent on some virtual machines: the mean is about 20 ms, above 10.
    let mean_ms: f64 = message
        .split("mean ")
        .nth(1)
        .and_then(|rest| rest.split(" ms").next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no mean in {message}"));
    assert!((15.0..40.0).contains(&mean_ms), "{message}");
    assert!(message.contains("threshold 10.0 ms"), "{message}");

    let lenses = client
        .request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": uri}}),
        )
        .unwrap();
    let titles: Vec<&str> = lenses
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|lens| lens["command"]["title"].as_str())
        .collect();
    assert_eq!(
        titles.len(),
        2,
        "one lens per matched statement: {titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.contains("ms avg") && t.contains("% of DB time")),
        "{titles:?}"
    );
    // Clicking a lens explains its statement.
    for lens in lenses.as_array().unwrap() {
        assert_eq!(lens["command"]["command"], "optischema.explain", "{lens}");
        assert_eq!(
            lens["command"]["arguments"][0]["uri"],
            uri.as_str(),
            "{lens}"
        );
        assert_eq!(
            lens["command"]["arguments"][0]["position"], lens["range"]["start"],
            "{lens}"
        );
    }
    assert!(client.shutdown_and_exit().success());
}

#[test]
fn a_role_without_read_all_stats_is_told_the_fix() {
    let cluster = cluster();
    cluster.psql("postgres", "CREATE ROLE watcher LOGIN;");
    let history = tempfile::tempdir().unwrap();
    let mut client = LspClient::start(&["lsp"]);
    client.initialize(
        json!({
            "database": {"url": cluster.url_for("postgres", "watcher")},
            "stats": {"intervalSeconds": 0.5, "historyDir": history.path()}
        }),
        None,
    );
    let message = client.wait_notification(
        "window/showMessage",
        |m| {
            m["message"]
                .as_str()
                .is_some_and(|t| t.contains("pg_read_all_stats"))
        },
        Duration::from_secs(20),
    );
    assert!(
        message["message"]
            .as_str()
            .unwrap()
            .contains("GRANT pg_read_all_stats TO watcher"),
        "{message}"
    );
}

#[test]
fn missing_extension_and_no_database_get_one_clear_message() {
    let cluster = PgCluster::start();
    let history = tempfile::tempdir().unwrap();
    let mut client = LspClient::start(&["lsp"]);
    client.initialize(
        json!({"database": {"url": cluster.superuser_url()}, "stats": {"intervalSeconds": 0.2, "historyDir": history.path()}}),
        None,
    );
    client.wait_notification(
        "window/showMessage",
        |m| {
            m["message"]
                .as_str()
                .is_some_and(|t| t.contains("CREATE EXTENSION pg_stat_statements"))
        },
        Duration::from_secs(20),
    );
    // Retries keep failing the same way: no repeated message.
    std::thread::sleep(Duration::from_secs(4));
    let told = client
        .notifications_seen("window/showMessage")
        .iter()
        .filter(|m| {
            m["message"]
                .as_str()
                .is_some_and(|t| t.contains("CREATE EXTENSION"))
        })
        .count();
    assert_eq!(told, 1);
    // Once the extension exists, the collector recovers by itself.
    cluster.psql("postgres", "CREATE EXTENSION pg_stat_statements;");
    client.wait_notification(
        "window/showMessage",
        |m| {
            m["message"]
                .as_str()
                .is_some_and(|t| t.contains("is reading statistics"))
        },
        Duration::from_secs(30),
    );

    let mut offline = LspClient::start(&["lsp"]);
    offline.initialize(json!({}), None);
    offline.wait_notification(
        "window/showMessage",
        |m| {
            m["message"]
                .as_str()
                .is_some_and(|t| t.contains("no database configured"))
        },
        Duration::from_secs(10),
    );
}

#[test]
fn reset_and_server_restart_never_give_negative_or_doubled_numbers() {
    let mut cluster = cluster();
    let history = tempfile::tempdir().unwrap();
    let mut client = start_server(&cluster, history.path(), json!({}));
    let workspace = temp_workspace();
    let uri = workspace.write("q.sql", FILE);
    client.did_open(&uri, FILE);
    let params: Vec<Vec<i64>> = (1..=20).map(|id| vec![id]).collect();
    run_with_params(&cluster.superuser_url(), BY_CUSTOMER_PARAM, &params);
    wait_hover(&mut client, &uri, 1, |m| m.contains("| calls | 20 "));

    // After a reset, pg_stat_statements counts from zero again.
    cluster.psql("postgres", "SELECT pg_stat_statements_reset();");
    run_with_params(&cluster.superuser_url(), BY_CUSTOMER_PARAM, &params[..5]);
    wait_hover(&mut client, &uri, 1, |m| m.contains("| calls | 5 "));

    // A restart: the database goes away (numbers kept, marked stale, told
    // once), comes back, and counting continues where pg_stat_statements
    // saved it.
    cluster.stop();
    let stale = wait_hover(&mut client, &uri, 1, |m| m.contains("stale"));
    assert!(stale.contains("| calls | 5 "), "last numbers kept: {stale}");
    client.wait_notification(
        "window/showMessage",
        |m| {
            m["message"].as_str().is_some_and(|t| {
                t.contains("lost the statistics connection") || t.contains("cannot read statistics")
            })
        },
        Duration::from_secs(20),
    );
    cluster.restart();
    run_with_params(&cluster.superuser_url(), BY_CUSTOMER_PARAM, &params[..3]);
    // 5 before the restart (saved by pg_stat_statements) + 3 after: not 13.
    wait_hover(&mut client, &uri, 1, |m| {
        m.contains("| calls | 8 ") && !m.contains("stale")
    });
    let problems = client
        .notifications_seen("window/showMessage")
        .iter()
        .filter(|m| m["type"] == 2)
        .count();
    assert!(
        problems <= 2,
        "the outage is told once, not per poll ({problems})"
    );
}

#[test]
fn a_latency_regression_shows_and_clears() {
    let cluster = cluster();
    let history = tempfile::tempdir().unwrap();
    let mut client = start_server(
        &cluster,
        history.path(),
        json!({"thresholds": {"regressionMinCalls": 10, "slowMeanMs": 100000, "hotSharePercent": 100}}),
    );
    let workspace = temp_workspace();
    let uri = workspace.write("q.sql", FILE);
    client.did_open(&uri, FILE);
    let batch: Vec<Vec<i64>> = (1..=40).map(|id| vec![id]).collect();
    let run_for = |seconds: u64| {
        let end = std::time::Instant::now() + Duration::from_secs(seconds);
        while std::time::Instant::now() < end {
            run_with_params(&cluster.superuser_url(), BY_CUSTOMER_PARAM, &batch);
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    // Baseline with the index, then the index is dropped: every call scans.
    run_for(4);
    cluster.psql("postgres", "DROP INDEX orders_customer;");
    run_for(4);
    let diagnostics = client.diagnostics_for(&uri, |d| codes(d).contains(&"latency-regression"));
    let regression = diagnostics
        .iter()
        .find(|d| d["code"] == "latency-regression")
        .unwrap();
    assert_eq!(regression["range"]["start"]["line"], 1);
    assert!(
        regression["message"].as_str().unwrap().contains("up "),
        "{regression}"
    );

    // The index is back: once the short window holds only fast calls, it clears.
    cluster.psql(
        "postgres",
        "CREATE INDEX orders_customer ON orders (customer_id); ANALYZE orders;",
    );
    run_for(5);
    client.diagnostics_for(&uri, |d| !codes(d).contains(&"latency-regression"));
}

#[test]
fn trends_survive_a_language_server_restart() {
    let cluster = cluster();
    let history = tempfile::tempdir().unwrap();
    let workspace = temp_workspace();
    let uri = workspace.write("q.sql", FILE);
    let params: Vec<Vec<i64>> = (1..=20).map(|id| vec![id]).collect();
    {
        let mut client = start_server(&cluster, history.path(), json!({}));
        client.did_open(&uri, FILE);
        wait_hover(&mut client, &uri, 1, |m| {
            m.contains("watching since") || m.contains("| calls |")
        });
        for _ in 0..3 {
            run_with_params(&cluster.superuser_url(), BY_CUSTOMER_PARAM, &params);
            std::thread::sleep(Duration::from_millis(700));
        }
        wait_hover(&mut client, &uri, 1, |m| {
            m.contains("Mean latency over the last")
        });
        assert!(client.shutdown_and_exit().success());
    }
    assert!(
        std::fs::read_dir(history.path()).unwrap().count() > 0,
        "history was written to the configured directory"
    );
    // A new server process: the trend is there before any new calls.
    let mut client = start_server(&cluster, history.path(), json!({}));
    client.did_open(&uri, FILE);
    let markdown = wait_hover(&mut client, &uri, 1, |m| m.contains("| calls |"));
    assert!(
        markdown.contains("Mean latency over the last"),
        "{markdown}"
    );
}

#[test]
fn differently_written_statement_matches_by_query_identifier() {
    let cluster = cluster();
    let history = tempfile::tempdir().unwrap();
    let mut client = start_server(&cluster, history.path(), json!({}));
    let params: Vec<Vec<i64>> = (1..=12).map(|id| vec![id]).collect();
    run_with_params(&cluster.superuser_url(), BY_CUSTOMER_PARAM, &params);
    // Same parse tree as the application's statement, different text: a
    // schema prefix and an alias change the fingerprint, not the queryid.
    let text = "SELECT o1.id, o1.total FROM public.orders AS o1 WHERE o1.customer_id = 42;\n\
                SELECT o1.id FROM public.orders AS o1 WHERE o1.customer_id = 42;\n";
    let workspace = temp_workspace();
    let uri = workspace.write("aliased.sql", text);
    client.did_open(&uri, text);
    let markdown = wait_hover(&mut client, &uri, 0, |m| m.contains("| calls | 12"));
    assert!(markdown.contains("queryid"), "{markdown}");
    // A different statement (fewer columns) never borrows those numbers.
    std::thread::sleep(Duration::from_secs(2));
    let other = hover_at(&mut client, &uri, 1);
    assert!(
        other.contains("Not seen in `pg_stat_statements`"),
        "{other}"
    );
}
