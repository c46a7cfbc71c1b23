//! Checks the shared test support itself: the throwaway PostgreSQL cluster
//! and the LSP framing. The LSP client is exercised against the real server
//! by the feature tests.

mod support;

use std::io::Cursor;
use std::time::Instant;

use serde_json::json;
use support::lsp::{read_message, write_message};
use support::{PgCluster, file_uri, temp_workspace};

#[test]
fn cluster_starts_with_pg_stat_statements_preloaded() {
    let started = Instant::now();
    let pg = PgCluster::start();
    eprintln!(
        "cluster on port {} started in {:?}",
        pg.port(),
        started.elapsed()
    );

    assert_eq!(
        pg.psql("postgres", "SHOW shared_preload_libraries"),
        "pg_stat_statements"
    );
    assert_eq!(pg.psql("postgres", "SHOW compute_query_id"), "on");
    assert!(
        pg.socket_dir()
            .join(format!(".s.PGSQL.{}", pg.port()))
            .exists()
    );
    assert_eq!(
        pg.superuser_url(),
        format!("postgresql://postgres@127.0.0.1:{}/postgres", pg.port())
    );
}

#[test]
fn pg_stat_statements_records_queries() {
    let pg = PgCluster::start();
    pg.create_database("app");
    pg.psql(
        "app",
        "CREATE EXTENSION pg_stat_statements;
         CREATE TABLE t (id int);
         SELECT count(*) FROM t WHERE id = 42;",
    );

    let recorded = pg.psql(
        "app",
        "SELECT calls, queryid <> 0 FROM pg_stat_statements
         WHERE query = 'SELECT count(*) FROM t WHERE id = $1'",
    );
    assert_eq!(recorded, "1|t");
}

#[test]
fn hypopg_creates_hypothetical_indexes() {
    let pg = PgCluster::start();
    let plan = pg.psql(
        "postgres",
        "CREATE EXTENSION hypopg;
         CREATE TABLE big AS SELECT g AS id FROM generate_series(1, 100000) g;
         ANALYZE big;
         SELECT count(*) FROM hypopg_create_index('CREATE INDEX ON big (id)');
         EXPLAIN SELECT * FROM big WHERE id = 7;",
    );
    assert!(
        plan.contains("btree_big_id"),
        "plan does not use the hypothetical index:\n{plan}"
    );
}

#[test]
fn restart_keeps_data_and_port() {
    let mut pg = PgCluster::builder().conf("work_mem = '8MB'").start();
    let port = pg.port();
    pg.psql(
        "postgres",
        "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('yes')",
    );

    pg.restart();

    assert_eq!(pg.port(), port);
    assert_eq!(pg.psql("postgres", "SELECT v FROM kept"), "yes");
    assert_eq!(pg.psql("postgres", "SHOW work_mem"), "8MB");
}

#[test]
fn stopped_cluster_refuses_and_restarts() {
    let mut pg = PgCluster::start();
    pg.stop();
    assert!(pg.try_psql("postgres", "SELECT 1").is_err());
    pg.restart();
    assert_eq!(pg.psql("postgres", "SELECT 1"), "1");
}

#[test]
fn two_clusters_run_side_by_side() {
    let first = PgCluster::start();
    let second = PgCluster::start();
    assert_ne!(first.port(), second.port());

    first.psql("postgres", "CREATE TABLE only_in_first ()");
    let in_second = second.psql(
        "postgres",
        "SELECT count(*) FROM pg_class WHERE relname = 'only_in_first'",
    );
    assert_eq!(in_second, "0");
}

#[test]
fn failed_sql_reports_the_error() {
    let pg = PgCluster::start();
    let error = pg
        .try_psql("postgres", "SELECT * FROM missing_table")
        .unwrap_err();
    assert!(error.contains("missing_table"), "{error}");
}

#[test]
fn dropping_the_cluster_stops_it_and_removes_its_dir() {
    let pg = PgCluster::start();
    let url = pg.superuser_url();
    let data_dir = pg.data_dir();
    drop(pg);
    assert!(!data_dir.exists());
    let status = std::process::Command::new(support::pg::pg_bin("pg_isready"))
        .args(["-q", "-d", &url])
        .status()
        .expect("run pg_isready");
    assert!(!status.success(), "server still answers at {url}");
}

#[test]
fn lsp_framing_round_trips() {
    let message =
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "ü": "ß" } });
    let mut wire = Vec::new();
    write_message(&mut wire, &message).unwrap();
    write_message(&mut wire, &json!({ "jsonrpc": "2.0", "method": "exit" })).unwrap();

    let mut reader = Cursor::new(wire);
    assert_eq!(read_message(&mut reader).unwrap(), Some(message));
    assert_eq!(
        read_message(&mut reader).unwrap().unwrap()["method"],
        "exit"
    );
    assert_eq!(read_message(&mut reader).unwrap(), None);
}

#[test]
fn lsp_framing_rejects_output_that_is_not_a_frame() {
    let mut reader = Cursor::new(b"hello from println!\n".to_vec());
    assert!(read_message(&mut reader).is_err());
}

#[test]
fn workspace_files_have_file_uris() {
    let workspace = temp_workspace();
    let uri = workspace.write("queries/a b.sql", "SELECT 1;");
    assert_eq!(uri, format!("{}/queries/a%20b.sql", workspace.uri));
    assert!(workspace.path.join("queries/a b.sql").exists());
    assert_eq!(file_uri("/x/y.sql"), "file:///x/y.sql");
}
