//! Plans on a real PostgreSQL 15 over a read-only monitoring session:
//! generic plans through PREPARE, EXPLAIN of writes, query identifiers
//! against pg_stat_statements, HypoPG evaluation and plan diagnostics.

mod support;

use optischema::advisor::model::{Evidence, IndexCandidate, Verdict};
use optischema::config::Thresholds;
use optischema::db::{self, ConnSpec, MapEnvironment, SessionPurpose};
use optischema::plan::{self, PlanError};
use optischema::stats::model::{Catalog, ColumnInfo, TableInfo};
use support::PgCluster;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

/// More rows than `thresholds.largeTableRows` (100,000) by default.
const ORDERS: u32 = 200_000;

/// A cluster with database `app`: `orders` (large, no index on
/// `customer_id`), `regions` (small), pg_stat_statements and HypoPG.
fn cluster() -> PgCluster {
    let pg = PgCluster::start();
    pg.create_database("app");
    pg.psql(
        "app",
        &format!(
            "CREATE EXTENSION pg_stat_statements;
             CREATE EXTENSION hypopg;
             CREATE TABLE orders (id int PRIMARY KEY, customer_id int, status text, total numeric);
             INSERT INTO orders
               SELECT g, g % 5000, CASE WHEN g % 100 = 0 THEN 'open' ELSE 'done' END, g % 700
               FROM generate_series(1, {ORDERS}) g;
             CREATE TABLE regions (id int PRIMARY KEY, name text);
             INSERT INTO regions SELECT g, 'region ' || g FROM generate_series(1, 50) g;
             ANALYZE orders;
             ANALYZE regions;
             SELECT pg_stat_statements_reset();"
        ),
    );
    pg
}

/// The monitoring session the language server uses: read-only, time-limited.
async fn monitoring(pg: &PgCluster) -> Client {
    let spec = ConnSpec::parse_in(&pg.url_for("app", "postgres"), &MapEnvironment::default())
        .expect("test URL parses");
    db::connect(&spec, SessionPurpose::monitoring())
        .await
        .expect("monitoring session")
}

async fn server_version_num(client: &Client) -> i32 {
    scalar(client, "SHOW server_version_num")
        .await
        .parse()
        .expect("a number")
}

async fn scalar(client: &Client, sql: &str) -> String {
    client
        .simple_query(sql)
        .await
        .expect(sql)
        .into_iter()
        .find_map(|message| match message {
            SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap_or("").to_owned()),
            _ => None,
        })
        .expect("one row")
}

/// Statements prepared with SQL `PREPARE` on this session (the driver's
/// protocol-level statements are not `from_sql`).
async fn prepared_statements(client: &Client) -> String {
    scalar(
        client,
        "SELECT count(*) FROM pg_prepared_statements WHERE from_sql",
    )
    .await
}

fn filters(plan: &plan::Plan) -> Vec<String> {
    plan.root
        .walk()
        .filter_map(|node| node.filter.clone())
        .collect()
}

#[tokio::test]
async fn generic_plans_for_literals_and_parameters_leave_nothing_prepared() {
    let pg = cluster();
    let mut client = monitoring(&pg).await;
    let version = server_version_num(&client).await;
    assert!((150_000..160_000).contains(&version), "{version}");
    assert_eq!(scalar(&client, "SHOW transaction_read_only").await, "on");

    let literal = plan::explain_generic(
        &mut client,
        "SELECT * FROM orders WHERE customer_id = 42",
        version,
        false,
    )
    .await
    .expect("literal plan");
    assert_eq!(filters(&literal), ["(customer_id = 42)"]);

    // The PREPARE path: a forced generic plan shows the parameters, not the
    // NULL arguments (a custom plan would fold `= NULL` to a false filter).
    let generic = plan::explain_generic(
        &mut client,
        "SELECT * FROM orders WHERE customer_id = $1 AND status = $2;",
        version,
        true,
    )
    .await
    .expect("generic plan");
    assert_eq!(
        filters(&generic),
        ["((orders.customer_id = $1) AND (orders.status = $2))"]
    );
    assert!(
        generic
            .root
            .walk()
            .any(|node| node.relation.as_deref() == Some("public.orders"))
    );
    assert_eq!(prepared_statements(&client).await, "0");
    // SET LOCAL ended with the transaction; the session is still read-only.
    assert_eq!(scalar(&client, "SHOW plan_cache_mode").await, "auto");
    assert_eq!(scalar(&client, "SHOW transaction_read_only").await, "on");

    // A statement ending in a line comment cannot swallow what follows it.
    plan::explain_generic(
        &mut client,
        "SELECT * FROM orders WHERE id = $1 -- by id",
        version,
        false,
    )
    .await
    .expect("plan with a trailing comment");

    // PREPARE succeeds but EXPLAIN EXECUTE fails (NULL for a NOT NULL
    // domain): the statement is still deallocated.
    pg.psql(
        "app",
        "CREATE DOMAIN positive AS int NOT NULL CHECK (VALUE > 0)",
    );
    let failed = plan::explain_generic(
        &mut client,
        "SELECT * FROM orders WHERE id = $1::positive",
        version,
        false,
    )
    .await;
    match failed {
        Err(PlanError::Query { file, detail, .. }) => {
            assert_eq!(file, "queries/plan/explain_execute.sql");
            assert!(detail.contains("does not allow null values"), "{detail}");
        }
        other => panic!("expected the EXPLAIN EXECUTE to fail, got {other:?}"),
    }
    // PREPARE itself fails: nothing to deallocate, the session carries on.
    let missing = plan::explain_generic(
        &mut client,
        "SELECT * FROM nowhere WHERE a = $1",
        version,
        false,
    )
    .await;
    assert!(
        matches!(
            &missing,
            Err(PlanError::Query {
                file: "queries/plan/prepare.sql",
                ..
            })
        ),
        "{missing:?}"
    );
    assert_eq!(prepared_statements(&client).await, "0");
    assert_eq!(scalar(&client, "SHOW plan_cache_mode").await, "auto");

    // On 16+ the GENERIC_PLAN option is used instead; this 15 server
    // refuses it (the server log shows what was sent).
    let newer = plan::explain_generic(
        &mut client,
        "SELECT * FROM orders WHERE id = $1",
        160_000,
        false,
    )
    .await;
    assert!(
        matches!(
            &newer,
            Err(PlanError::Query {
                file: "queries/plan/explain.sql",
                ..
            })
        ),
        "{newer:?}"
    );
    assert!(
        pg.server_log().contains(
            "STATEMENT:  EXPLAIN (GENERIC_PLAN, FORMAT JSON) SELECT * FROM orders WHERE id = $1"
        ),
        "{}",
        pg.server_log()
    );
}

#[tokio::test]
async fn utility_and_multiple_statements_are_refused_before_sending() {
    let pg = cluster();
    let mut client = monitoring(&pg).await;
    let version = server_version_num(&client).await;
    for refused in [
        "EXPLAIN ANALYZE DELETE FROM orders",
        "SELECT 1; SET default_transaction_read_only = off",
        "CREATE INDEX ON orders (status)",
        "",
    ] {
        let result = plan::explain_generic(&mut client, refused, version, false).await;
        assert!(
            matches!(result, Err(PlanError::NotExplainable { .. })),
            "{refused:?}: {result:?}"
        );
    }
    let sent = pg.psql(
        "app",
        "SELECT count(*) FROM pg_stat_statements WHERE query ILIKE '%ANALYZE DELETE%'",
    );
    assert_eq!(sent, "0");
}

#[tokio::test]
async fn explaining_writes_in_the_read_only_session_changes_nothing() {
    let pg = cluster();
    let mut client = monitoring(&pg).await;
    let version = server_version_num(&client).await;
    let state = "SELECT count(*), count(*) FILTER (WHERE status = 'open'), sum(total) FROM orders";
    let before = pg.psql("app", state);

    for write in [
        "UPDATE orders SET status = 'open' WHERE customer_id = 7",
        "UPDATE orders SET status = $1 WHERE customer_id = $2",
        "DELETE FROM orders WHERE id < 1000",
        "DELETE FROM orders WHERE id < $1",
        "INSERT INTO orders VALUES (0, 0, 'open', 0)",
    ] {
        let plan = plan::explain_generic(&mut client, write, version, false)
            .await
            .unwrap_or_else(|error| panic!("{write}: {error}"));
        assert_eq!(plan.root.node_type, "ModifyTable", "{write}");
    }
    // The session really is read-only: executing is refused.
    let refused = client
        .simple_query("DELETE FROM orders WHERE id = 1")
        .await
        .expect_err("a write in the monitoring session");
    let message = refused.as_db_error().map(|db| db.message()).unwrap_or("");
    assert!(message.contains("read-only transaction"), "{refused:?}");

    assert_eq!(pg.psql("app", state), before);
    // The test cluster runs pg_stat_statements.track = all, under which
    // EXPLAIN's executor start and end count as one nested call (toplevel
    // false, no rows, no time) of the explained statement. No top-level
    // write ran, and no write touched a row.
    let executed = pg.psql(
        "app",
        "SELECT query FROM pg_stat_statements
         WHERE toplevel AND query ~* '^\\s*(UPDATE|DELETE|INSERT|PREPARE|EXECUTE)'",
    );
    assert_eq!(
        executed, "",
        "top-level writes recorded by pg_stat_statements"
    );
    let rows_written = pg.psql(
        "app",
        "SELECT coalesce(sum(rows), 0) FROM pg_stat_statements
         WHERE query ~* '(UPDATE|DELETE FROM|INSERT INTO) orders'",
    );
    assert_eq!(rows_written, "0");
    let explained: u32 = pg
        .psql(
            "app",
            "SELECT count(*) FROM pg_stat_statements WHERE query ~* '^EXPLAIN'",
        )
        .parse()
        .expect("count");
    assert!(explained >= 3, "{explained} EXPLAIN entries");
}

#[tokio::test]
async fn query_identifiers_match_pg_stat_statements() {
    let pg = cluster();
    let mut client = monitoring(&pg).await;
    let version = server_version_num(&client).await;
    let normalized = "SELECT count(*) FROM orders WHERE customer_id = $1";
    let queryid = |pg: &PgCluster| -> i64 {
        pg.psql(
            "app",
            &format!("SELECT queryid FROM pg_stat_statements WHERE query = '{normalized}'"),
        )
        .parse()
        .expect("one queryid")
    };

    // The literal form, run the way psql runs it (simple protocol).
    pg.psql("app", "SELECT count(*) FROM orders WHERE customer_id = 42");
    let literal_recorded = queryid(&pg);
    let literal_explained = plan::query_identifier(
        &mut client,
        "SELECT count(*) FROM orders WHERE customer_id = 42",
        version,
    )
    .await
    .expect("query identifier");
    assert_eq!(literal_explained, Some(literal_recorded));

    // The `$1` form, run the way an application driver runs it.
    pg.psql("app", "SELECT pg_stat_statements_reset()");
    let (app, connection) = tokio_postgres::connect(&pg.url_for("app", "postgres"), NoTls)
        .await
        .expect("application session");
    tokio::spawn(connection);
    app.query(normalized, &[&42_i32])
        .await
        .expect("run with $1");
    let parameter_recorded = queryid(&pg);
    let parameter_explained = plan::query_identifier(&mut client, normalized, version)
        .await
        .expect("query identifier");
    assert_eq!(parameter_explained, Some(parameter_recorded));

    eprintln!(
        "queryid: literal form {literal_recorded}, $1 form {parameter_recorded} ({})",
        if literal_recorded == parameter_recorded {
            "same"
        } else {
            "different"
        }
    );

    // Before PostgreSQL 14 nothing is asked.
    assert_eq!(
        plan::query_identifier(&mut client, normalized, 130_000)
            .await
            .unwrap(),
        None
    );
    // With compute_query_id off there is none.
    client
        .batch_execute("SET compute_query_id = off")
        .await
        .expect("superuser may turn it off for the test");
    assert_eq!(
        plan::query_identifier(&mut client, normalized, version)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn hypopg_keeps_a_useful_index_and_rejects_a_useless_one() {
    let pg = cluster();
    let mut client = monitoring(&pg).await;
    let version = server_version_num(&client).await;
    assert!(plan::hypopg_available(&client).await.expect("check hypopg"));

    let by_customer = IndexCandidate {
        table: "orders".into(),
        columns: vec!["customer_id".into()],
        definition: "CREATE INDEX ON orders (customer_id)".into(),
    };
    for statement in [
        "SELECT * FROM orders WHERE customer_id = 42",
        "SELECT * FROM orders WHERE customer_id = $1",
    ] {
        let verdict = plan::evaluate_index(&mut client, statement, &by_customer, version, 20.0)
            .await
            .expect("evaluation");
        match verdict {
            Verdict::Accepted {
                evidence:
                    Evidence::PlannerEstimate {
                        cost_before,
                        cost_after,
                        index_used,
                    },
            } => {
                assert!(index_used);
                assert!(
                    cost_after < cost_before * 0.2,
                    "{cost_before} → {cost_after}"
                );
            }
            other => panic!("{statement}: expected Accepted, got {other:?}"),
        }
    }

    let by_total = IndexCandidate {
        table: "orders".into(),
        columns: vec!["total".into()],
        definition: "CREATE INDEX ON orders (total)".into(),
    };
    let verdict = plan::evaluate_index(
        &mut client,
        "SELECT * FROM orders WHERE customer_id = $1",
        &by_total,
        version,
        20.0,
    )
    .await
    .expect("evaluation");
    match verdict {
        Verdict::Rejected { reason } => {
            assert!(reason.contains("does not use the index"), "{reason}")
        }
        other => panic!("expected Rejected, got {other:?}"),
    }

    // Used, but the required margin is out of reach.
    let verdict = plan::evaluate_index(
        &mut client,
        "SELECT * FROM orders WHERE customer_id = 42",
        &by_customer,
        version,
        99.99,
    )
    .await
    .expect("evaluation");
    assert!(
        matches!(verdict, Verdict::Rejected { ref reason } if reason.contains("drops only")),
        "{verdict:?}"
    );

    // A failing statement still leaves no hypothetical index behind.
    let failed = plan::evaluate_index(
        &mut client,
        "SELECT * FROM nowhere",
        &by_customer,
        version,
        20.0,
    )
    .await;
    assert!(failed.is_err());
    let not_an_index = IndexCandidate {
        definition: "DROP TABLE orders".into(),
        ..by_customer.clone()
    };
    let refused = plan::evaluate_index(&mut client, "SELECT 1", &not_an_index, version, 20.0).await;
    assert!(
        matches!(refused, Err(PlanError::InvalidCandidate { .. })),
        "{refused:?}"
    );

    assert_eq!(
        scalar(&client, "SELECT count(*) FROM hypopg_list_indexes").await,
        "0"
    );
    assert_eq!(prepared_statements(&client).await, "0");
    assert_eq!(scalar(&client, "SHOW transaction_read_only").await, "on");
    assert_eq!(
        pg.psql(
            "app",
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'orders'"
        ),
        "1"
    );

    pg.create_database("plain");
    let spec = ConnSpec::parse_in(&pg.url_for("plain", "postgres"), &MapEnvironment::default())
        .expect("URL");
    let plain = db::connect(&spec, SessionPurpose::monitoring())
        .await
        .expect("session");
    assert!(!plan::hypopg_available(&plain).await.expect("check hypopg"));
}

#[tokio::test]
async fn seq_scan_large_table_fires_on_the_large_table_only() {
    let pg = cluster();
    let mut client = monitoring(&pg).await;
    let version = server_version_num(&client).await;
    let catalog = catalog_of(&pg, &["orders", "regions"]);
    let thresholds = Thresholds::default();

    let large = plan::explain_generic(
        &mut client,
        "SELECT * FROM orders WHERE customer_id = $1",
        version,
        true,
    )
    .await
    .expect("plan");
    let findings = plan::plan_findings(&large, &catalog, &thresholds);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].code, "seq-scan-large-table");
    assert_eq!(findings[0].relation.as_deref(), Some("public.orders"));
    assert!(
        findings[0].message.contains("~200,000 rows")
            && findings[0].message.contains("(orders.customer_id = $1)")
            && findings[0]
                .message
                .ends_with("an index on public.orders (customer_id) may help"),
        "{}",
        findings[0].message
    );

    for statement in [
        "SELECT * FROM regions WHERE name = 'region 7'",
        "SELECT * FROM orders WHERE id = 42",
        "SELECT count(*) FROM orders",
    ] {
        let plan = plan::explain_generic(&mut client, statement, version, false)
            .await
            .expect("plan");
        assert_eq!(
            plan::plan_findings(&plan, &catalog, &thresholds),
            [],
            "{statement}"
        );
    }

    let markdown = plan::render_plan(&large);
    assert!(markdown.contains("**⟵ most expensive**"), "{markdown}");
}

/// The catalog facts the diagnostics read, as the statistics source would
/// report them.
fn catalog_of(pg: &PgCluster, tables: &[&str]) -> Catalog {
    let mut catalog = Catalog::default();
    for table in tables {
        let rows: f64 = pg
            .psql(
                "app",
                &format!("SELECT reltuples FROM pg_class WHERE relname = '{table}'"),
            )
            .parse()
            .expect("reltuples");
        catalog.tables.push(TableInfo {
            schema: "public".into(),
            name: (*table).into(),
            estimated_rows: rows,
            total_bytes: 0,
            seq_scans: 0,
            index_scans: 0,
            live_rows: 0,
            writes: 0,
        });
        let columns = pg.psql(
            "app",
            &format!(
                "SELECT attname FROM pg_attribute
                 WHERE attrelid = '{table}'::regclass AND attnum > 0 AND NOT attisdropped"
            ),
        );
        catalog
            .columns
            .extend(columns.lines().map(|name| ColumnInfo {
                schema: "public".into(),
                table: (*table).into(),
                name: name.into(),
                data_type: String::new(),
                not_null: false,
                null_fraction: None,
                n_distinct: None,
            }));
    }
    catalog
}
