//! The statistics source against real PostgreSQL clusters: pg_stat_statements
//! versions, privileges, resets, restarts, identity and the catalog.

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use optischema::db::{self, ConnSpec, MapEnvironment, SessionPurpose};
use optischema::stats::model::EntryRow;
use optischema::stats::source::{ExtensionVersion, SourceError, SourceWarning, StatsSource};
use support::PgCluster;

/// A spec for `url` that ignores the test process's PG* variables and pgpass.
fn spec(url: &str) -> ConnSpec {
    ConnSpec::parse_in(url, &MapEnvironment::default()).expect("test URL parses")
}

async fn open(pg: &PgCluster, database: &str, user: &str) -> Result<StatsSource, SourceError> {
    StatsSource::connect(&spec(&pg.url_for(database, user))).await
}

async fn open_ok(pg: &PgCluster, database: &str, user: &str) -> StatsSource {
    open(pg, database, user)
        .await
        .unwrap_or_else(|error| panic!("open {database} as {user}: {error}"))
}

/// The queryids pg_stat_statements holds for `normalized` text in `database`.
fn queryids_of(pg: &PgCluster, database: &str, normalized: &str) -> Vec<i64> {
    let sql = format!(
        "SELECT DISTINCT queryid FROM pg_stat_statements s
         JOIN pg_database d ON d.oid = s.dbid
         WHERE d.datname = '{database}' AND s.query = '{}'",
        normalized.replace('\'', "''")
    );
    pg.psql(database, &sql)
        .lines()
        .map(|line| line.parse().expect("queryid"))
        .collect()
}

fn the_queryid_of(pg: &PgCluster, database: &str, normalized: &str) -> i64 {
    match queryids_of(pg, database, normalized).as_slice() {
        [queryid] => *queryid,
        other => panic!("expected one queryid for {normalized:?}, got {other:?}"),
    }
}

fn role_oid(pg: &PgCluster, role: &str) -> u32 {
    pg.psql(
        "postgres",
        &format!("SELECT oid FROM pg_roles WHERE rolname = '{role}'"),
    )
    .parse()
    .expect("role oid")
}

/// A backend reports its table counters when it goes idle or exits, which
/// can be just after psql has returned: wait for them.
fn wait_for_writes(pg: &PgCluster, table: &str, writes: i64) {
    let sql = format!(
        "SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables WHERE relname = '{table}'"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let seen: i64 = pg.psql("postgres", &sql).parse().unwrap_or(0);
        if seen >= writes {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{table}: {seen} writes reported, expected {writes}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn queryids(entries: &[EntryRow]) -> HashSet<i64> {
    entries.iter().map(|entry| entry.key.queryid).collect()
}

#[tokio::test]
async fn missing_extension_names_the_fix() {
    let pg = PgCluster::start();
    pg.create_database("app");

    let error = open(&pg, "app", "postgres").await.unwrap_err();

    assert!(matches!(&error, SourceError::ExtensionMissing { database } if database == "app"));
    let message = error.to_string();
    assert!(
        message.contains("run `CREATE EXTENSION pg_stat_statements;` in database app"),
        "{message}"
    );
    assert!(message.contains("shared_preload_libraries"), "{message}");
}

#[tokio::test]
async fn library_not_preloaded_names_the_fix() {
    let pg = PgCluster::builder()
        .conf("shared_preload_libraries = ''")
        .start();
    pg.psql("postgres", "CREATE EXTENSION pg_stat_statements");

    let error = open(&pg, "postgres", "postgres").await.unwrap_err();

    assert!(
        matches!(&error, SourceError::NotPreloaded { database } if database == "postgres"),
        "{error:?}"
    );
    assert!(
        error.to_string().contains(
            "add pg_stat_statements to shared_preload_libraries in postgresql.conf \
             and restart PostgreSQL"
        ),
        "{error}"
    );
}

#[tokio::test]
async fn entries_and_texts_belong_to_the_current_database() {
    let pg = PgCluster::start();
    for database in ["app", "other"] {
        pg.create_database(database);
        pg.psql(
            database,
            &format!(
                "CREATE EXTENSION pg_stat_statements;
                 CREATE TABLE t_{database} (id int);"
            ),
        );
    }
    pg.psql(
        "app",
        "SELECT count(*) FROM t_app WHERE id = 1;
         SELECT count(*) FROM t_app WHERE id = 2;
         SELECT max(id) FROM t_app;",
    );
    pg.psql("other", "SELECT count(*) FROM t_other WHERE id = 1;");
    let app_count = the_queryid_of(&pg, "app", "SELECT count(*) FROM t_app WHERE id = $1");
    let app_max = the_queryid_of(&pg, "app", "SELECT max(id) FROM t_app");
    let other_count = the_queryid_of(&pg, "other", "SELECT count(*) FROM t_other WHERE id = $1");

    let source = open_ok(&pg, "app", "postgres").await;
    let entries = source.entries().await.expect("entries");

    assert!(entries.iter().all(|entry| entry.key.dbid == source.dbid()));
    let seen = queryids(&entries);
    assert!(seen.contains(&app_count) && seen.contains(&app_max));
    assert!(!seen.contains(&other_count));
    let count_entry = entries
        .iter()
        .find(|entry| entry.key.queryid == app_count)
        .expect("count entry");
    assert_eq!(count_entry.counters.calls, 2);
    assert_eq!(count_entry.counters.rows, 2);
    assert!(count_entry.key.toplevel);
    assert!(count_entry.counters.total_exec_ms >= count_entry.counters.max_exec_ms);
    assert_eq!(count_entry.key.userid, role_oid(&pg, "postgres"));

    // Texts: only the queryids asked for, and never another database's.
    let texts = source
        .texts(&[app_count, other_count, 12_345])
        .await
        .expect("texts");
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert_eq!(
        texts[&app_count],
        "SELECT count(*) FROM t_app WHERE id = $1"
    );
    assert!(source.texts(&[]).await.expect("no texts").is_empty());
    let both = source.texts(&[app_count, app_max]).await.expect("texts");
    assert_eq!(both[&app_max], "SELECT max(id) FROM t_app");
}

#[tokio::test]
async fn a_role_without_pg_read_all_stats_sees_only_its_own_statements() {
    let pg = PgCluster::start();
    pg.create_database("app");
    pg.psql(
        "app",
        "CREATE EXTENSION pg_stat_statements;
         CREATE ROLE alice LOGIN;
         CREATE TABLE t (id int);
         GRANT SELECT ON t TO alice;
         SELECT count(*) FROM t WHERE id = 1;",
    );
    pg.psql_as("app", "alice", "SELECT max(id) FROM t;");
    let superuser_statement = the_queryid_of(&pg, "app", "SELECT count(*) FROM t WHERE id = $1");
    let alice_statement = the_queryid_of(&pg, "app", "SELECT max(id) FROM t");
    let alice = role_oid(&pg, "alice");

    let source = open_ok(&pg, "app", "alice").await;
    let entries = source.entries().await.expect("entries");

    let seen = queryids(&entries);
    assert!(seen.contains(&alice_statement));
    assert!(!seen.contains(&superuser_statement));
    assert!(entries.iter().all(|entry| entry.key.userid == alice));
    assert!(!source.privileges().read_all_stats && !source.privileges().superuser);
    let warnings: Vec<String> = source.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        ["statements of other users are hidden: `GRANT pg_read_all_stats TO alice;`"]
    );
    assert!(
        source
            .texts(&[superuser_statement])
            .await
            .unwrap()
            .is_empty()
    );

    // Following the advice shows everyone's statements and silences the warning.
    pg.psql("app", "GRANT pg_read_all_stats TO alice");
    let source = open_ok(&pg, "app", "alice").await;
    let seen = queryids(&source.entries().await.expect("entries"));
    assert!(seen.contains(&alice_statement) && seen.contains(&superuser_statement));
    assert!(source.warnings().is_empty(), "{:?}", source.warnings());
    assert!(source.privileges().read_all_stats);
}

#[tokio::test]
async fn stats_reset_moves_when_pg_stat_statements_is_reset() {
    let pg = PgCluster::start();
    pg.psql(
        "postgres",
        "CREATE EXTENSION pg_stat_statements; SELECT 42 AS answer;",
    );
    let answer = the_queryid_of(&pg, "postgres", "SELECT $1 AS answer");
    let source = open_ok(&pg, "postgres", "postgres").await;
    let before = source
        .stats_reset()
        .await
        .expect("stats_reset")
        .expect("1.9+");
    assert!(queryids(&source.entries().await.unwrap()).contains(&answer));

    std::thread::sleep(Duration::from_millis(20));
    pg.psql("postgres", "SELECT pg_stat_statements_reset()");

    let after = source
        .stats_reset()
        .await
        .expect("stats_reset")
        .expect("1.9+");
    assert!(after > before, "{after:?} should be after {before:?}");
    assert!(!queryids(&source.entries().await.unwrap()).contains(&answer));
}

#[tokio::test]
async fn every_installable_extension_version_is_read() {
    let pg = PgCluster::start();
    pg.psql("postgres", "CREATE TABLE t (id int)");
    // PostgreSQL 15 can install 1.4 and update it to any version up to 1.10;
    // its library still serves the old SQL interfaces.
    for minor in 4..=10 {
        pg.psql(
            "postgres",
            &format!(
                "DROP EXTENSION IF EXISTS pg_stat_statements;
                 CREATE EXTENSION pg_stat_statements VERSION '1.{minor}';
                 SELECT pg_stat_statements_reset();
                 SELECT count(*) FROM t WHERE id > 5;
                 SELECT count(*) FROM t WHERE id > 6;"
            ),
        );
        let version = ExtensionVersion::new(1, minor);
        let source = open_ok(&pg, "postgres", "postgres").await;
        assert_eq!(source.extension_version(), version);
        let expected_file = if minor < 8 {
            "queries/statements/v1.3.sql"
        } else if minor == 8 {
            "queries/statements/v1.8.sql"
        } else {
            "queries/statements/v1.9.sql"
        };
        assert_eq!(source.statements_sql().file, expected_file);

        let queryid = the_queryid_of(&pg, "postgres", "SELECT count(*) FROM t WHERE id > $1");
        let entries = source
            .entries()
            .await
            .unwrap_or_else(|e| panic!("1.{minor}: {e}"));
        let entry = entries
            .iter()
            .find(|entry| entry.key.queryid == queryid)
            .unwrap_or_else(|| panic!("1.{minor}: statement missing from {entries:?}"));
        assert_eq!(entry.counters.calls, 2, "1.{minor}");
        assert!(entry.counters.total_exec_ms > 0.0, "1.{minor}");
        assert!(entry.counters.mean_exec_ms > 0.0, "1.{minor}");
        assert!(entry.key.toplevel, "1.{minor}");
        let texts = source.texts(&[queryid]).await.unwrap();
        assert_eq!(texts[&queryid], "SELECT count(*) FROM t WHERE id > $1");
        let reset = source.stats_reset().await.unwrap();
        assert_eq!(reset.is_some(), version.has_info_view(), "1.{minor}");
    }
}

#[tokio::test]
async fn extension_in_a_schema_off_the_search_path() {
    let pg = PgCluster::start();
    pg.psql(
        "postgres",
        "CREATE SCHEMA extensions;
         CREATE EXTENSION pg_stat_statements SCHEMA extensions;
         SELECT 7 AS seven;",
    );
    let source = open_ok(&pg, "postgres", "postgres").await;
    let seven = {
        let sql =
            "SELECT queryid FROM extensions.pg_stat_statements WHERE query = 'SELECT $1 AS seven'";
        pg.psql("postgres", sql).parse::<i64>().expect("queryid")
    };
    assert!(queryids(&source.entries().await.unwrap()).contains(&seven));
    assert!(source.stats_reset().await.unwrap().is_some());
}

#[tokio::test]
async fn catalog_describes_tables_indexes_and_columns() {
    let pg = PgCluster::start();
    pg.psql(
        "postgres",
        "CREATE EXTENSION pg_stat_statements;
         CREATE SCHEMA shop;
         CREATE TABLE shop.orders (
             id bigint PRIMARY KEY,
             customer_id int NOT NULL,
             email varchar(80) NOT NULL,
             note text,
             deleted_at timestamptz
         );
         CREATE UNIQUE INDEX orders_customer_email ON shop.orders (customer_id, email);
         CREATE INDEX orders_live ON shop.orders (customer_id) WHERE deleted_at IS NULL;
         CREATE INDEX orders_lower_email ON shop.orders (lower(email)) INCLUDE (note);
         INSERT INTO shop.orders
             SELECT g, g % 50, 'c' || g || '@example.com',
                    CASE WHEN g % 4 = 0 THEN NULL ELSE 'n' END, NULL
             FROM generate_series(1, 2000) g;
         DELETE FROM shop.orders WHERE id <= 10;
         ANALYZE shop.orders;
         CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
         CREATE MATERIALIZED VIEW order_counts AS SELECT customer_id, count(*) FROM shop.orders GROUP BY 1;",
    );
    wait_for_writes(&pg, "orders", 2010);
    let source = open_ok(&pg, "postgres", "postgres").await;
    let catalog = source.catalog().await.expect("catalog");

    let orders = catalog.table("shop.orders").expect("shop.orders");
    assert_eq!(orders.estimated_rows, 1990.0);
    assert!(orders.total_bytes > 100_000, "{orders:?}");
    assert_eq!(orders.writes, 2010);
    // The session's own counts reach the statistics after ANALYZE set them,
    // so only a lower bound is certain.
    assert!(orders.live_rows >= 1990, "{orders:?}");
    assert!(catalog.table("events").is_some(), "partitioned table");
    assert!(catalog.table("order_counts").is_some(), "materialized view");
    assert!(catalog.tables.iter().all(|t| {
        !["pg_catalog", "information_schema"].contains(&t.schema.as_str())
            && !t.schema.starts_with("pg_toast")
    }));

    let index = |name: &str| {
        catalog
            .indexes_of(orders)
            .find(|index| index.name == name)
            .unwrap_or_else(|| panic!("index {name}"))
    };
    let primary = index("orders_pkey");
    assert!(primary.is_primary && primary.is_unique && primary.is_valid);
    assert_eq!(primary.columns, ["id"]);
    let unique = index("orders_customer_email");
    assert_eq!(
        unique.definition,
        "CREATE UNIQUE INDEX orders_customer_email ON shop.orders USING btree (customer_id, email)"
    );
    assert_eq!(unique.columns, ["customer_id", "email"]);
    assert!(unique.is_unique && !unique.is_primary && unique.predicate.is_none());
    assert!(unique.bytes > 0);
    let live = index("orders_live");
    assert_eq!(live.predicate.as_deref(), Some("deleted_at IS NULL"));
    assert!(!live.is_unique);
    // An expression key shows as its text; INCLUDE columns are not keys.
    assert_eq!(index("orders_lower_email").columns, ["lower(email::text)"]);

    let columns: Vec<_> = catalog.columns_of(orders).collect();
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "customer_id", "email", "note", "deleted_at"]);
    let column = |name: &str| *columns.iter().find(|c| c.name == name).expect(name);
    assert_eq!(column("id").data_type, "bigint");
    assert_eq!(column("email").data_type, "character varying(80)");
    assert_eq!(column("deleted_at").data_type, "timestamp with time zone");
    assert!(column("customer_id").not_null && !column("note").not_null);
    assert_eq!(column("deleted_at").null_fraction, Some(1.0));
    let note_nulls = column("note").null_fraction.expect("analysed");
    assert!((note_nulls - 0.25).abs() < 0.01, "{note_nulls}");
    assert_eq!(column("customer_id").n_distinct, Some(50.0));
    assert_eq!(column("id").n_distinct, Some(-1.0));
}

#[tokio::test]
async fn identity_survives_a_restart_and_differs_between_clusters() {
    let mut pg = PgCluster::start();
    pg.psql("postgres", "CREATE EXTENSION pg_stat_statements");
    let first = open_ok(&pg, "postgres", "postgres").await;
    let identity = first.identity().clone();
    let started = first.postmaster_start_time().await.expect("start time");
    assert!(
        !identity.system_identifier.is_empty()
            && identity
                .system_identifier
                .bytes()
                .all(|b| b.is_ascii_digit()),
        "{identity:?}"
    );
    assert_eq!(identity.database, "postgres");
    drop(first);

    pg.restart();
    let again = open_ok(&pg, "postgres", "postgres").await;
    assert_eq!(again.identity(), &identity);
    assert!(again.postmaster_start_time().await.unwrap() > started);

    let other = PgCluster::start();
    other.psql("postgres", "CREATE EXTENSION pg_stat_statements");
    let elsewhere = open_ok(&other, "postgres", "postgres").await;
    assert_ne!(
        elsewhere.identity().system_identifier,
        identity.system_identifier
    );
}

#[tokio::test]
async fn identity_falls_back_to_the_address_when_pg_control_system_is_revoked() {
    let mut pg = PgCluster::start();
    pg.psql(
        "postgres",
        "CREATE EXTENSION pg_stat_statements;
         CREATE ROLE watcher LOGIN IN ROLE pg_read_all_stats;
         REVOKE EXECUTE ON FUNCTION pg_control_system() FROM PUBLIC;",
    );
    let source = open_ok(&pg, "postgres", "watcher").await;
    let identity = source.identity().clone();
    assert!(
        identity.system_identifier.starts_with("address-"),
        "{identity:?}"
    );
    match source.warnings() {
        [warning @ SourceWarning::IdentityFromAddress { .. }] => {
            let text = warning.to_string();
            assert!(text.contains("permission denied"), "{text}");
            assert!(
                text.contains("`GRANT EXECUTE ON FUNCTION pg_control_system() TO watcher;`"),
                "{text}"
            );
        }
        other => panic!("expected the identity warning, got {other:?}"),
    }
    // Still usable after the refused call.
    source.entries().await.expect("entries");
    drop(source);

    pg.restart();
    let again = open_ok(&pg, "postgres", "watcher").await;
    assert_eq!(again.identity(), &identity);
}

#[tokio::test]
async fn warns_when_compute_query_id_is_off() {
    let pg = PgCluster::builder().conf("compute_query_id = off").start();
    pg.psql("postgres", "CREATE EXTENSION pg_stat_statements");
    let source = open_ok(&pg, "postgres", "postgres").await;
    assert!(!source.computes_query_id());
    assert_eq!(source.warnings(), [SourceWarning::QueryIdOff]);
    assert!(
        source.warnings()[0]
            .to_string()
            .contains("compute_query_id")
    );
}

/// The source runs in a monitoring session, which the server itself keeps
/// read-only, and what it sent (as pg_stat_statements recorded it) is only
/// ever SELECT.
#[tokio::test]
async fn the_monitoring_session_only_reads() {
    let pg = PgCluster::start();
    pg.psql(
        "postgres",
        "CREATE EXTENSION pg_stat_statements;
         CREATE ROLE monitor LOGIN IN ROLE pg_read_all_stats;
         CREATE TABLE t (id int PRIMARY KEY);",
    );
    let client = db::connect(
        &spec(&pg.url_for("postgres", "monitor")),
        SessionPurpose::monitoring(),
    )
    .await
    .expect("connect");
    let read_only = client
        .query_one("SHOW default_transaction_read_only", &[])
        .await
        .unwrap();
    assert_eq!(read_only.get::<_, String>(0), "on");

    let source = StatsSource::open(client).await.expect("open");
    let entries = source.entries().await.expect("entries");
    let ids: Vec<i64> = entries.iter().map(|e| e.key.queryid).collect();
    source.texts(&ids).await.expect("texts");
    source.stats_reset().await.expect("stats_reset");
    source.postmaster_start_time().await.expect("start time");
    source.catalog().await.expect("catalog");

    let monitor = role_oid(&pg, "monitor");
    let sent = pg.psql(
        "postgres",
        &format!(
            "SELECT string_agg(query, E'\\n;;\\n') FROM pg_stat_statements WHERE userid = {monitor}"
        ),
    );
    let statements: Vec<&str> = sent.split("\n;;\n").collect();
    // facts, extension, probe, identity, the counters, texts, info, start
    // time and three catalog queries; SHOW ran before the source opened.
    assert!(statements.len() >= 10, "{sent}");
    for statement in statements {
        let code = statement
            .lines()
            .skip_while(|line| line.trim_start().starts_with("--") || line.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            code.starts_with("SELECT") || code.starts_with("SHOW"),
            "not a read: {statement}"
        );
    }
}

/// Prints how long the reads take on a small database (20 tables, a few
/// hundred statements). Benchmarks live in benches/; this only reports.
#[tokio::test]
async fn reports_read_times_on_a_small_database() {
    let pg = PgCluster::start();
    let mut setup = String::from("CREATE EXTENSION pg_stat_statements;\n");
    for table in 0..20 {
        setup.push_str(&format!(
            "CREATE TABLE t{table} (id int PRIMARY KEY, a int, b text, c timestamptz);
             CREATE INDEX ON t{table} (a, b);
             INSERT INTO t{table} SELECT g, g % 10, 'x' || g, now() FROM generate_series(1, 500) g;
             ANALYZE t{table};\n"
        ));
        for column in ["a", "b", "id"] {
            for shape in ["=", ">", "<"] {
                setup.push_str(&format!(
                    "SELECT count(*) FROM t{table} WHERE {column} {shape} '1';\n"
                ));
            }
        }
    }
    pg.psql("postgres", &setup);
    let source = open_ok(&pg, "postgres", "postgres").await;

    let started = Instant::now();
    let entries = source.entries().await.expect("entries");
    let entries_took = started.elapsed();
    let ids: Vec<i64> = entries.iter().map(|e| e.key.queryid).collect();
    let started = Instant::now();
    let texts = source.texts(&ids).await.expect("texts");
    let texts_took = started.elapsed();
    let started = Instant::now();
    let catalog = source.catalog().await.expect("catalog");
    let catalog_took = started.elapsed();

    assert!(entries.len() >= 180, "{}", entries.len());
    assert_eq!(catalog.tables.len(), 20);
    eprintln!(
        "entries(): {} rows in {entries_took:?}; texts(): {} in {texts_took:?}; \
         catalog(): {} tables, {} indexes, {} columns in {catalog_took:?}",
        entries.len(),
        texts.len(),
        catalog.tables.len(),
        catalog.indexes.len(),
        catalog.columns.len()
    );
}
