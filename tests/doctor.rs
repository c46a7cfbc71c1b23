//! `optischema doctor` against real clusters: what passes, what fails with
//! which fix, and that a password is never printed.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::PgCluster;

/// The doctor's output and exit code.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout, self.stderr
        )
    }

    /// The line `symbol check: …` that contains `needle`.
    fn line(&self, symbol: &str, needle: &str) -> &str {
        self.stdout
            .lines()
            .find(|line| line.starts_with(symbol) && line.contains(needle))
            .unwrap_or_else(|| panic!("no `{symbol}` line with `{needle}`\n{}", self.all()))
    }

    /// The `fix:` line right after the line containing `needle`.
    fn fix_after(&self, needle: &str) -> &str {
        let mut lines = self.stdout.lines();
        lines.find(|line| line.contains(needle));
        lines
            .next()
            .filter(|line| line.trim_start().starts_with("fix:"))
            .unwrap_or_else(|| panic!("no fix after `{needle}`\n{}", self.all()))
    }
}

/// Runs the doctor in `dir` (no optischema.toml unless the test wrote one)
/// with a clean environment: no PG* or DATABASE_URL of the developer's, and
/// a private cache directory for the history check.
fn doctor(dir: &Path, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_optischema"));
    command.arg("doctor").args(args).current_dir(dir);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("PG") || name == "DATABASE_URL" || name == "OPENAI_API_KEY" {
            command.env_remove(name);
        }
    }
    command.env("XDG_CACHE_HOME", dir.join("cache"));
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("run optischema doctor");
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

#[test]
fn a_well_set_up_database_passes_and_the_sandbox_is_compared() {
    let cluster = PgCluster::start();
    cluster.create_database("app");
    cluster.create_database("app_sandbox");
    cluster.psql(
        "app",
        "CREATE EXTENSION pg_stat_statements;
         CREATE EXTENSION hypopg;
         CREATE TABLE t (id int PRIMARY KEY);
         SELECT count(*) FROM t;",
    );
    cluster.psql("app_sandbox", "CREATE TABLE t (id int PRIMARY KEY);");
    let dir = tempfile::tempdir().expect("temp dir");
    let database = cluster.url_for("app", "postgres");

    let run = doctor(
        dir.path(),
        &[
            "--database",
            &database,
            "--sandbox",
            &cluster.url_for("app_sandbox", "postgres"),
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(!run.stdout.contains('✗'), "{}", run.all());
    run.line("✓", "settings: no optischema.toml");
    run.line("✓", "database: postgresql://postgres@127.0.0.1");
    run.line("✓", "connection: connected to");
    run.line("✓", "server: PostgreSQL 15");
    run.line(
        "✓",
        "session: read-only (default_transaction_read_only = on)",
    );
    run.line("✓", "pg_stat_statements: loaded");
    run.line("✓", "pg_stat_statements: extension version");
    run.line("✓", "query ids: compute_query_id = on");
    run.line("✓", "privileges: role postgres is a superuser");
    run.line("✓", "pg_stat_statements: holds");
    run.line("✓", "HypoPG: version");
    run.line(
        "✓",
        "sandbox: can create an index inside a transaction that is rolled back",
    );
    run.line("✓", "sandbox: a different database (\"app_sandbox\")");
    run.line("✓", "sandbox: the role owns all 1 table(s)");
    run.line("✓", "history:");
    assert!(run.stdout.contains("0 failed"), "{}", run.all());

    // The sandbox pointing at the monitored database is called out loudly.
    let run = doctor(
        dir.path(),
        &["--database", &database, "--sandbox", &database],
    );
    let warning = run.line("!", "THE SANDBOX IS THE MONITORED DATABASE");
    assert!(warning.contains("same system identifier"), "{}", run.all());
    assert!(run.fix_after("THE SANDBOX IS").contains("separate copy"));

    // JSON carries the same checks.
    let run = doctor(dir.path(), &["--database", &database, "--format", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON report");
    assert_eq!(report["ok"], true);
    assert!(
        report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .any(|check| check["check"] == "HypoPG" && check["status"] == "pass")
    );
}

#[test]
fn missing_extension_and_missing_privileges_say_how_to_fix_them() {
    let cluster = PgCluster::start();
    cluster.create_database("bare");
    cluster.create_database("watched");
    cluster.psql(
        "watched",
        "CREATE EXTENSION pg_stat_statements;
         CREATE ROLE watcher LOGIN;",
    );
    let dir = tempfile::tempdir().expect("temp dir");

    let run = doctor(
        dir.path(),
        &["--database", &cluster.url_for("bare", "postgres")],
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    run.line("✗", "the extension is not installed in database \"bare\"");
    assert!(
        run.fix_after("not installed in database")
            .contains("CREATE EXTENSION pg_stat_statements;"),
        "{}",
        run.all()
    );
    // HypoPG is optional: a warning with both ways to get it.
    run.line("!", "HypoPG: not installed in database \"bare\"");
    assert!(
        run.fix_after("HypoPG: not installed")
            .contains("CREATE EXTENSION hypopg;")
    );

    let run = doctor(
        dir.path(),
        &["--database", &cluster.url_for("watched", "watcher")],
    );
    assert_eq!(run.code, Some(0), "warnings alone pass\n{}", run.all());
    run.line("!", "privileges: role watcher sees only its own statements");
    assert!(
        run.fix_after("privileges: role watcher")
            .contains("GRANT pg_read_all_stats TO watcher;"),
        "{}",
        run.all()
    );
}

#[test]
fn unreachable_server_fails_with_a_hint_and_never_shows_the_password() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let url = format!("postgresql://app:hunter2-secret@127.0.0.1:{port}/app");

    let run = doctor(dir.path(), &["--database", &url]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    run.line(
        "✗",
        "connection: cannot reach postgresql://app:***@127.0.0.1",
    );
    assert!(
        run.fix_after("connection: cannot reach")
            .contains("that the server is running"),
        "{}",
        run.all()
    );
    assert!(!run.all().contains("hunter2"), "{}", run.all());

    // Same from the settings file, with AI configured but its key unset.
    std::fs::write(
        dir.path().join("optischema.toml"),
        format!(
            "[database]\nurl = \"{url}\"\n\n[ai]\nbaseUrl = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\napiKeyEnv = \"DOCTOR_TEST_KEY\"\n"
        ),
    )
    .expect("write settings");
    let run = doctor(dir.path(), &["--format", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(!run.all().contains("hunter2"), "{}", run.all());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON report");
    let checks = report["checks"].as_array().expect("checks");
    let find = |name: &str| {
        checks
            .iter()
            .find(|check| check["check"] == name)
            .unwrap_or_else(|| panic!("no {name} check\n{}", run.all()))
    };
    assert_eq!(find("settings")["status"], "pass");
    assert!(
        find("database")["message"]
            .as_str()
            .unwrap_or("")
            .contains("from database.url in the settings")
    );
    assert_eq!(find("connection")["status"], "fail");
    assert_eq!(find("AI")["status"], "warn");
    assert!(
        find("AI")["fix"]
            .as_str()
            .unwrap_or("")
            .contains("export DOCTOR_TEST_KEY")
    );
}

#[test]
fn a_broken_settings_file_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("optischema.toml"),
        "[thresholds]\nslowMean = 5\n",
    )
    .expect("write settings");
    let run = doctor(dir.path(), &[]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    run.line("✗", "settings:");
    run.line("✗", "database: no database configured");
    assert!(
        run.fix_after("no database configured")
            .contains("--database")
    );
}
