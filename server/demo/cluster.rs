//! A throwaway PostgreSQL cluster: initdb into a fresh directory under
//! /tmp, a Unix-domain socket inside that directory (no TCP listener, so
//! only this user — and root — can reach its trust-authenticated
//! superuser), pg_stat_statements preloaded. Dropping it stops the server
//! and removes the directory, unless it was kept.
//!
//! initdb refuses to run as root, so as root the server programs run as
//! the `postgres` OS user (`runuser -u postgres --`) and the directory is
//! handed to that user.

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tokio_postgres::Config;

use super::binaries::PgBinaries;
use super::error::DemoError;
use crate::db::ConnSpec;

/// The cluster's superuser, fixed with `initdb -U`.
pub const SUPERUSER: &str = "postgres";
/// The OS user the server runs as when we are root.
const SERVER_OS_USER: &str = "postgres";

pub struct DemoCluster {
    binaries: PgBinaries,
    dir: PathBuf,
    port: u16,
    as_postgres_user: bool,
    running: bool,
    keep: bool,
}

impl DemoCluster {
    /// Creates the directory and runs initdb; the server is not started yet.
    pub fn init(binaries: PgBinaries) -> Result<DemoCluster, DemoError> {
        let dir = make_private_dir()?;
        let as_root = fs::metadata(&dir).map(|m| m.uid() == 0).unwrap_or(false);
        let cluster = DemoCluster {
            binaries,
            dir,
            port: 0,
            as_postgres_user: as_root,
            running: false,
            keep: false,
        };
        if as_root {
            cluster.hand_to_postgres_user()?;
        }
        cluster.initdb()?;
        Ok(cluster)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// Writes the settings and starts the server; waits until it accepts
    /// connections.
    pub fn start(&mut self, extra_settings: &[String]) -> Result<(), DemoError> {
        self.port = free_port()?;
        let mut settings = vec![
            // Unix socket only: trust authentication must not be reachable
            // by other users of this machine.
            "listen_addresses = ''".to_owned(),
            format!("unix_socket_directories = '{}'", self.dir.display()),
            "unix_socket_permissions = 0700".to_owned(),
            format!("port = {}", self.port),
            "max_connections = 30".to_owned(),
            "shared_preload_libraries = 'pg_stat_statements'".to_owned(),
            "compute_query_id = on".to_owned(),
            "pg_stat_statements.track = top".to_owned(),
            // A throwaway cluster need not survive a crash: load faster.
            "fsync = off".to_owned(),
            "synchronous_commit = off".to_owned(),
            "full_page_writes = off".to_owned(),
        ];
        settings.extend_from_slice(extra_settings);
        self.append_conf(&settings)?;
        let output = self.pg_ctl(&["start", "-w", "-t", "60", "-l"], true)?;
        if !output.status.success() {
            return Err(DemoError::command(
                "starting PostgreSQL (pg_ctl start)",
                format!(
                    "{}{}\n--- server log ---\n{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr),
                    self.log_tail()
                ),
            ));
        }
        self.running = true;
        Ok(())
    }

    /// The connection to `dbname` as the superuser, over the socket.
    pub fn spec(&self, dbname: &str) -> Result<ConnSpec, DemoError> {
        ConnSpec::parse(&self.url(dbname))
            .map_err(|error| DemoError::Database(format!("demo connection settings: {error}")))
    }

    /// A tokio-postgres configuration for `dbname` as the superuser over
    /// the socket, without session settings (loading must not time out).
    pub fn config(&self, dbname: &str) -> Config {
        let mut config = Config::new();
        config
            .host_path(&self.dir)
            .port(self.port)
            .user(SUPERUSER)
            .dbname(dbname)
            .application_name("optischema demo");
        config
    }

    /// `postgresql://postgres@/DB?host=<socket dir>&port=N`, which libpq and
    /// the editor settings accept as is.
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "postgresql://{SUPERUSER}@/{dbname}?host={}&port={}",
            self.dir.display(),
            self.port
        )
    }

    /// Leaves the server running and the directory in place when dropped.
    pub fn keep(&mut self) {
        self.keep = true;
    }

    /// How to stop a kept cluster, as a shell command.
    pub fn stop_command(&self) -> String {
        let pg_ctl = self.binaries.program("pg_ctl");
        let runuser = if self.as_postgres_user {
            format!("runuser -u {SERVER_OS_USER} -- ")
        } else {
            String::new()
        };
        format!(
            "{runuser}{} -D {} stop -m fast && rm -rf {}",
            pg_ctl.display(),
            self.data_dir().display(),
            self.dir.display()
        )
    }

    /// Stops the server (fast: sessions are ended, nothing is lost that
    /// matters) and removes the directory.
    pub fn stop_and_remove(mut self) -> Result<(), DemoError> {
        self.keep = false;
        let stopped = self.stop("fast");
        let removed = fs::remove_dir_all(&self.dir).map_err(|error| {
            DemoError::Io(format!("cannot remove {}: {error}", self.dir.display()))
        });
        // Nothing left for Drop to do.
        self.running = false;
        self.keep = true;
        stopped.and(removed)
    }

    fn stop(&mut self, mode: &str) -> Result<(), DemoError> {
        if !self.running {
            return Ok(());
        }
        let output = self.pg_ctl(&["stop", "-w", "-t", "30", "-m", mode], false)?;
        self.running = false;
        if output.status.success() {
            Ok(())
        } else {
            Err(DemoError::command(
                "stopping PostgreSQL (pg_ctl stop)",
                String::from_utf8_lossy(&output.stderr).into_owned(),
            ))
        }
    }

    /// The last lines of the server log, for error messages.
    pub fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    fn hand_to_postgres_user(&self) -> Result<(), DemoError> {
        let exists = Command::new("id")
            .args(["-u", SERVER_OS_USER])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !exists {
            let _ = fs::remove_dir_all(&self.dir);
            return Err(DemoError::NoPostgresUser {
                reason: "does not exist".into(),
            });
        }
        let output = Command::new("chown")
            .args(["-R", &format!("{SERVER_OS_USER}:{SERVER_OS_USER}")])
            .arg(&self.dir)
            .output()
            .map_err(|error| DemoError::command("chown", error.to_string()))?;
        if !output.status.success() {
            let _ = fs::remove_dir_all(&self.dir);
            return Err(DemoError::NoPostgresUser {
                reason: format!(
                    "could not be given the directory: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                ),
            });
        }
        Ok(())
    }

    fn initdb(&self) -> Result<(), DemoError> {
        let output = self
            .server_command("initdb")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C"])
            .arg("--no-sync")
            .output()
            .map_err(|error| self.spawn_failure("initdb", &error))?;
        if output.status.success() {
            return Ok(());
        }
        Err(DemoError::command(
            "initdb",
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        ))
    }

    fn append_conf(&self, lines: &[String]) -> Result<(), DemoError> {
        let path = self.data_dir().join("postgresql.conf");
        let mut file = fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|error| DemoError::Io(format!("cannot open {}: {error}", path.display())))?;
        for line in lines {
            writeln!(file, "{line}").map_err(|error| {
                DemoError::Io(format!("cannot write {}: {error}", path.display()))
            })?;
        }
        Ok(())
    }

    /// Runs pg_ctl on the data directory; `with_log` appends the log file,
    /// which must follow a trailing `-l` in `args`.
    fn pg_ctl(&self, args: &[&str], with_log: bool) -> Result<Output, DemoError> {
        let mut command = self.server_command("pg_ctl");
        command.arg("-D").arg(self.data_dir()).args(args);
        if with_log {
            command.arg(self.log_path());
        }
        command
            .output()
            .map_err(|error| self.spawn_failure("pg_ctl", &error))
    }

    fn spawn_failure(&self, program: &str, error: &std::io::Error) -> DemoError {
        let path = self.binaries.program(program);
        let detail = if self.as_postgres_user {
            format!(
                "cannot run `runuser -u {SERVER_OS_USER} -- {}` (as root the server runs as \
                 the postgres user; runuser is part of util-linux): {error}",
                path.display()
            )
        } else {
            format!("cannot run {}: {error}", path.display())
        };
        DemoError::command(program, detail)
    }

    /// A server program, as the postgres user when we are root, started in
    /// the cluster directory (that user may not be able to read ours), with
    /// the caller's PG* variables removed so they cannot redirect it.
    fn server_command(&self, program: &str) -> Command {
        let path = self.binaries.program(program);
        let mut command = if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args(["-u", SERVER_OS_USER, "--"]).arg(path);
            command
        } else {
            Command::new(path)
        };
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PG") {
                command.env_remove(name);
            }
        }
        command
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }
}

impl Drop for DemoCluster {
    /// Also runs when the demo is interrupted (Ctrl-C drops the demo's
    /// future) or fails: an immediate stop, since nothing in the cluster is
    /// worth a checkpoint, then the directory goes.
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        let _ = self.stop("immediate");
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A new directory only we can enter, under /tmp: short enough for a Unix
/// socket path (at most 107 bytes), and traversable by the postgres user
/// when we are root (a per-user $TMPDIR might not be).
fn make_private_dir() -> Result<PathBuf, DemoError> {
    let parent = if Path::new("/tmp").is_dir() {
        PathBuf::from("/tmp")
    } else {
        std::env::temp_dir()
    };
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    for attempt in 0..100u32 {
        let dir = parent.join(format!(
            "optischema-demo-{}-{:x}",
            std::process::id(),
            stamp.wrapping_add(attempt)
        ));
        match fs::create_dir(&dir) {
            Ok(()) => {
                fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(|error| {
                    DemoError::Io(format!("cannot restrict {}: {error}", dir.display()))
                })?;
                return Ok(dir);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => {
                return Err(DemoError::Io(format!(
                    "cannot create a directory in {}: {error}",
                    parent.display()
                )));
            }
        }
    }
    Err(DemoError::Io(format!(
        "cannot create a fresh directory in {}",
        parent.display()
    )))
}

/// A port no one listens on (the server only uses it to name its socket,
/// but a kept cluster may later be opened to TCP).
fn free_port() -> Result<u16, DemoError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|error| DemoError::Io(format!("cannot pick a free port: {error}")))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|error| DemoError::Io(format!("cannot pick a free port: {error}")))
}
