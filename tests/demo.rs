//! `optischema demo` end to end: a throwaway cluster, the examples loaded,
//! a workload, and the editor's view printed; the cluster is gone afterwards,
//! also when the demo is interrupted.
//!
//! The data size and workload length are cut down (`--rows`, `--seconds`)
//! to keep the test short; HypoPG is installed on the test machines
//! (postgresql-15-hypopg), so the advisor's index must show.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn demo_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_optischema"));
    command
        .arg("demo")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            command.env_remove(name);
        }
    }
    command
}

/// The cluster directory the demo announced on stderr.
fn cluster_dir(stderr: &str) -> Option<PathBuf> {
    stderr
        .lines()
        .find_map(|line| line.split("initdb done in ").nth(1))
        .map(|dir| PathBuf::from(dir.trim()))
}

#[test]
fn demo_shows_lenses_live_diagnostics_and_an_index() {
    let started = Instant::now();
    let output = demo_command(&["--rows", "60000", "--seconds", "3"])
        .output()
        .expect("run optischema demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let all = format!("--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
    assert!(output.status.success(), "{all}");

    // Every example file is shown.
    for file in ["customers.sql", "maintenance.sql", "orders.sql"] {
        assert!(
            stdout.contains(&format!("examples/queries/{file}")),
            "{all}"
        );
    }
    // A code lens with live numbers.
    assert!(
        stdout
            .lines()
            .any(|line| line.trim_start().starts_with("lens") && line.contains("ms avg")),
        "{all}"
    );
    // A diagnostic from live numbers, and static ones.
    assert!(
        stdout
            .lines()
            .any(|line| line.trim_start().starts_with("live ")),
        "{all}"
    );
    assert!(stdout.contains("missing-where"), "{all}");
    // Hover excerpts.
    assert!(stdout.contains("hover    calls:"), "{all}");
    assert!(stdout.contains("Not seen in pg_stat_statements"), "{all}");
    // The advisor's index for the busiest statement, validated with HypoPG.
    assert!(
        stdout.contains("✓ Add index on orders (customer_id"),
        "{all}"
    );
    assert!(
        stdout.contains("CREATE INDEX ON orders (customer_id"),
        "{all}"
    );
    // Progress went to stderr, and the cluster is gone.
    assert!(stderr.contains("running the workload"), "{all}");
    let dir = cluster_dir(&stderr).expect("the demo names its cluster directory");
    assert!(!dir.exists(), "{} was not removed\n{all}", dir.display());
    eprintln!("demo test took {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn interrupted_demo_removes_its_cluster() {
    let mut child = demo_command(&["--rows", "20000", "--seconds", "30"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run optischema demo");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    // Wait until the workload runs: the cluster is up and loaded.
    for line in lines.by_ref() {
        let line = line.expect("read stderr");
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("running the workload") || Instant::now() > deadline {
            break;
        }
    }
    let dir = cluster_dir(&seen).unwrap_or_else(|| panic!("no cluster directory in\n{seen}"));
    assert!(dir.exists(), "{seen}");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("send SIGINT");
    assert!(status.success());
    for line in lines {
        seen.push_str(&line.expect("read stderr"));
        seen.push('\n');
    }
    let status = child.wait().expect("wait for the demo");
    assert_eq!(status.code(), Some(130), "{seen}");
    assert!(seen.contains("interrupted"), "{seen}");
    assert!(!dir.exists(), "{} was not removed\n{seen}", dir.display());
}
