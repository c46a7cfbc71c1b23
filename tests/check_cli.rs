//! `optischema check` as CI runs it: formats, exit codes, folders.

use std::process::{Command, Output};

use serde_json::Value;

fn check(args: &[&str], dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_optischema"))
        .arg("check")
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("optischema runs")
}

fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

const BAD: &str = "-- reports\nSELECT * FROM orders;\nDELETE FROM sessions;\n";
const CLEAN: &str = "SELECT id FROM orders WHERE id = $1;\n";

#[test]
fn text_output_and_exit_codes_follow_fail_on() {
    let dir = workspace(&[
        ("db/q.sql", BAD),
        ("db/nested/ok.sql", CLEAN),
        ("notes.txt", "SELECT *"),
    ]);
    let output = check(&["."], dir.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("db/q.sql:3:1: warning[missing-where]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("db/q.sql:2:8: info[select-star]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("3 statement(s) across 2 file(s)"),
        "{stdout}"
    );
    assert!(!stdout.contains("notes.txt"));

    // Only errors fail the run now; a warning does not.
    let output = check(&["--fail-on", "error", "."], dir.path());
    assert_eq!(output.status.code(), Some(0));
    let output = check(&["db/nested"], dir.path());
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn json_lists_every_statement_with_lsp_ranges() {
    let dir = workspace(&[("q.sql", "SELECT '😀', * FROM t;\nSELEC 1;\n")]);
    let output = check(&["--format", "json", "q.sql"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let file = &report["files"][0];
    assert_eq!(file["path"], "q.sql");
    let statements = file["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 2);
    assert_eq!(statements[1]["range"]["start"]["line"], 1);
    assert_eq!(statements[0]["stats"], Value::Null);
    assert_eq!(statements[0]["fingerprint"].as_str().unwrap().len(), 16);
    let star = file["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "select-star")
        .unwrap();
    // UTF-16 columns: `SELECT '` 8 + 😀 2 + `', ` 3.
    assert_eq!(star["range"]["start"]["character"], 13);
    assert_eq!(star["source"], "optischema");
    assert!(
        file["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "syntax-error")
    );
}

#[test]
fn sarif_is_valid_2_1_0_with_rule_metadata() {
    let dir = workspace(&[("sql/q.sql", BAD)]);
    let output = check(&["--format", "sarif", "sql"], dir.path());
    let log: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "sql/q.sql");
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
    }
    assert!(rules.iter().any(|r| r["id"] == "syntax-error"));
}

#[test]
fn usage_and_io_errors_exit_2() {
    let dir = workspace(&[]);
    let missing = check(&["missing.sql"], dir.path());
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("missing.sql"));
    let bad_flag = check(&["--format", "xml", "."], dir.path());
    assert_eq!(bad_flag.status.code(), Some(2));
}

#[test]
fn settings_file_switches_rules_off() {
    let dir = workspace(&[
        ("q.sql", BAD),
        (
            "optischema.toml",
            "[rules]\nmissing-where = \"off\"\nselect-star = \"error\"\n",
        ),
    ]);
    let output = check(&["q.sql"], dir.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("missing-where"), "{stdout}");
    assert!(stdout.contains("error[select-star]"), "{stdout}");
}

#[test]
fn invalid_utf8_is_read_lossily_not_rejected() {
    let dir = workspace(&[]);
    std::fs::write(
        dir.path().join("latin1.sql"),
        b"SELECT 'caf\xe9' FROM t WHERE x = NULL;\n",
    )
    .unwrap();
    let output = check(&["latin1.sql"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not valid UTF-8"));
    assert!(String::from_utf8_lossy(&output.stdout).contains("null-comparison"));
}
