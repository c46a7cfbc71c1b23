//! A real, throwaway PostgreSQL 15 cluster per test.
//!
//! Each `PgCluster` runs `initdb` in its own temp dir, listens on 127.0.0.1 at
//! a free port and on a unix socket inside that dir, and preloads
//! `pg_stat_statements`. Dropping it stops the server and removes the dir.
//!
//! initdb refuses to run as root, so when the tests run as root the server
//! binaries run as the `postgres` OS user (via `runuser`) and the temp dir is
//! handed to that user. psql itself connects over TCP with trust auth, so it
//! runs as whoever runs the tests.

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tempfile::TempDir;

const DEFAULT_PG_BIN: &str = "/usr/lib/postgresql/15/bin";
/// The superuser name, fixed with `initdb -U` so it does not depend on who ran initdb.
pub const SUPERUSER: &str = "postgres";
/// How often to retry when another process grabbed the free port before the server bound it.
const PORT_ATTEMPTS: usize = 5;

/// Options for a cluster; `PgCluster::start()` uses the defaults.
#[derive(Default)]
pub struct PgClusterBuilder {
    extra_conf: Vec<String>,
}

impl PgClusterBuilder {
    /// Appends one line to postgresql.conf after the defaults (later lines win).
    pub fn conf(mut self, line: &str) -> Self {
        self.extra_conf.push(line.to_owned());
        self
    }

    pub fn start(self) -> PgCluster {
        PgCluster::init_and_start(&self.extra_conf)
    }
}

pub struct PgCluster {
    dir: TempDir,
    port: u16,
    running: bool,
}

impl PgCluster {
    pub fn start() -> PgCluster {
        Self::builder().start()
    }

    pub fn builder() -> PgClusterBuilder {
        PgClusterBuilder::default()
    }

    /// The libpq URI of the superuser on the `postgres` database.
    pub fn superuser_url(&self) -> String {
        self.url_for("postgres", SUPERUSER)
    }

    /// A libpq URI over TCP; names are used verbatim, so keep them URI-safe.
    pub fn url_for(&self, db: &str, user: &str) -> String {
        format!("postgresql://{user}@127.0.0.1:{}/{db}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn socket_dir(&self) -> PathBuf {
        self.dir.path().join("sock")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// The server log so far (empty if it cannot be read).
    pub fn server_log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Runs `sql` as the superuser in `db`; panics with psql's stderr on failure.
    /// Returns unaligned, tuples-only output without the trailing newline.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        self.psql_as(db, SUPERUSER, sql)
    }

    /// Like `psql`, connecting as `user`.
    pub fn psql_as(&self, db: &str, user: &str, sql: &str) -> String {
        self.try_psql_as(db, user, sql).unwrap_or_else(|stderr| {
            panic!("psql failed in {db} as {user}:\n{sql}\n--- stderr ---\n{stderr}")
        })
    }

    /// Like `psql`, but returns psql's stderr as the error (for statements expected to fail).
    pub fn try_psql(&self, db: &str, sql: &str) -> Result<String, String> {
        self.try_psql_as(db, SUPERUSER, sql)
    }

    pub fn try_psql_as(&self, db: &str, user: &str, sql: &str) -> Result<String, String> {
        run_psql(&self.url_for(db, user), sql)
    }

    pub fn create_database(&self, name: &str) {
        self.psql(
            "postgres",
            &format!("CREATE DATABASE {}", quote_ident(name)),
        );
    }

    /// Restarts the server (fast shutdown) and waits until it accepts connections.
    pub fn restart(&mut self) {
        let output = self.pg_ctl(&["restart", "-w", "-t", "60", "-m", "fast", "-l"], true);
        self.expect_success("pg_ctl restart", &output);
        self.running = true;
        self.wait_until_ready();
    }

    /// Stops the server (fast shutdown); `restart()` starts it again.
    pub fn stop(&mut self) {
        let output = self.pg_ctl(&["stop", "-w", "-t", "60", "-m", "fast"], false);
        self.expect_success("pg_ctl stop", &output);
        self.running = false;
    }

    fn init_and_start(extra_conf: &[String]) -> PgCluster {
        let dir = make_cluster_dir();
        run_initdb(dir.path());
        append_conf(dir.path(), &base_conf(dir.path()));
        append_conf(dir.path(), extra_conf);
        let mut cluster = PgCluster {
            dir,
            port: 0,
            running: false,
        };
        cluster.start_on_free_port();
        cluster
    }

    /// Picks a free port and starts; retries when another process took the
    /// port between our probe and the server's bind.
    fn start_on_free_port(&mut self) {
        for attempt in 1..=PORT_ATTEMPTS {
            self.port = free_port();
            append_conf(self.dir.path(), &[format!("port = {}", self.port)]);
            let log_before = self.server_log().len();
            let output = self.pg_ctl(&["start", "-w", "-t", "60", "-l"], true);
            if output.status.success() {
                self.running = true;
                self.wait_until_ready();
                return;
            }
            let log = self.server_log();
            let this_attempt = log.get(log_before..).unwrap_or(&log);
            if !(port_was_taken(this_attempt) && attempt < PORT_ATTEMPTS) {
                self.expect_success("pg_ctl start", &output);
            }
        }
    }

    /// pg_ctl -w already waits for the postmaster to report ready; this also
    /// proves the TCP listener we hand to tests is the one that answers.
    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = self.port.to_string();
        loop {
            let output = command(&pg_bin("pg_isready"))
                .args([
                    "-q",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port,
                    "-U",
                    SUPERUSER,
                    "-d",
                    "postgres",
                ])
                .output()
                .expect("run pg_isready");
            if output.status.success() {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "PostgreSQL on port {port} did not become ready\n--- server log ---\n{}",
                    self.server_log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs pg_ctl on this cluster's data dir; `with_log` appends the log file
    /// path, which must follow a trailing `-l` in `args`.
    fn pg_ctl(&self, args: &[&str], with_log: bool) -> Output {
        let mut cmd = server_command(&pg_bin("pg_ctl"), self.dir.path());
        cmd.arg("-D").arg(self.data_dir()).args(args);
        if with_log {
            cmd.arg(self.log_path());
        }
        cmd.output().expect("run pg_ctl")
    }

    fn expect_success(&self, what: &str, output: &Output) {
        if !output.status.success() {
            panic!(
                "{what} failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}\n--- server log ---\n{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr),
                self.server_log()
            );
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- PostgreSQL server log (port {}) ---\n{}",
                self.port,
                self.server_log()
            );
        }
        if self.running {
            // Immediate: nothing in a throwaway cluster is worth a checkpoint.
            // -w so the temp dir is not removed under a live server.
            let _ = self.pg_ctl(&["stop", "-w", "-t", "30", "-m", "immediate"], false);
        }
    }
}

/// The settings every test cluster gets; see the module docs for why.
fn base_conf(dir: &Path) -> Vec<String> {
    vec![
        "listen_addresses = '127.0.0.1'".into(),
        format!("unix_socket_directories = '{}'", dir.join("sock").display()),
        "max_connections = 50".into(),
        "shared_buffers = 16MB".into(),
        "fsync = off".into(),
        "synchronous_commit = off".into(),
        "full_page_writes = off".into(),
        "shared_preload_libraries = 'pg_stat_statements'".into(),
        "compute_query_id = on".into(),
        "pg_stat_statements.track = all".into(),
    ]
}

fn append_conf(dir: &Path, lines: &[String]) {
    let path = dir.join("data").join("postgresql.conf");
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    for line in lines {
        writeln!(file, "{line}").expect("append to postgresql.conf");
    }
}

/// A fresh dir holding `data/`, `sock/` and `server.log`, owned by the user
/// the server will run as.
fn make_cluster_dir() -> TempDir {
    // As root, use /tmp: the postgres user must be able to traverse every
    // parent, which a root-only $TMPDIR would not allow.
    let parent = if running_as_root() {
        PathBuf::from("/tmp")
    } else {
        std::env::temp_dir()
    };
    let dir = tempfile::Builder::new()
        .prefix("optischema-pg-")
        .tempdir_in(parent)
        .expect("create temp dir for PostgreSQL");
    fs::create_dir(dir.path().join("sock")).expect("create socket dir");
    if running_as_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status()
            .expect("run chown");
        assert!(
            status.success(),
            "chown of {} to postgres failed",
            dir.path().display()
        );
    }
    dir
}

fn run_initdb(dir: &Path) {
    let output = server_command(&pg_bin("initdb"), dir)
        .arg("-D")
        .arg(dir.join("data"))
        .args([
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ])
        .output()
        .expect("run initdb");
    if !output.status.success() {
        panic!(
            "initdb failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn run_psql(url: &str, sql: &str) -> Result<String, String> {
    let mut child = command(&pg_bin("psql"))
        .args([
            "-X",
            "-A",
            "-t",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-f",
            "-",
            "-d",
            url,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run psql");
    // Write from a thread: a large result could otherwise fill the stdout
    // pipe while we are still writing the script.
    let mut stdin = child.stdin.take().expect("psql stdin");
    let script = sql.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(script.as_bytes()));
    let output = child.wait_with_output().expect("wait for psql");
    writer
        .join()
        .expect("psql stdin writer")
        .expect("write psql script");
    if output.status.success() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        Ok(stdout.trim_end_matches('\n').to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// A command for a server-side binary (initdb, pg_ctl): as the postgres user
/// when we are root, started in `dir` because that user may not be able to
/// read the test's working directory.
fn server_command(program: &Path, dir: &Path) -> Command {
    let mut cmd = if running_as_root() {
        let mut cmd = command(Path::new("runuser"));
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        command(program)
    };
    cmd.current_dir(dir).stdin(Stdio::null());
    cmd
}

/// A command with the caller's libpq variables removed, so a developer's
/// PGHOST/PGDATA/PGSERVICE cannot redirect a test.
fn command(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// A PostgreSQL binary from `OPTISCHEMA_PG_BIN`, else the Debian PostgreSQL 15 location.
pub fn pg_bin(name: &str) -> PathBuf {
    let dir = std::env::var_os("OPTISCHEMA_PG_BIN").unwrap_or_else(|| DEFAULT_PG_BIN.into());
    Path::new(&dir).join(name)
}

fn running_as_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| {
        let output = Command::new("id").arg("-u").output().expect("run id -u");
        String::from_utf8_lossy(&output.stdout).trim() == "0"
    })
}

/// Binds port 0 to let the OS pick a free port. The listener is closed
/// before the server binds, so the port can be lost in between; the caller retries.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

fn port_was_taken(log: &str) -> bool {
    log.contains("Address already in use") || log.contains("could not create any TCP/IP sockets")
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
