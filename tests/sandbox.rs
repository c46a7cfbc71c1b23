//! The sandbox against a real PostgreSQL: index and rewrite verdicts,
//! refusals that never reach the database, timeouts and cancellation that
//! leave nothing behind.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use optischema::advisor::model::{Evidence, IndexCandidate, RewriteCandidate, Verdict};
use optischema::db::ConnSpec;
use optischema::sandbox::{Sandbox, SandboxConnection, SandboxError, SandboxLimits, Step, Subject};
use support::PgCluster;
use tokio::sync::watch;

/// Customers `1..=1000` in four regions; orders reference only the first
/// half of them, so half the customers have none; every other order is
/// cancelled.
fn load_shop(cluster: &PgCluster, orders: u32) {
    cluster.create_database("shop");
    cluster.psql(
        "shop",
        &format!(
            "CREATE EXTENSION pg_stat_statements;
             CREATE TABLE customers (id integer PRIMARY KEY, region text NOT NULL, name text NOT NULL);
             INSERT INTO customers
               SELECT g, (ARRAY['north', 'south', 'east', 'west'])[g % 4 + 1], 'customer ' || g
               FROM generate_series(1, 1000) AS g;
             CREATE TABLE orders (
               id bigint PRIMARY KEY,
               customer_id integer NOT NULL,
               status text NOT NULL,
               amount integer NOT NULL
             );
             INSERT INTO orders
               SELECT g, (g * 7919) % 500 + 1,
                      CASE WHEN g % 2 = 0 THEN 'cancelled' ELSE 'shipped' END, g % 1000
               FROM generate_series(1, {orders}) AS g;
             CREATE TABLE tiny (id integer, label text);
             INSERT INTO tiny SELECT g, 'label ' || g FROM generate_series(1, 10) AS g;
             VACUUM ANALYZE;"
        ),
    );
}

fn sandbox(cluster: &PgCluster, database: &str, limits: SandboxLimits) -> Sandbox {
    let spec = ConnSpec::parse(&cluster.url_for(database, "postgres")).expect("sandbox URL");
    Sandbox::new(spec, limits)
}

/// A cancellation channel that never fires (the sender is kept alive).
fn never_cancelled() -> (watch::Sender<bool>, watch::Receiver<bool>) {
    watch::channel(false)
}

fn index(table: &str, columns: &str) -> IndexCandidate {
    IndexCandidate {
        table: table.into(),
        columns: vec![columns.into()],
        definition: format!("CREATE INDEX ON {table} ({columns})"),
    }
}

fn rewrite(text: &str) -> RewriteCandidate {
    RewriteCandidate {
        source: "test".into(),
        summary: "test rewrite".into(),
        text: text.into(),
    }
}

fn expect_timing(verdict: &Verdict) -> (f64, f64, usize, usize, Option<u64>) {
    match verdict {
        Verdict::Accepted {
            evidence:
                Evidence::SandboxTiming {
                    before_ms,
                    after_ms,
                    runs,
                    parameter_sets,
                    rows_compared,
                },
        } => (
            *before_ms,
            *after_ms,
            *runs,
            *parameter_sets,
            *rows_compared,
        ),
        other => panic!("expected acceptance with sandbox timing, got {other:?}"),
    }
}

fn expect_rejected(verdict: &Verdict) -> &str {
    match verdict {
        Verdict::Rejected { reason } => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn leftover_candidate_indexes(cluster: &PgCluster, database: &str) -> String {
    cluster.psql(
        database,
        "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'optischema%'",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_candidates_are_timed_before_and_after() {
    let cluster = PgCluster::start();
    load_shop(&cluster, 200_000);
    let sandbox = sandbox(&cluster, "shop", SandboxLimits::default());
    let (_keep, cancel) = never_cancelled();
    let statement = "SELECT id, amount FROM orders WHERE customer_id = $1";

    let planted = sandbox
        .validate_index(statement, &index("orders", "customer_id"), &cancel)
        .await
        .expect("validation runs");
    let (before_ms, after_ms, runs, parameter_sets, rows) = expect_timing(&planted);
    assert!(after_ms <= before_ms * 0.8, "{before_ms} -> {after_ms}");
    assert_eq!(runs, 4, "five runs, the first one discarded");
    assert!(parameter_sets >= 2, "{parameter_sets} parameter sets");
    assert_eq!(rows, None);

    // EXPLAIN ANALYZE executes a DELETE: each run is undone, and so is everything.
    let delete = sandbox
        .validate_index(
            "DELETE FROM orders WHERE customer_id = %s",
            &index("orders", "customer_id"),
            &cancel,
        )
        .await
        .expect("validation runs");
    expect_timing(&delete);
    assert_eq!(
        cluster.psql("shop", "SELECT count(*) FROM orders"),
        "200000"
    );

    let off_predicate = sandbox
        .validate_index(statement, &index("orders", "amount"), &cancel)
        .await
        .expect("validation runs");
    let reason = expect_rejected(&off_predicate);
    assert!(reason.contains("does not use the index"), "{reason}");

    let tiny = sandbox
        .validate_index(
            "SELECT label FROM tiny WHERE id = ?",
            &index("tiny", "id"),
            &cancel,
        )
        .await
        .expect("validation runs");
    expect_rejected(&tiny);

    let broken = sandbox
        .validate_index(statement, &index("orders", "no_such_column"), &cancel)
        .await
        .expect("validation runs");
    let reason = expect_rejected(&broken);
    assert!(reason.contains("cannot be built"), "{reason}");

    assert_eq!(leftover_candidate_indexes(&cluster, "shop"), "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewrites_must_return_the_same_rows_and_be_faster() {
    let cluster = PgCluster::start();
    load_shop(&cluster, 5_000);
    // A small work_mem keeps NOT IN from hashing its subquery: the classic
    // slow NOT IN that NOT EXISTS fixes.
    cluster.psql(
        "shop",
        "ALTER DATABASE shop SET work_mem = '64kB'; \
         ALTER DATABASE shop SET hash_mem_multiplier = 1",
    );
    let limits = SandboxLimits {
        runs: 3,
        parameter_sets: 2,
        ..SandboxLimits::default()
    };
    let sandbox = sandbox(&cluster, "shop", limits);
    let (_keep, cancel) = never_cancelled();
    let original = "SELECT c.id, c.name FROM customers c WHERE c.region = :region \
                    AND c.id NOT IN (SELECT o.customer_id FROM orders o WHERE o.status = 'cancelled')";

    // customer_id is NOT NULL, which makes NOT EXISTS equivalent.
    let equivalent = rewrite(
        "SELECT c.id, c.name FROM customers c WHERE c.region = :region \
         AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.status = 'cancelled' AND o.customer_id = c.id)",
    );
    let verdict = sandbox
        .validate_rewrite(original, &equivalent, &cancel)
        .await
        .expect("validation runs");
    let (before_ms, after_ms, runs, parameter_sets, rows) = expect_timing(&verdict);
    assert!(after_ms <= before_ms * 0.8, "{before_ms} -> {after_ms}");
    assert_eq!((runs, parameter_sets), (2, 2));
    assert!(rows.is_some_and(|rows| rows > 0), "{rows:?}");

    let dropped_condition = rewrite(
        "SELECT c.id, c.name FROM customers c WHERE c.region = :region \
         AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)",
    );
    let verdict = sandbox
        .validate_rewrite(original, &dropped_condition, &cancel)
        .await
        .expect("validation runs");
    let reason = expect_rejected(&verdict);
    assert!(
        reason.contains("returns different rows") && reason.contains("parameter set 1"),
        "{reason}"
    );

    let renamed =
        rewrite("SELECT c.id AS customer, c.name FROM customers c WHERE c.region = :region");
    let reason = expect_rejected(
        &sandbox
            .validate_rewrite(original, &renamed, &cancel)
            .await
            .expect("validation runs"),
    )
    .to_owned();
    assert!(reason.contains("columns"), "{reason}");

    let random = "SELECT id FROM customers ORDER BY random() LIMIT 5";
    let verdict = sandbox
        .validate_rewrite(random, &rewrite(random), &cancel)
        .await
        .expect("validation runs");
    match verdict {
        Verdict::Undecidable { reason } => {
            assert!(reason.contains("changes between runs"), "{reason}")
        }
        other => panic!("expected undecidable, got {other:?}"),
    }

    assert_eq!(leftover_candidate_indexes(&cluster, "shop"), "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_rewrites_are_refused_without_running() {
    let cluster = PgCluster::start();
    load_shop(&cluster, 1_000);
    let sandbox = sandbox(&cluster, "shop", SandboxLimits::default());
    let (_keep, cancel) = never_cancelled();
    let original = "SELECT id FROM customers WHERE region = $1";
    cluster.psql("shop", "SELECT pg_stat_statements_reset()");

    for hostile in [
        "DELETE FROM customers",
        "SELECT 1; DROP TABLE customers",
        "SELECT pg_sleep(10)",
        "SELECT id FROM customers WHERE region = $1 AND pg_sleep(10) IS NOT NULL",
        "WITH gone AS (DELETE FROM customers RETURNING id) SELECT id FROM gone",
    ] {
        let started = Instant::now();
        let verdict = sandbox
            .validate_rewrite(original, &rewrite(hostile), &cancel)
            .await
            .expect("refusal is a verdict");
        let reason = expect_rejected(&verdict);
        assert!(
            reason.starts_with("not run in the sandbox"),
            "{hostile}: {reason}"
        );
        assert!(started.elapsed() < Duration::from_secs(2), "{hostile} ran");
    }
    let hostile_index = IndexCandidate {
        table: "customers".into(),
        columns: vec!["id".into()],
        definition: "CREATE INDEX ON customers (id); DROP TABLE customers".into(),
    };
    let verdict = sandbox
        .validate_index(original, &hostile_index, &cancel)
        .await
        .expect("refusal is a verdict");
    expect_rejected(&verdict);

    let ran = cluster.psql(
        "shop",
        "SELECT count(*) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid \
         WHERE d.datname = 'shop' AND s.query NOT ILIKE '%pg_stat_statements%'",
    );
    assert_eq!(ran, "0", "statements reached the sandbox database");
    assert_eq!(
        cluster.psql("shop", "SELECT count(*) FROM customers"),
        "1000"
    );
}

/// An events table, and a statement that is fast until a candidate index
/// exists, then sleeps: it fails or is cancelled after CREATE INDEX, the
/// worst moment for leftovers.
fn load_events(cluster: &PgCluster) {
    cluster.create_database("events");
    cluster.psql(
        "events",
        "CREATE TABLE events (id integer PRIMARY KEY, kind text NOT NULL);
         INSERT INTO events SELECT g, 'kind ' || (g % 50) FROM generate_series(1, 20000) AS g;
         ANALYZE events;",
    );
}

const SLOW_ONCE_INDEXED: &str = "SELECT count(*) FROM events, \
    (SELECT pg_sleep(CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_indexes \
      WHERE indexname LIKE 'optischema_candidate%') THEN 10 ELSE 0 END)) AS wait \
    WHERE kind = $1";

/// Nothing of the failed validation remains, seen from its own session.
async fn assert_clean_session(connection: &SandboxConnection) {
    let client = connection.client();
    // The simple protocol: a prepared query would list itself.
    let count = |sql: &'static str| async move {
        let messages = client.simple_query(sql).await.expect(sql);
        messages
            .iter()
            .find_map(|message| match message {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0)?.parse::<i64>().ok(),
                _ => None,
            })
            .expect(sql)
    };
    assert_eq!(
        count("SELECT count(*) FROM pg_class WHERE relname LIKE 'optischema_candidate%'").await,
        0,
        "the candidate index is visible in the sandbox session"
    );
    assert_eq!(
        count("SELECT count(*) FROM pg_prepared_statements").await,
        0,
        "a prepared statement was left behind"
    );
    let savepoint = client.batch_execute("SAVEPOINT probe").await;
    assert!(
        savepoint.is_err_and(|e| format!("{e:?}").contains("transaction blocks")),
        "the sandbox transaction is still open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_and_cancellation_leave_nothing_behind() {
    let cluster = PgCluster::start();
    load_events(&cluster);
    let (_keep, cancel) = never_cancelled();

    // statement_timeout ends the run that sleeps.
    let limits = SandboxLimits {
        statement_timeout: Duration::from_secs(1),
        runs: 2,
        parameter_sets: 1,
        ..SandboxLimits::default()
    };
    let connection = sandbox(&cluster, "events", limits)
        .connect()
        .await
        .expect("connect");
    let error = connection
        .validate_index(SLOW_ONCE_INDEXED, &index("events", "kind"), &cancel)
        .await
        .expect_err("the statement times out");
    match &error {
        SandboxError::Timeout { step, .. } => assert_eq!(
            *step,
            Step::Measure {
                subject: Subject::WithIndex,
                set: 1
            },
            "{error}"
        ),
        other => panic!("expected a timeout, got {other}"),
    }
    assert!(
        error.to_string().contains("timed out while timing"),
        "{error}"
    );
    assert_clean_session(&connection).await;
    assert!(!connection.is_broken());
    assert_eq!(leftover_candidate_indexes(&cluster, "events"), "0");

    // Cancellation stops the running statement at once.
    let limits = SandboxLimits {
        runs: 2,
        parameter_sets: 1,
        ..SandboxLimits::default()
    };
    let connection = Arc::new(
        sandbox(&cluster, "events", limits)
            .connect()
            .await
            .expect("connect"),
    );
    let (cancel_sender, cancel) = watch::channel(false);
    let validation = tokio::spawn({
        let connection = Arc::clone(&connection);
        async move {
            connection
                .validate_index(SLOW_ONCE_INDEXED, &index("events", "kind"), &cancel)
                .await
        }
    });
    wait_for_sleeping_sandbox(&cluster).await;
    let cancelled_at = Instant::now();
    cancel_sender.send(true).expect("validation listens");
    let outcome = validation.await.expect("validation task");
    assert!(
        matches!(outcome, Err(SandboxError::Cancelled { .. })),
        "{outcome:?}"
    );
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(5),
        "cancellation waited for the statement"
    );
    assert_clean_session(&connection).await;
    assert_eq!(leftover_candidate_indexes(&cluster, "events"), "0");

    // The connection is still good for the next validation.
    let (_keep, cancel) = never_cancelled();
    let verdict = connection
        .validate_index(
            "SELECT id FROM events WHERE kind = $1",
            &index("events", "kind"),
            &cancel,
        )
        .await
        .expect("validation runs");
    assert!(
        matches!(verdict, Verdict::Accepted { .. } | Verdict::Rejected { .. }),
        "{verdict:?}"
    );
    assert_clean_session(&connection).await;
}

/// Waits until the sandbox session sleeps in `pg_sleep` (after CREATE INDEX).
async fn wait_for_sleeping_sandbox(cluster: &PgCluster) {
    let (client, connection) = tokio_postgres::connect(
        &cluster.url_for("events", "postgres"),
        tokio_postgres::NoTls,
    )
    .await
    .expect("observer connects");
    tokio::spawn(connection);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sleeping: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE application_name = 'optischema-sandbox' AND wait_event = 'PgSleep'",
                &[],
            )
            .await
            .expect("pg_stat_activity")
            .get(0);
        if sleeping > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the sandbox never reached pg_sleep"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
