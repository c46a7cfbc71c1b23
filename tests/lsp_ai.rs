//! LLM suggestions end to end: the built binary over LSP, a real
//! PostgreSQL (monitored database with HypoPG, a sandbox copy), and a local
//! OpenAI-compatible endpoint over real TCP that gives scripted answers —
//! good ones, wrong ones, hostile ones and failures.
//!
//! What is proven: AI candidates pass the same gate and the same sandbox
//! validation as rule-based ones, and only what validated is offered;
//! hostile answers never run anywhere (pg_stat_statements of both
//! databases say so); failures reach the user once, in words; what is sent
//! carries parameters, not the file's literal values, and the key only in
//! the `Authorization` header.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::advisor::{MonitoredWithSandbox, workspace_edit_capabilities};
use support::commands::{code_actions, explain, statement_command, titles};
use support::llm::{Reply, ScriptedLlm};
use support::{LspClient, PgCluster, TempWorkspace, temp_workspace};

/// The key the server reads from `OPTISCHEMA_TEST_KEY`; it must appear in
/// the `Authorization` header and nowhere else.
const KEY: &str = "sk-optischema-lsp-ai-5d2e91b7-DO-NOT-LEAK";
const KEY_ENV: &str = "OPTISCHEMA_TEST_KEY";
const MODEL: &str = "test-model";

/// Customers: 5 per region, the last 1,000 without orders (one per region).
/// Orders: 100,000 over 70 days, one a minute from midnight 2000-01-01,
/// with an index on `created_at` but not on `lower(note)` or `customer_id`.
const SCHEMA: &str = "
CREATE EXTENSION pg_stat_statements;
CREATE EXTENSION hypopg;
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, region integer NOT NULL);
INSERT INTO customers SELECT g, 'c' || g || '@example.com', g % 1000 FROM generate_series(1, 5000) g;
CREATE TABLE orders (
  id bigint PRIMARY KEY,
  customer_id bigint,
  total integer NOT NULL,
  note text NOT NULL,
  created_at timestamp NOT NULL
);
INSERT INTO orders
  SELECT g, CASE WHEN g % 500 = 0 THEN NULL ELSE g % 4000 + 1 END, g % 1000,
         'Order ' || g || ' Gift Wrap', timestamp '2000-01-01' + (g - 1) * interval '1 minute'
  FROM generate_series(1, 100000) g;
CREATE INDEX orders_created_at_idx ON orders (created_at);
ANALYZE;
";

const CUSTOMERS: &str = "5000";
const ORDERS: &str = "100000";

// The statements of the first test's file, one per analysis (the advisor
// caches per statement, and asks the model once per analysis).
/// An expression index helps; the rules only know plain columns.
const INDEX_STATEMENT: &str = "SELECT id, total FROM orders WHERE lower(note) = $1";
/// A cast on the column hides the index; a range keeps it usable.
const REWRITE_STATEMENT: &str = "SELECT id, total FROM orders WHERE created_at::date = $1";
const GOOD_REWRITE: &str =
    "SELECT id, total FROM orders WHERE created_at >= $1 AND created_at < $1 + 1";
/// The same shape; the model's rewrite loses each day's midnight order.
const WRONG_STATEMENT: &str = "SELECT id, note FROM orders WHERE created_at::date = $1";
const WRONG_REWRITE: &str =
    "SELECT id, note FROM orders WHERE created_at > $1 AND created_at < $1 + 1";
/// Hostile answers, one statement each. The first has a rule-based index
/// candidate, so the sandbox works during the hostile scenario too.
const HOSTILE_ORDERS: &str = "SELECT id, total FROM orders WHERE customer_id = $1";
/// Its literal must never leave the machine.
const HOSTILE_SECRET: &str =
    "SELECT id, region FROM customers WHERE id = $1 AND email <> 'secret-customer@example.com'";
const SECRET: &str = "secret-customer";
const HOSTILE_EMAIL: &str = "SELECT email FROM customers WHERE id = $1";
const HOSTILE_REGION: &str = "SELECT region FROM customers WHERE id = $1";
const SNEAKY_SLEEP: &str =
    "SELECT region FROM customers WHERE id = $1 AND pg_sleep(30) IS NOT NULL";

const INDEX_EXPLANATION: &str = "Every row's note is lowercased to compare it; an expression index on lower(note) finds the matching rows directly.";

/// The monitored database and the sandbox, with live numbers for one
/// statement as an application would run it.
fn databases() -> MonitoredWithSandbox {
    let customers: Vec<Vec<i64>> = (1..=20).map(|id| vec![id * 13]).collect();
    MonitoredWithSandbox::start(SCHEMA, HOSTILE_ORDERS, &customers)
}

/// A runtime whose worker threads serve the scripted endpoint while the
/// test thread drives the server.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn start_server(
    databases: &MonitoredWithSandbox,
    root: &TempWorkspace,
    llm: &ScriptedLlm,
) -> LspClient {
    let mut client = LspClient::builder()
        .args(&["lsp"])
        .root_uri(&root.uri)
        .env(KEY_ENV, KEY)
        // Everything the server logs, so that the key check below means something.
        .env("OPTISCHEMA_LOG", "debug,sqlparser=info")
        .start();
    client.initialize(
        json!({
            "database": {"url": databases.monitor_url},
            "sandbox": {"url": databases.sandbox_url},
            "stats": {"intervalSeconds": 0.5, "historyDir": root.path.join(".history")},
            "ai": {
                "baseUrl": llm.base_url(),
                "model": MODEL,
                "apiKeyEnv": KEY_ENV,
                "timeoutSeconds": 2,
                "maxRequestsPerMinute": 100
            }
        }),
        Some(workspace_edit_capabilities()),
    );
    client
}

/// A file with `statements`, one per line, each followed by a blank line;
/// returns its URI and text.
fn write_file(root: &TempWorkspace, statements: &[&str]) -> (String, String) {
    let text: String = statements
        .iter()
        .map(|statement| format!("{statement};\n\n"))
        .collect();
    (root.write("queries.sql", &text), text)
}

/// The 0-based line of the statement that starts with `statement`.
fn line_of(text: &str, statement: &str) -> u32 {
    let wanted = format!("{statement};");
    text.lines()
        .position(|line| line == wanted)
        .unwrap_or_else(|| panic!("{statement} is not in the file")) as u32
}

/// The model's answer as the prompt asks for it.
fn answer(explanation: &str, indexes: &[&str], rewrite: Option<&str>) -> Reply {
    Reply::completion(
        &json!({"explanation": explanation, "indexes": indexes, "rewrite": rewrite}).to_string(),
    )
}

/// Runs `optischema.analyze` on the statement at `line` and waits for its
/// summary message; returns the summary.
fn analyze(client: &mut LspClient, uri: &str, line: u32) -> String {
    let answer = statement_command(client, "optischema.analyze", uri, line);
    assert!(answer.is_null(), "no analysis is running yet: {answer}");
    let message = client.wait_notification(
        "window/showMessage",
        |m| {
            m["message"].as_str().is_some_and(|t| {
                t.starts_with("OptiSchema: ")
                    && (t.contains("validated fix") || t.contains("no fix"))
            })
        },
        Duration::from_secs(120),
    );
    message["message"].as_str().unwrap_or_default().to_string()
}

/// `window/showMessage` texts received so far.
fn messages(client: &mut LspClient) -> Vec<String> {
    client
        .notifications_seen("window/showMessage")
        .iter()
        .filter_map(|m| m["message"].as_str().map(str::to_string))
        .collect()
}

/// What the user message of a recorded request says about the statement.
fn user_message(body: &Value) -> String {
    body["messages"]
        .as_array()
        .and_then(|messages| messages.iter().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// Statements in pg_stat_statements of `database` that match `pattern`
/// (case-insensitive), leaving out the test's own look-ups.
fn statements_matching(cluster: &PgCluster, database: &str, pattern: &str) -> Vec<String> {
    let found = cluster.psql(
        "app",
        &format!(
            "SELECT regexp_replace(s.query, '\\s+', ' ', 'g')
             FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
             WHERE d.datname = '{database}' AND s.query ~* '{pattern}'
               AND s.query !~* 'pg_stat_statements';"
        ),
    );
    found
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn ai_suggestions_pass_the_same_gate_and_sandbox_as_rule_based_ones() {
    let runtime = runtime();
    let databases = databases();
    let root = temp_workspace();
    let (uri, text) = write_file(
        &root,
        &[
            INDEX_STATEMENT,
            REWRITE_STATEMENT,
            WRONG_STATEMENT,
            HOSTILE_ORDERS,
            HOSTILE_SECRET,
            HOSTILE_EMAIL,
            HOSTILE_REGION,
        ],
    );
    let llm = runtime.block_on(ScriptedLlm::start(Vec::new()));
    let mut client = start_server(&databases, &root, &llm);
    client.did_open(&uri, &text);

    // 1. An expression index the rules cannot produce: validated by HypoPG,
    // then timed in the sandbox, offered with the model's explanation.
    llm.push(answer(
        INDEX_EXPLANATION,
        &["CREATE INDEX ON orders (lower(note))"],
        None,
    ));
    let line = line_of(&text, INDEX_STATEMENT);
    let summary = analyze(&mut client, &uri, line);
    assert!(
        summary.contains("validated fix"),
        "{summary}\n{}",
        explain(&mut client, &uri, line)
    );
    let actions = code_actions(&mut client, &uri, line);
    let ai_index: Vec<&Value> = actions
        .iter()
        .filter(|a| {
            a["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("AI-suggested: Add index on orders"))
        })
        .collect();
    assert_eq!(
        ai_index.len(),
        1,
        "{:?}\n{}",
        titles(&actions),
        explain(&mut client, &uri, line)
    );
    let action = ai_index[0];
    let title = action["title"].as_str().unwrap();
    assert!(title.contains("on orders (lower(note)) — "), "{title}");
    assert!(
        title.contains("— sandbox: "),
        "validated in the sandbox: {title}"
    );
    let operations = action["edit"]["documentChanges"]
        .as_array()
        .expect("a migration file");
    assert_eq!(operations[0]["kind"], "create", "{operations:?}");
    let migration = operations[1]["edits"][0]["newText"].as_str().unwrap();
    assert!(
        migration.contains(&format!("-- {INDEX_EXPLANATION}\n")),
        "the model's explanation is a comment: {migration}"
    );
    assert!(
        migration.contains("CREATE INDEX CONCURRENTLY") && migration.contains("lower(note)"),
        "{migration}"
    );
    assert!(
        action["command"]["arguments"][0]["origin"] == format!("ai:{MODEL}"),
        "the audit entry names the model: {}",
        action["command"]
    );

    // 2. A rewrite that returns the same rows, faster: offered.
    llm.push(answer(
        "The cast on created_at hides its index; a range on the column uses it.",
        &[],
        Some(GOOD_REWRITE),
    ));
    let line = line_of(&text, REWRITE_STATEMENT);
    let summary = analyze(&mut client, &uri, line);
    let actions = code_actions(&mut client, &uri, line);
    let rewrites: Vec<&Value> = actions
        .iter()
        .filter(|a| {
            a["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("AI-suggested: Rewrite: "))
        })
        .collect();
    assert_eq!(
        rewrites.len(),
        1,
        "{summary}\n{:?}\n{}",
        titles(&actions),
        explain(&mut client, &uri, line)
    );
    let title = rewrites[0]["title"].as_str().unwrap();
    assert!(
        title.contains("sandbox: ") && title.contains(" row(s) for "),
        "same rows, timed: {title}"
    );
    let edit = rewrites[0]["edit"].to_string();
    assert!(edit.contains("created_at >= $1"), "{edit}");

    // 3. A rewrite that returns different rows: not offered, and the notes say why.
    llm.push(answer(
        "A range on created_at can use its index.",
        &[],
        Some(WRONG_REWRITE),
    ));
    let line = line_of(&text, WRONG_STATEMENT);
    analyze(&mut client, &uri, line);
    let wrong_titles = titles(&code_actions(&mut client, &uri, line));
    assert!(
        !wrong_titles.iter().any(|t| t.contains("Rewrite")),
        "{wrong_titles:?}"
    );
    let notes = explain(&mut client, &uri, line);
    assert!(notes.contains("## Not offered"), "{notes}");
    assert!(
        notes.contains(&format!(
            "rewrite (AI rewrite ({MODEL})) not offered: the rewrite returns different rows"
        )),
        "{notes}"
    );

    // 4. Hostile answers: nothing of them is offered, each is listed as
    // dropped, and nothing of them ran in either database.
    databases
        .cluster
        .psql("app", "SELECT pg_stat_statements_reset();");
    let hostile: [(&str, Vec<&str>, &str); 4] = [
        (
            HOSTILE_ORDERS,
            vec![
                "CREATE INDEX ON orders (id); DROP TABLE customers",
                "DROP TABLE orders",
            ],
            "SELECT pg_sleep(30)",
        ),
        (
            HOSTILE_SECRET,
            vec!["DELETE FROM orders"],
            "SELECT 1; DROP TABLE orders",
        ),
        (
            HOSTILE_EMAIL,
            vec!["CREATE INDEX ON customers (email) WHERE pg_sleep(30) IS NULL"],
            "DELETE FROM orders",
        ),
        (HOSTILE_REGION, vec![], SNEAKY_SLEEP),
    ];
    for (statement, indexes, rewrite) in &hostile {
        llm.push(answer("Trust me.", indexes, Some(rewrite)));
        let line = line_of(&text, statement);
        analyze(&mut client, &uri, line);
        let offered = titles(&code_actions(&mut client, &uri, line));
        assert!(
            !offered.iter().any(|t| t.starts_with("AI-suggested")),
            "{statement}: {offered:?}"
        );
        let notes = explain(&mut client, &uri, line);
        for dropped in indexes.iter().chain([rewrite]) {
            assert!(
                notes.contains(&format!("AI suggestion dropped: `{dropped}`: ")),
                "{dropped} is listed as dropped:\n{notes}"
            );
        }
    }
    // The rule-based index on orders (customer_id) was timed in the
    // sandbox meanwhile, and the monitor planned statements: both
    // databases' pg_stat_statements are recording.
    assert!(
        !statements_matching(&databases.cluster, "sandbox", "customer_id").is_empty(),
        "the sandbox worked during the hostile scenario"
    );
    assert!(
        !statements_matching(&databases.cluster, "app", "customers").is_empty(),
        "the monitored database was planned on during the hostile scenario"
    );
    for database in ["app", "sandbox"] {
        let ran = statements_matching(
            &databases.cluster,
            database,
            "pg_sleep|\\mdrop\\s+table\\M|\\mdelete\\s+from\\M",
        );
        assert!(ran.is_empty(), "{database} ran: {ran:?}");
        assert_eq!(
            databases
                .cluster
                .psql(database, "SELECT count(*) FROM customers;")
                .trim(),
            CUSTOMERS
        );
        assert_eq!(
            databases
                .cluster
                .psql(database, "SELECT count(*) FROM orders;")
                .trim(),
            ORDERS
        );
    }

    // A second analysis of a statement is answered from the cache: no new request.
    let asked = llm.requests().len();
    analyze(&mut client, &uri, line_of(&text, INDEX_STATEMENT));
    assert_eq!(llm.requests().len(), asked, "analysed once, asked once");

    // 6. What was sent: one request per analysis, the statement with `$n`
    // parameters instead of the file's literal, table and column names, the
    // key in the Authorization header only.
    let requests = llm.requests();
    assert_eq!(
        requests.len(),
        3 + hostile.len(),
        "one request per analysis"
    );
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/v1/chat/completions");
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        let body = request.body_text();
        assert!(!body.contains(SECRET), "a literal left the machine: {body}");
        assert!(!body.contains(KEY), "the key is in a body: {body}");
        assert_eq!(request.body_json()["model"], MODEL);
    }
    let secret_request = requests
        .iter()
        .map(|request| user_message(&request.body_json()))
        .find(|message| message.contains("FROM customers WHERE id = $1 AND email <> $2"))
        .unwrap_or_else(|| {
            panic!(
                "the statement went out with parameters: {:#?}",
                requests.iter().map(|r| r.body_text()).collect::<Vec<_>>()
            )
        });
    for name in ["customers", "region", "email", "bigint"] {
        assert!(
            secret_request.contains(name),
            "{name} is described: {secret_request}"
        );
    }

    assert!(client.shutdown_and_exit().success());
    // The server's own log (at debug level) is local; the key is not in it.
    assert!(
        !client.stderr_text().contains(KEY),
        "the key is in the server's log"
    );
}

#[test]
fn ai_failures_are_told_once_in_words_and_rule_based_results_still_come() {
    let runtime = runtime();
    let databases = databases();
    let root = temp_workspace();
    let statements = [
        "SELECT email FROM customers WHERE id = $1",
        "SELECT region FROM customers WHERE id = $1",
        "SELECT id, email FROM customers WHERE id = $1",
        "SELECT id, region FROM customers WHERE id = $1",
        HOSTILE_ORDERS,
    ];
    let [malformed, rate_limited, failing, failing_again, hanging] = statements;
    let (uri, text) = write_file(&root, &statements);
    let llm = runtime.block_on(ScriptedLlm::start(Vec::new()));
    let mut client = start_server(&databases, &root, &llm);
    client.did_open(&uri, &text);
    let ai_messages = |client: &mut LspClient| -> Vec<String> {
        messages(client)
            .into_iter()
            .filter(|m| m.contains("AI suggestions"))
            .collect()
    };

    // Malformed JSON: told in words, once.
    llm.push(Reply::completion(
        r#"{"explanation": "Add an index", "indexes": ["CREATE INDEX ON customers (email)"#,
    ));
    let line = line_of(&text, malformed);
    analyze(&mut client, &uri, line);
    let notes = explain(&mut client, &uri, line);
    assert!(
        notes.contains("the model's answer cannot be used"),
        "{notes}"
    );
    let told = ai_messages(&mut client);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].contains("the model's answer cannot be used"),
        "{told:?}"
    );

    // 429 with Retry-After: 1, then a good answer: retried after the wait.
    llm.push(Reply::error(429, "Rate limit reached for requests").with_header("Retry-After", "1"));
    llm.push(answer("Fine as it is.", &[], None));
    let before = llm.requests().len();
    let line = line_of(&text, rate_limited);
    analyze(&mut client, &uri, line);
    let requests = llm.requests();
    assert_eq!(requests.len(), before + 2, "one retry");
    let waited = requests[before + 1]
        .received_at
        .duration_since(requests[before].received_at);
    assert!(
        waited >= Duration::from_secs(1),
        "the retry waited as asked: {waited:?}"
    );
    let notes = explain(&mut client, &uri, line);
    assert!(!notes.contains("AI suggestions"), "{notes}");
    assert_eq!(ai_messages(&mut client).len(), 1, "success is not told");

    // HTTP 500 until the retries are used up, twice: told once.
    for (statement, attempt) in [(failing, 1), (failing_again, 2)] {
        let before = llm.requests().len();
        for _ in 0..4 {
            llm.push(Reply::error(500, "The server had an error"));
        }
        let line = line_of(&text, statement);
        analyze(&mut client, &uri, line);
        assert_eq!(llm.requests().len(), before + 4, "three retries");
        let notes = explain(&mut client, &uri, line);
        assert!(notes.contains("HTTP 500"), "{notes}");
        let told: Vec<String> = ai_messages(&mut client)
            .into_iter()
            .filter(|m| m.contains("HTTP 500"))
            .collect();
        assert_eq!(told.len(), 1, "analysis {attempt}: {told:?}");
    }

    // Analysing again asks the model again; now it answers, and the failure
    // is gone from the notes.
    let before = llm.requests().len();
    llm.push(answer("Fine as it is.", &[], None));
    let line = line_of(&text, failing);
    analyze(&mut client, &uri, line);
    assert_eq!(llm.requests().len(), before + 1, "the model is asked again");
    let notes = explain(&mut client, &uri, line);
    assert!(!notes.contains("HTTP 500"), "{notes}");

    // A hang past the 2 s timeout: told, and the rule-based index still offered.
    llm.push(
        answer("Too late.", &["CREATE INDEX ON orders (customer_id)"], None)
            .with_delay(Duration::from_secs(10)),
    );
    let line = line_of(&text, hanging);
    let summary = analyze(&mut client, &uri, line);
    assert!(summary.contains("validated fix"), "{summary}");
    let offered = titles(&code_actions(&mut client, &uri, line));
    assert!(
        offered
            .iter()
            .any(|t| t.starts_with("Add index on orders (customer_id) — sandbox: ")),
        "{offered:?}"
    );
    let notes = explain(&mut client, &uri, line);
    assert!(notes.contains("did not answer within 2 s"), "{notes}");
    let told = ai_messages(&mut client);
    assert_eq!(told.len(), 3, "{told:?}");
    assert!(told[2].contains("did not answer within 2 s"), "{told:?}");

    assert!(client.shutdown_and_exit().success());
    assert!(!client.stderr_text().contains(KEY), "the key is in the log");
}
