//! `optischema check --database`: the same live numbers as the editor, for CI.

mod support;

use std::process::Command;

use serde_json::Value;
use support::PgCluster;

#[test]
fn json_report_fills_stats_from_pg_stat_statements() {
    let cluster = PgCluster::start();
    cluster.psql(
        "postgres",
        "CREATE EXTENSION pg_stat_statements;
         CREATE TABLE t (id int PRIMARY KEY, v text);
         INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 1000) g;
         SELECT pg_stat_statements_reset();",
    );
    for id in [1, 2, 3] {
        cluster.psql("postgres", &format!("SELECT v FROM t WHERE id = {id};"));
    }
    cluster.psql("postgres", "SELECT pg_sleep(0.05);");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("q.sql"),
        "SELECT v FROM t WHERE id = $1;\nSELECT pg_sleep(0.05);\nSELECT 'never run';\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("optischema.toml"),
        "[thresholds]\nslowMeanMs = 20\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_optischema"))
        .args([
            "check",
            "--format",
            "json",
            "--database",
            &cluster.superuser_url(),
            "q.sql",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let statements = report["files"][0]["statements"].as_array().unwrap();
    let lookup = &statements[0]["stats"];
    assert_eq!(lookup["calls"], 3, "{lookup}");
    assert!(lookup["queryids"].as_array().unwrap().len() == 1);
    assert!(lookup["mean_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(statements[1]["stats"]["calls"], 1);
    assert_eq!(statements[2]["stats"], Value::Null);
    let diagnostics = report["files"][0]["diagnostics"].as_array().unwrap();
    assert!(
        diagnostics
            .iter()
            .any(|d| d["code"] == "slow-statement" && d["range"]["start"]["line"] == 1),
        "{diagnostics:?}"
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "a warning fails the run: {stderr}"
    );
}

#[test]
fn an_unreachable_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("q.sql"), "SELECT 1;").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_optischema"))
        .args([
            "check",
            "--database",
            "postgresql://nobody:secret-pw@127.0.0.1:1/db",
            "q.sql",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot read statistics"), "{stderr}");
    assert!(
        !stderr.contains("secret-pw"),
        "the password never appears: {stderr}"
    );
}
