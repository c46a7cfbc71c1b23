//! The AI provider against a local OpenAI-compatible endpoint over real
//! TCP: what is sent, what passes the gate, and how failures behave
//! (retries, `Retry-After`, timeouts, budget, cancellation, cache).

mod support;

use std::time::{Duration, Instant};

use optischema::ai::client::AiClient;
use optischema::ai::retry::RetryPolicy;
use optischema::ai::{
    AiContext, AiError, CacheKey, GatedSuggestion, Service, StatsContext, SuggestionCache,
};
use optischema::config::AiSettings;
use optischema::sql::facts::TableRef;
use optischema::sql::fingerprint::fingerprint;
use optischema::stats::model::{Catalog, ColumnInfo, IndexInfo, TableInfo};
use serde_json::json;
use support::llm::{Reply, ScriptedLlm, closed_port_url};
use tempfile::TempDir;
use tokio::sync::watch;

/// A statement of its own for each `n` (literals alone would share a cache entry).
fn nth_statement(n: usize) -> String {
    format!("SELECT id AS c{n} FROM orders WHERE customer_id = 7")
}

/// A key no log, error or body may ever show.
const KEY: &str = "sk-optischema-test-7f3a9c1e-DO-NOT-LEAK";

/// The statement as written in the user's file: literal values that must stay here.
const STATEMENT: &str = "SELECT o.id, o.total FROM orders o \
                         WHERE o.customer_id = 4217 AND o.status = 'shipped-secret' \
                         ORDER BY o.created_at DESC LIMIT 20";

fn catalog() -> Catalog {
    let table = |name: &str, rows: f64| TableInfo {
        schema: "public".into(),
        name: name.into(),
        estimated_rows: rows,
        total_bytes: (rows as i64) * 100,
        seq_scans: 100,
        index_scans: 0,
        live_rows: rows as i64,
        writes: 0,
    };
    let column = |table: &str, name: &str, data_type: &str| ColumnInfo {
        schema: "public".into(),
        table: table.into(),
        name: name.into(),
        data_type: data_type.into(),
        not_null: true,
        null_fraction: None,
        n_distinct: None,
    };
    Catalog {
        tables: vec![table("orders", 2_000_000.0), table("customers", 50_000.0)],
        indexes: vec![IndexInfo {
            schema: "public".into(),
            table: "orders".into(),
            name: "orders_pkey".into(),
            definition: "CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)".into(),
            columns: vec!["id".into()],
            bytes: 1 << 20,
            scans: 0,
            is_valid: true,
            is_unique: true,
            is_primary: true,
            predicate: None,
        }],
        columns: vec![
            column("orders", "id", "bigint"),
            column("orders", "customer_id", "integer"),
            column("orders", "status", "text"),
            column("orders", "total", "numeric"),
            column("orders", "created_at", "timestamp with time zone"),
            column("customers", "id", "integer"),
        ],
    }
}

fn context() -> AiContext {
    context_for(STATEMENT)
}

fn nth_statement_context(n: usize) -> AiContext {
    context_for(&nth_statement(n))
}

fn context_for(statement: &str) -> AiContext {
    let orders = TableRef {
        schema: None,
        name: "orders".into(),
        alias: Some("o".into()),
    };
    AiContext::build(
        statement,
        false,
        &[orders],
        &catalog(),
        Some("Limit\n  -> Sort\n    -> Seq Scan on orders o\n         Filter: ((customer_id = $1) AND (status = $2))".into()),
        Some(StatsContext {
            calls: 48_000,
            mean_ms: 212.0,
            total_ms: 10_176_000.0,
            rows_per_call: 20.0,
            share_percent: Some(37.0),
        }),
    )
}

fn settings(base_url: &str) -> AiSettings {
    AiSettings {
        base_url: Some(base_url.into()),
        model: Some("test-model".into()),
        api_key_env: "OPTISCHEMA_TEST_UNUSED_KEY_VARIABLE".into(),
        send_literals: false,
        timeout_seconds: 5.0,
        max_requests_per_minute: 100,
    }
}

/// Retries without long waits (the server's `Retry-After` still rules).
fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(40),
        max_delay: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(5),
    }
}

struct Harness {
    service: Service,
    cache_dir: TempDir,
}

impl Harness {
    fn new(settings: &AiSettings) -> Harness {
        let cache_dir = tempfile::tempdir().unwrap();
        let service = service_in(settings, &cache_dir);
        Harness { service, cache_dir }
    }

    async fn ask(&self, context: &AiContext) -> Result<GatedSuggestion, AiError> {
        let (_cancel, cancelled) = watch::channel(false);
        self.service
            .suggestions_for(&self.key(context), context, &cancelled)
            .await
    }

    fn key(&self, context: &AiContext) -> CacheKey {
        self.service
            .cache_key(fingerprint(&context.statement), context)
    }
}

fn service_in(settings: &AiSettings, cache_dir: &TempDir) -> Service {
    let client = AiClient::with_key(settings, Some(KEY.into()))
        .unwrap()
        .unwrap()
        .with_retry_policy(fast_retries());
    Service::with_parts(client, SuggestionCache::new(Some(cache_dir.path().into())))
}

fn answer(indexes: &[&str], rewrite: Option<&str>) -> String {
    json!({
        "explanation": "orders is scanned in full for one customer; an index on customer_id finds the rows directly.",
        "indexes": indexes,
        "rewrite": rewrite,
    })
    .to_string()
}

fn reasons(gated: &GatedSuggestion) -> Vec<String> {
    gated.dropped.iter().map(|d| d.reason.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_index_passes_and_the_request_carries_only_the_context() {
    let llm = ScriptedLlm::start(vec![Reply::completion(&answer(
        &["CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id, created_at DESC);"],
        None,
    ))])
    .await;
    let harness = Harness::new(&settings(&llm.base_url()));
    let gated = harness.ask(&context()).await.unwrap();

    assert!(gated.dropped.is_empty(), "{:?}", gated.dropped);
    assert_eq!(gated.indexes.len(), 1);
    assert_eq!(gated.indexes[0].table, "orders");
    assert_eq!(gated.indexes[0].columns, ["customer_id", "created_at"]);
    assert_eq!(
        gated.indexes[0].definition,
        "CREATE INDEX ON orders (customer_id, created_at DESC)"
    );
    assert!(gated.explanation.contains("index on customer_id"));

    let requests = llm.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body = request.body_json();
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["temperature"], 0);
    assert_eq!(body["response_format"]["type"], "json_schema");
    let text = request.body_text();
    for sent in [
        "o.customer_id = $1 AND o.status = $2",
        "LIMIT $3",
        "public.orders",
        "customer_id integer not null",
        "CREATE UNIQUE INDEX orders_pkey",
        "Seq Scan on orders o",
        "48k calls",
        "37% of the database",
    ] {
        assert!(text.contains(sent), "the request lacks {sent:?}");
    }
    for kept in ["4217", "shipped-secret", KEY] {
        assert!(!text.contains(kept), "the request body contains {kept:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_rewrite_passes_with_the_statements_literals_put_back() {
    let rewrite = "SELECT o.id, o.total FROM orders o WHERE o.status = $2 AND o.customer_id = $1 \
                   ORDER BY o.created_at DESC LIMIT $3";
    let llm = ScriptedLlm::start(vec![Reply::completion(&answer(&[], Some(rewrite)))]).await;
    let harness = Harness::new(&settings(&llm.base_url()));
    let gated = harness.ask(&context()).await.unwrap();
    assert!(gated.dropped.is_empty(), "{:?}", gated.dropped);
    let candidate = gated.rewrite.expect("the rewrite passes");
    assert_eq!(candidate.source, "ai");
    assert_eq!(
        candidate.text,
        "SELECT o.id, o.total FROM orders o WHERE o.status = 'shipped-secret' AND o.customer_id = 4217 \
         ORDER BY o.created_at DESC LIMIT 20"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_answers_are_dropped_with_reasons() {
    let llm = ScriptedLlm::start(vec![
        Reply::completion(&answer(
            &[
                "DROP TABLE orders",
                "DELETE FROM orders",
                "CREATE INDEX ON orders (status); DROP TABLE orders",
                "SELECT pg_sleep(5)",
                "CREATE INDEX ON customers (id)",
            ],
            Some("WITH gone AS (DELETE FROM orders RETURNING *) SELECT id, total FROM gone WHERE customer_id = $1 AND status = $2 LIMIT $3"),
        )),
        Reply::completion(&answer(&[], Some("SELECT pg_sleep(5), $1, $2, $3"))),
        Reply::completion(&answer(
            &[],
            Some("SELECT o.id, o.total FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.customer_id = $1 AND o.status = $2 LIMIT $3"),
        )),
        Reply::completion(&answer(&[], Some("SELECT 1; DROP TABLE orders"))),
    ])
    .await;
    let harness = Harness::new(&settings(&llm.base_url()));

    let first = harness.ask(&context()).await.unwrap();
    assert!(
        first.indexes.is_empty() && first.rewrite.is_none(),
        "{first:?}"
    );
    let first_reasons = reasons(&first);
    assert_eq!(first_reasons.len(), 6, "{first_reasons:?}");
    for expected in [
        "a DROP, not a CREATE INDEX",
        "a DELETE, not a CREATE INDEX",
        "more than one statement",
        "a SELECT, not a CREATE INDEX",
        "customers, which the statement does not read",
        "modifies data",
    ] {
        assert!(
            first_reasons.iter().any(|reason| reason.contains(expected)),
            "no reason mentions {expected:?}: {first_reasons:?}"
        );
    }

    for (statement, expected) in [
        (
            "SELECT id FROM orders WHERE customer_id = 1 AND status = 'a' LIMIT 2",
            "pg_sleep",
        ),
        (
            "SELECT total FROM orders WHERE customer_id = 1 AND status = 'a' LIMIT 2",
            "payments",
        ),
        (
            "SELECT status FROM orders WHERE customer_id = 1 AND status = 'a' LIMIT 2",
            "more than one statement",
        ),
    ] {
        let gated = harness.ask(&context_for(statement)).await.unwrap();
        assert!(gated.rewrite.is_none(), "{gated:?}");
        assert!(
            reasons(&gated)[0].contains(expected),
            "{:?}",
            reasons(&gated)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_is_found_in_fences_and_prose_and_malformed_answers_are_errors() {
    let good = answer(&["CREATE INDEX ON orders (customer_id)"], None);
    let llm = ScriptedLlm::start(vec![
        Reply::completion(&format!("```json\n{good}\n```")),
        Reply::completion(&format!("Here is what I found:\n{good}\nHope it helps!")),
        Reply::completion("{\"explanation\": \"cut off\", \"indexes\": [\"CREATE INDEX"),
        Reply::completion("I would add an index on customer_id."),
        Reply::completion("{\"explanation\": 42, \"indexes\": {}}"),
        Reply::raw(200, b"\xff\xfe\x00garbage"),
        Reply::raw(200, b"{\"choices\": []}"),
    ])
    .await;
    let harness = Harness::new(&settings(&llm.base_url()));
    for n in 0..2 {
        let gated = harness.ask(&nth_statement_context(n)).await.unwrap();
        assert_eq!(gated.indexes.len(), 1, "{gated:?}");
    }
    for n in 2..7 {
        let error = harness.ask(&nth_statement_context(n)).await.unwrap_err();
        assert!(matches!(error, AiError::InvalidAnswer(_)), "{n}: {error:?}");
    }
    // Invalid answers are not retried.
    assert_eq!(llm.requests().len(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_retried_after_the_servers_delay() {
    let llm = ScriptedLlm::start(vec![
        Reply::error(429, "Rate limit reached").with_header("Retry-After", "1"),
        Reply::completion(&answer(&["CREATE INDEX ON orders (customer_id)"], None)),
    ])
    .await;
    let harness = Harness::new(&settings(&llm.base_url()));
    let gated = harness.ask(&context()).await.unwrap();
    assert_eq!(gated.indexes.len(), 1);
    let requests = llm.requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].received_at - requests[0].received_at;
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
    assert!(waited < Duration::from_secs(3), "retried after {waited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_with_backoff_then_reported() {
    let llm = ScriptedLlm::start(vec![
        Reply::error(500, "internal error"),
        Reply::completion(&answer(&["CREATE INDEX ON orders (customer_id)"], None)),
        Reply::error(500, "down"),
        Reply::error(502, "down"),
        Reply::error(503, "down"),
        Reply::error(500, "still down"),
    ])
    .await;
    let harness = Harness::new(&settings(&llm.base_url()));
    assert_eq!(harness.ask(&context()).await.unwrap().indexes.len(), 1);
    assert_eq!(llm.requests().len(), 2);

    let error = harness
        .ask(&context_for("SELECT * FROM orders WHERE id = 1"))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        AiError::Http {
            status: 500,
            message: "still down".into()
        }
    );
    assert_eq!(llm.requests().len(), 6, "one attempt and three retries");
    // Told once, then quiet until a success.
    assert!(harness.service.failure_message(&error).is_some());
    assert!(harness.service.failure_message(&error).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hang_ends_at_the_timeout_without_retrying() {
    let llm = ScriptedLlm::start(vec![
        Reply::completion(&answer(&[], None)).with_delay(Duration::from_secs(20)),
    ])
    .await;
    let mut settings = settings(&llm.base_url());
    settings.timeout_seconds = 1.0;
    let harness = Harness::new(&settings);
    let started = Instant::now();
    let error = harness.ask(&context()).await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(error, AiError::Timeout { seconds: 1.0 });
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert_eq!(llm.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_drops_the_request_at_once() {
    let llm = ScriptedLlm::start(vec![
        Reply::completion(&answer(&[], None)).with_delay(Duration::from_secs(20)),
    ])
    .await;
    let harness = Harness::new(&settings(&llm.base_url()));
    let (cancel, cancelled) = watch::channel(false);
    let context = context();
    let key = harness.key(&context);
    let started = Instant::now();
    let (result, ()) = tokio::join!(
        harness.service.suggestions_for(&key, &context, &cancelled),
        async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            cancel.send(true).unwrap();
        }
    );
    assert_eq!(result.unwrap_err(), AiError::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        harness
            .service
            .failure_message(&AiError::Cancelled)
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_fails_fast_without_sending() {
    let reply = || Reply::completion(&answer(&[], None));
    let llm = ScriptedLlm::start(vec![reply(), reply(), reply()]).await;
    let mut settings = settings(&llm.base_url());
    settings.max_requests_per_minute = 2;
    let harness = Harness::new(&settings);
    for n in 0..2 {
        assert!(harness.ask(&nth_statement_context(n)).await.is_ok());
    }
    let started = Instant::now();
    let error = harness.ask(&nth_statement_context(2)).await.unwrap_err();
    assert_eq!(error, AiError::Budget { per_minute: 2 });
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(llm.requests().len(), 2);
    assert!(error.to_string().contains("ai.maxRequestsPerMinute"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_answers_again_after_a_restart_and_a_new_index_asks_again() {
    let good = answer(&["CREATE INDEX ON orders (customer_id)"], None);
    let llm = ScriptedLlm::start(vec![Reply::completion(&good), Reply::completion(&good)]).await;
    let settings = settings(&llm.base_url());
    let harness = Harness::new(&settings);
    let first = harness.ask(&context()).await.unwrap();
    assert_eq!(harness.ask(&context()).await.unwrap(), first);
    assert!(
        harness
            .service
            .cached(&harness.key(&context()), &context())
            .is_some()
    );
    assert_eq!(llm.requests().len(), 1);

    // Same statement, other literals: same advice, no new request.
    let other_literals = context_for(&STATEMENT.replace("4217", "99"));
    assert_eq!(
        harness.ask(&other_literals).await.unwrap().indexes,
        first.indexes
    );
    assert_eq!(llm.requests().len(), 1);

    let restarted = service_in(&settings, &harness.cache_dir);
    let (_cancel, cancelled) = watch::channel(false);
    let context = context();
    let key = restarted.cache_key(fingerprint(&context.statement), &context);
    assert!(
        restarted.cached(&key, &context).is_none(),
        "memory starts empty"
    );
    assert_eq!(
        restarted
            .suggestions_for(&key, &context, &cancelled)
            .await
            .unwrap(),
        first
    );
    assert_eq!(llm.requests().len(), 1, "answered from disk");

    let mut with_new_index = context.clone();
    with_new_index.tables[0]
        .indexes
        .push("CREATE INDEX orders_status ON public.orders USING btree (status)".into());
    harness.ask(&with_new_index).await.unwrap();
    assert_eq!(llm.requests().len(), 2, "the catalog changed: asked again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_without_structured_output_fall_back_and_remember() {
    let good = answer(&["CREATE INDEX ON orders (customer_id)"], None);
    let llm = ScriptedLlm::start(vec![
        Reply::error(400, "response_format 'json_schema' is not supported"),
        Reply::error(400, "Unknown parameter: response_format"),
        Reply::completion(&good),
        Reply::completion(&good),
    ])
    .await;
    let harness = Harness::new(&settings(&llm.base_url()));
    assert_eq!(harness.ask(&context()).await.unwrap().indexes.len(), 1);
    harness
        .ask(&context_for("SELECT * FROM orders WHERE id = 5"))
        .await
        .unwrap();
    let formats: Vec<serde_json::Value> = llm
        .requests()
        .iter()
        .map(|request| request.body_json()["response_format"]["type"].clone())
        .collect();
    assert_eq!(
        formats,
        [
            json!("json_schema"),
            json!("json_object"),
            json!(null),
            json!(null)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_never_appears_in_errors_or_debug_output() {
    let llm = ScriptedLlm::start(vec![
        Reply::error(401, &format!("Incorrect API key provided: {KEY}.")),
        Reply::completion(&format!("not json, but it mentions {KEY}")),
        Reply::completion(
            &json!({
                "explanation": format!("your key is {KEY}"),
                "indexes": [format!("CREATE INDEX ON {KEY} (a)")],
            })
            .to_string(),
        ),
    ])
    .await;
    let harness = Harness::new(&settings(&llm.base_url()));
    let unauthorized = harness.ask(&context()).await.unwrap_err();
    assert!(
        matches!(unauthorized, AiError::Http { status: 401, .. }),
        "{unauthorized:?}"
    );
    let invalid = harness
        .ask(&context_for("SELECT * FROM orders WHERE id = 5"))
        .await
        .unwrap_err();
    let unreachable = Harness::new(&settings(&closed_port_url().await))
        .ask(&context())
        .await
        .unwrap_err();
    assert!(
        matches!(unreachable, AiError::Unreachable { .. }),
        "{unreachable:?}"
    );

    let echoed = harness.ask(&nth_statement_context(1)).await.unwrap();
    let echoed = format!("{echoed:?}");
    assert!(echoed.contains("<redacted>"), "{echoed}");

    let client = AiClient::with_key(&settings(&llm.base_url()), Some(KEY.into()))
        .unwrap()
        .unwrap();
    let mut shown = vec![format!("{client:?}"), echoed];
    for error in [&unauthorized, &invalid, &unreachable] {
        shown.push(error.to_string());
        shown.push(format!("{error:?}"));
        shown.extend(harness.service.failure_message(error));
    }
    for text in &shown {
        assert!(!text.contains(KEY), "the key leaked into {text:?}");
    }
    let told = unauthorized.to_string();
    assert!(told.contains("Incorrect API key provided"), "{told}");
    assert!(
        told.contains("check the key in the environment variable"),
        "{told}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_key_no_authorization_is_sent() {
    let llm = ScriptedLlm::start(vec![Reply::completion(&answer(&[], None))]).await;
    let client = AiClient::new(&settings(&llm.base_url())).unwrap().unwrap();
    let (_cancel, cancelled) = watch::channel(false);
    client.suggest(&context(), &cancelled).await.unwrap();
    assert_eq!(llm.requests()[0].header("authorization"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_endpoint_that_is_down_is_an_error_in_words() {
    let https = closed_port_url().await.replace("http://", "https://");
    let error = Harness::new(&settings(&https))
        .ask(&context())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, AiError::Unreachable { endpoint, .. } if endpoint.starts_with("https://127.0.0.1:")),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("cannot reach the model endpoint")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_asks_for_one_statement_make_one_request() {
    let llm = ScriptedLlm::start(vec![
        Reply::completion(&answer(&["CREATE INDEX ON orders (customer_id)"], None))
            .with_delay(Duration::from_millis(300)),
    ])
    .await;
    let harness = Harness::new(&settings(&llm.base_url()));
    let context = context();
    let (first, second) = tokio::join!(harness.ask(&context), harness.ask(&context));
    assert_eq!(first.unwrap(), second.unwrap());
    assert_eq!(llm.requests().len(), 1);
}
