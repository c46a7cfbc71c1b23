//! The Neovim plugin (editors/nvim) in real headless Neovim against the built
//! server: the plugin attaches to a .sql file, shows the server's
//! diagnostics at the right place (UTF-16 positions converted by Neovim),
//! sends the settings (at start and with `set_settings()`), answers hover,
//! sends `:OptiSchemaExplain` with the documented arguments and restarts
//! with `:OptiSchemaRestart`.
//!
//! The Lua side is editors/nvim/tests/e2e.lua; it writes what it observed as
//! JSON, which this test checks. Neovim must be installed (Debian: `apt-get
//! install neovim`; .ci/run does it).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Headless Neovim must have finished by then (each wait inside has 20 s).
const NVIM_TIMEOUT: Duration = Duration::from_secs(120);

/// Line 1 holds a syntax error after a non-ASCII character, so UTF-16 and
/// byte columns differ; lines 3-5 hold a valid statement.
const SQL: &str = "-- OptiSchema editor test\n\
                   SELECT 'naïve', * FORM users;\n\
                   \n\
                   SELECT id, name\n\
                   FROM users\n\
                   WHERE id = 1;\n";
/// `FORM` on line 1: UTF-16 column 18 (what the server sends), byte column 19
/// (what Neovim shows).
const ERROR_LINE: u64 = 1;
const ERROR_BYTE_COL: u64 = 19;
const ERROR_BYTE_END_COL: u64 = 23;
/// The cursor for hover and `:OptiSchemaExplain`: on `name`, line 3 (ASCII).
const CURSOR_LINE: u64 = 3;
const CURSOR_COL: u64 = 11;
/// `vim.diagnostic.severity.WARN`: the test's settings turn syntax errors
/// into warnings, so this proves the settings reached the server.
const WARN: u64 = 2;
/// `vim.diagnostic.severity.ERROR`, what `set_settings()` switches back to.
const ERROR: u64 = 1;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fails (never skips) when Neovim is missing: this is the editor test CI relies on.
fn nvim_version() -> String {
    let output = Command::new("nvim")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "this test needs Neovim (`nvim` on PATH), which could not be run: {error}.\n\
                 Install Neovim: `apt-get install neovim` on Debian/Ubuntu, `brew install neovim` \
                 on macOS (.ci/run installs it)."
            )
        });
    assert!(
        output.status.success(),
        "`nvim --version` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout.lines().next().unwrap_or_default().to_owned()
}

/// A temp directory laid out as Neovim's home and a project to edit.
struct Sandbox {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    workspace: PathBuf,
    sql_file: PathBuf,
    out_file: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("optischema-nvim-")
            .tempdir()
            .expect("create temp dir");
        let root = dir.path().to_path_buf();
        let home = root.join("home");
        let workspace = root.join("workspace");
        let sql_file = workspace.join("sub").join("q.sql");
        for directory in [
            home.join("config"),
            home.join("data"),
            home.join("state"),
            home.join("cache"),
            root.join("tmp"),
            workspace.join("sub"),
        ] {
            fs::create_dir_all(&directory).expect("create test directory");
        }
        // The root marker: the client's root must be `workspace`, not `sub`.
        fs::write(workspace.join("optischema.toml"), "").expect("write optischema.toml");
        fs::write(&sql_file, SQL).expect("write q.sql");
        Sandbox {
            out_file: root.join("result.json"),
            _dir: dir,
            root,
            home,
            workspace,
            sql_file,
        }
    }

    fn lsp_log(&self) -> PathBuf {
        self.home.join("cache").join("nvim").join("lsp.log")
    }
}

/// Neovim with nothing of the user's: `--clean`, and HOME/XDG dirs in the sandbox.
fn nvim_command(sandbox: &Sandbox) -> Command {
    let plugin_dir = repo_root().join("editors").join("nvim");
    let script = plugin_dir.join("tests").join("e2e.lua");
    let mut command = Command::new("nvim");
    command
        .args(["--headless", "--clean"])
        .args([
            "--cmd",
            "lua vim.opt.runtimepath:prepend(os.getenv('OPTISCHEMA_PLUGIN_DIR'))",
        ])
        // The script quits by itself; this only catches a script that fails to load.
        .args([
            "-c",
            "lua local ok, err = pcall(dofile, os.getenv('OPTISCHEMA_TEST_SCRIPT')) \
             if not ok then io.stderr:write(tostring(err) .. '\\n') vim.cmd('cquit 3') end",
        ])
        .current_dir(&sandbox.workspace)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("HOME", &sandbox.home)
        .env("XDG_CONFIG_HOME", sandbox.home.join("config"))
        .env("XDG_DATA_HOME", sandbox.home.join("data"))
        .env("XDG_STATE_HOME", sandbox.home.join("state"))
        .env("XDG_CACHE_HOME", sandbox.home.join("cache"))
        .env("TMPDIR", sandbox.root.join("tmp"))
        .env("OPTISCHEMA_PLUGIN_DIR", &plugin_dir)
        .env("OPTISCHEMA_TEST_SCRIPT", &script)
        .env("OPTISCHEMA_SERVER", env!("CARGO_BIN_EXE_optischema"))
        .env("OPTISCHEMA_TEST_FILE", &sandbox.sql_file)
        .env("OPTISCHEMA_TEST_AT", format!("{CURSOR_LINE}:{CURSOR_COL}"))
        .env("OPTISCHEMA_TEST_OUT", &sandbox.out_file)
        .env("OPTISCHEMA_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// What one headless run left behind.
struct Run {
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
    result: Option<Value>,
    raw_result: String,
    lsp_log: String,
}

impl Run {
    /// Everything needed to see why the test failed.
    fn report(&self) -> String {
        let status = match self.status {
            Some(status) => format!("{status}"),
            None => format!("killed after {NVIM_TIMEOUT:?}"),
        };
        let result = match &self.result {
            Some(value) => serde_json::to_string_pretty(value).unwrap_or_default(),
            None => format!("(no valid JSON) {:?}", self.raw_result),
        };
        let log_tail: Vec<&str> = self.lsp_log.lines().rev().take(60).collect();
        let log_tail: Vec<&str> = log_tail.into_iter().rev().collect();
        format!(
            "nvim exit: {status}\n--- result JSON ---\n{result}\n--- nvim stdout ---\n{}\n\
             --- nvim stderr ---\n{}\n--- lsp.log (last 60 lines) ---\n{}",
            self.stdout,
            self.stderr,
            log_tail.join("\n")
        )
    }
}

fn wait_with_timeout(child: &mut Child) -> Option<ExitStatus> {
    let deadline = Instant::now() + NVIM_TIMEOUT;
    loop {
        match child.try_wait().expect("wait for nvim") {
            Some(status) => return Some(status),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            None => thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn run_nvim(sandbox: &Sandbox) -> Run {
    let mut child = nvim_command(sandbox).spawn().expect("spawn nvim");
    let stdout = drain(child.stdout.take().expect("nvim stdout"));
    let stderr = drain(child.stderr.take().expect("nvim stderr"));
    let status = wait_with_timeout(&mut child);
    let raw_result = fs::read_to_string(&sandbox.out_file).unwrap_or_default();
    Run {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        result: serde_json::from_str(&raw_result).ok(),
        raw_result,
        lsp_log: fs::read_to_string(sandbox.lsp_log()).unwrap_or_default(),
    }
}

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn find_code<'a>(diagnostics: &'a Value, code: &str) -> Option<&'a Value> {
    diagnostics.as_array()?.iter().find(|d| d["code"] == code)
}

#[test]
fn neovim_plugin_shows_diagnostics_and_hover_and_runs_commands() {
    let version = nvim_version();
    let sandbox = Sandbox::new();
    let run = run_nvim(&sandbox);
    let report = || format!("{version}\n{}", run.report());

    assert!(
        run.status.is_some_and(|status| status.success()),
        "headless Neovim did not finish cleanly\n{}",
        report()
    );
    let result = run
        .result
        .as_ref()
        .unwrap_or_else(|| panic!("{}", report()));
    assert_eq!(result["error"], Value::Null, "{}", report());
    assert_eq!(result["filetype"], "sql", "{}", report());
    assert_eq!(result["commands_defined"], true, "{}", report());

    // One client for the project, rooted at the marker file's directory.
    assert_eq!(result["client"]["name"], "optischema", "{}", report());
    assert_eq!(
        result["client"]["root_dir"],
        sandbox.workspace.display().to_string(),
        "{}",
        report()
    );

    // The syntax error, where it is, at the severity the settings asked for.
    let error = find_code(&result["diagnostics"], "syntax-error")
        .unwrap_or_else(|| panic!("no syntax-error diagnostic\n{}", report()));
    assert_eq!(error["source"], "optischema", "{}", report());
    assert_eq!(error["lnum"], ERROR_LINE, "{}", report());
    assert_eq!(error["col"], ERROR_BYTE_COL, "{}", report());
    assert_eq!(error["end_lnum"], ERROR_LINE, "{}", report());
    assert_eq!(error["end_col"], ERROR_BYTE_END_COL, "{}", report());
    assert_eq!(error["severity"], WARN, "{}", report());
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("FORM"),
        "{}",
        report()
    );
    let errors_elsewhere = result["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["code"] == "syntax-error" && d["lnum"] != ERROR_LINE)
        .count();
    assert_eq!(
        errors_elsewhere,
        0,
        "the valid statement got a syntax error\n{}",
        report()
    );

    // Hover on the valid statement names its kind.
    let hover = &result["hover"];
    assert_eq!(hover["contents"]["kind"], "markdown", "{}", report());
    let markdown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(
        markdown.contains("SELECT"),
        "hover: {markdown:?}\n{}",
        report()
    );
    assert_eq!(hover["range"]["start"]["line"], CURSOR_LINE, "{}", report());

    // :OptiSchemaExplain sends the documented arguments.
    let uri = file_uri(&sandbox.sql_file);
    assert_eq!(result["uri"], uri.as_str(), "{}", report());
    assert_eq!(
        result["execute_command"],
        json!({
            "command": "optischema.explain",
            "arguments": [{
                "uri": uri,
                "position": {"line": CURSOR_LINE, "character": CURSOR_COL},
            }],
        }),
        "{}",
        report()
    );

    // Code lenses are refreshed on the plugin's events.
    assert_eq!(result["codelens_refreshed"], true, "{}", report());

    // A code lens's `optischema.explain` reaches the server through the
    // plugin's handler (which shows the answer instead of dropping it).
    assert_eq!(
        result["lens_command"],
        json!({
            "command": "optischema.explain",
            "arguments": [{"uri": uri, "position": {"line": 0, "character": 0}}],
        }),
        "{}",
        report()
    );

    // :OptiSchemaRestart replaces the client, which publishes again.
    assert_ne!(
        result["restarted_client"]["id"],
        result["client"]["id"],
        "{}",
        report()
    );
    assert_eq!(result["clients_after_restart"], 1, "{}", report());
    let again = find_code(&result["diagnostics_after_restart"], "syntax-error")
        .unwrap_or_else(|| panic!("no diagnostics after the restart\n{}", report()));
    assert_eq!(again["severity"], WARN, "{}", report());

    // require('optischema').set_settings() reaches the running server.
    let changed = find_code(&result["diagnostics_after_set_settings"], "syntax-error")
        .unwrap_or_else(|| panic!("no diagnostics after set_settings()\n{}", report()));
    assert_eq!(changed["severity"], ERROR, "{}", report());

    // The server never complained about the settings the plugin sent.
    let complaints: Vec<&Value> = result["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| {
            m["message"]
                .as_str()
                .is_some_and(|text| text.contains("invalid settings"))
        })
        .collect();
    assert!(complaints.is_empty(), "{complaints:?}\n{}", report());
}
