//! `LspClient` drives the built `optischema` binary over stdio the way an
//! editor does: Content-Length framed JSON-RPC, answers to the server's own
//! requests, and a backlog of notifications that tests wait on.

use std::collections::{HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Server-to-client requests an editor acknowledges with a `null` result.
const NULL_RESULT_REQUESTS: &[&str] = &[
    "client/registerCapability",
    "client/unregisterCapability",
    "window/workDoneProgress/create",
    "workspace/codeLens/refresh",
    "workspace/diagnostic/refresh",
    "workspace/semanticTokens/refresh",
    "workspace/inlayHint/refresh",
    "workspace/inlineValue/refresh",
];

/// Sections returned for `workspace/configuration`, keyed by section name.
type Configuration = Arc<Mutex<HashMap<String, Value>>>;
type SharedStdin = Arc<Mutex<ChildStdin>>;

/// What the stdout reader thread hands to the test thread.
enum Incoming {
    Message(Value),
    /// The server wrote something that is not a valid LSP frame.
    Broken(String),
}

pub struct LspClientBuilder {
    args: Vec<String>,
    env: Vec<(String, String)>,
    current_dir: Option<PathBuf>,
    root_uri: Option<String>,
}

impl LspClientBuilder {
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// Sets a variable for the server; applied after the hermetic defaults.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// The workspace `initialize` announces (rootUri and one workspace folder).
    pub fn root_uri(mut self, uri: &str) -> Self {
        self.root_uri = Some(uri.to_owned());
        self
    }

    pub fn start(self) -> LspClient {
        LspClient::spawn(self)
    }
}

pub struct LspClient {
    child: Child,
    stdin: SharedStdin,
    incoming: Receiver<Incoming>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_thread: Option<JoinHandle<()>>,
    configuration: Configuration,
    root_uri: Option<String>,
    next_id: i64,
    /// Responses that arrived while waiting for something else.
    responses: HashMap<i64, Value>,
    /// Notifications and server requests not yet taken by a wait.
    backlog: VecDeque<Value>,
    /// Every notification and server request received, in order.
    history: Vec<Value>,
    /// HOME and XDG dirs for the server, so tests never touch the real ones.
    _home: TempDir,
}

impl LspClient {
    /// Starts the binary with `args` (normally `["lsp"]`) and default options.
    pub fn start(args: &[&str]) -> LspClient {
        Self::builder().args(args).start()
    }

    pub fn builder() -> LspClientBuilder {
        LspClientBuilder {
            args: Vec::new(),
            env: Vec::new(),
            current_dir: None,
            root_uri: None,
        }
    }

    fn spawn(options: LspClientBuilder) -> LspClient {
        let home = tempfile::Builder::new()
            .prefix("optischema-home-")
            .tempdir()
            .expect("create temp HOME");
        let mut child = server_command(&options, &home)
            .spawn()
            .expect("spawn optischema");
        let stdin = Arc::new(Mutex::new(child.stdin.take().expect("child stdin")));
        let stdout = child.stdout.take().expect("child stdout");
        let stderr_pipe = child.stderr.take().expect("child stderr");
        let configuration = Configuration::default();
        let (sender, incoming) = mpsc::channel();
        spawn_reader(
            stdout,
            sender,
            Arc::clone(&stdin),
            Arc::clone(&configuration),
        );
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let stderr_thread = spawn_stderr_collector(stderr_pipe, Arc::clone(&stderr));
        LspClient {
            child,
            stdin,
            incoming,
            stderr,
            stderr_thread: Some(stderr_thread),
            configuration,
            root_uri: options.root_uri,
            next_id: 1,
            responses: HashMap::new(),
            backlog: VecDeque::new(),
            history: Vec::new(),
            _home: home,
        }
    }

    /// Sets what `workspace/configuration` returns for `section` (for example
    /// `"optischema"`). Dotted sections such as `"optischema.database"` are
    /// answered from inside the value; unknown sections get `null`.
    pub fn set_configuration(&self, section: &str, value: Value) {
        lock(&self.configuration).insert(section.to_owned(), value);
    }

    /// Sends `initialize` then `initialized`; returns the initialize result.
    /// `capabilities` replaces the default editor-like client capabilities.
    pub fn initialize(&mut self, init_options: Value, capabilities: Option<Value>) -> Value {
        let mut params = json!({
            "processId": std::process::id(),
            "clientInfo": { "name": "optischema-tests" },
            "capabilities": capabilities.unwrap_or_else(default_capabilities),
            "initializationOptions": init_options,
            "rootUri": self.root_uri,
        });
        if let Some(uri) = &self.root_uri {
            params["workspaceFolders"] = json!([{ "uri": uri, "name": "workspace" }]);
        }
        let result = self
            .request("initialize", params)
            .unwrap_or_else(|error| self.fail(&format!("initialize failed: {error}")));
        self.notify("initialized", json!({}));
        result
    }

    /// Sends a request and waits up to `DEFAULT_TIMEOUT` for its response.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.request_with_timeout(method, params, DEFAULT_TIMEOUT)
    }

    pub fn request_with_timeout(
        &mut self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, Value> {
        let id = self.send_request(method, params);
        self.wait_response(id, method, timeout)
    }

    /// Sends a request without waiting, for tests that interleave messages;
    /// collect the answer with `wait_response`.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(with_params(
            json!({ "jsonrpc": "2.0", "id": id, "method": method }),
            params,
        ));
        id
    }

    /// Waits for the response to request `id`: `Ok(result)` or `Err(error)`.
    /// `what` names the request in the panic message on timeout.
    pub fn wait_response(
        &mut self,
        id: i64,
        what: &str,
        timeout: Duration,
    ) -> Result<Value, Value> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(response) = self.responses.remove(&id) {
                return match response.get("error") {
                    Some(error) => Err(error.clone()),
                    None => Ok(response.get("result").cloned().unwrap_or(Value::Null)),
                };
            }
            self.pump_until(deadline, &format!("response to {what} (id {id})"));
        }
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(with_params(
            json!({ "jsonrpc": "2.0", "method": method }),
            params,
        ));
    }

    /// Opens a document as language `sql`, version 1.
    pub fn did_open(&mut self, uri: &str, text: &str) {
        let document = json!({ "uri": uri, "languageId": "sql", "version": 1, "text": text });
        self.notify("textDocument/didOpen", json!({ "textDocument": document }));
    }

    /// `changes` is the `contentChanges` array, e.g. `[{"text": "..."}]` for a full sync.
    pub fn did_change(&mut self, uri: &str, version: i64, changes: Value) {
        let document = json!({ "uri": uri, "version": version });
        let params = json!({ "textDocument": document, "contentChanges": changes });
        self.notify("textDocument/didChange", params);
    }

    pub fn did_close(&mut self, uri: &str) {
        self.notify(
            "textDocument/didClose",
            json!({ "textDocument": { "uri": uri } }),
        );
    }

    /// Waits for the first notification `method` whose params satisfy
    /// `predicate`, takes it from the backlog and returns its params.
    /// Non-matching messages stay in the backlog for later waits.
    pub fn wait_notification(
        &mut self,
        method: &str,
        predicate: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Value {
        self.wait_message(method, false, predicate, timeout)
    }

    /// Like `wait_notification`, for requests the server sent us (already
    /// answered automatically), e.g. `workspace/codeLens/refresh`.
    pub fn wait_server_request(
        &mut self,
        method: &str,
        predicate: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Value {
        self.wait_message(method, true, predicate, timeout)
    }

    /// Waits for `textDocument/publishDiagnostics` for `uri` whose diagnostics
    /// satisfy `predicate`; returns those diagnostics.
    pub fn diagnostics_for(
        &mut self,
        uri: &str,
        predicate: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let params = self.wait_notification(
            "textDocument/publishDiagnostics",
            |params| params["uri"] == uri && predicate(diagnostics_of(params)),
            DEFAULT_TIMEOUT,
        );
        diagnostics_of(&params).to_vec()
    }

    /// Params of every notification `method` received so far, taken by a wait or not.
    pub fn notifications_seen(&mut self, method: &str) -> Vec<Value> {
        self.seen(method, false)
    }

    /// Params of every server request `method` received so far.
    pub fn server_requests_seen(&mut self, method: &str) -> Vec<Value> {
        self.seen(method, true)
    }

    /// Sends `shutdown` and `exit`, then waits for the process to end.
    pub fn shutdown_and_exit(&mut self) -> ExitStatus {
        if let Err(error) = self.request("shutdown", Value::Null) {
            self.fail(&format!("shutdown failed: {error}"));
        }
        self.notify("exit", Value::Null);
        let status = self.wait_for_exit(EXIT_TIMEOUT);
        self.join_stderr();
        status
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&lock(&self.stderr)).into_owned()
    }

    fn wait_message(
        &mut self,
        method: &str,
        is_request: bool,
        predicate: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.backlog.iter().position(|message| {
                message["method"] == method
                    && message.get("id").is_some() == is_request
                    && predicate(&message["params"])
            });
            if let Some(index) = found {
                let message = self.backlog.remove(index).expect("index from position");
                return message["params"].clone();
            }
            self.pump_until(deadline, &format!("{method} matching the predicate"));
        }
    }

    fn seen(&mut self, method: &str, is_request: bool) -> Vec<Value> {
        self.drain_ready();
        self.history
            .iter()
            .filter(|m| m["method"] == method && m.get("id").is_some() == is_request)
            .map(|m| m["params"].clone())
            .collect()
    }

    /// Takes one incoming message, waiting no later than `deadline`;
    /// panics with the server's stderr on timeout or if the server is gone.
    fn pump_until(&mut self, deadline: Instant, waiting_for: &str) {
        let timeout = deadline.saturating_duration_since(Instant::now());
        match self.incoming.recv_timeout(timeout) {
            Ok(incoming) => self.accept(incoming),
            Err(RecvTimeoutError::Timeout) => {
                self.fail(&format!("timed out waiting for {waiting_for}"))
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.wait_for_exit(EXIT_TIMEOUT);
                self.join_stderr();
                self.fail(&format!(
                    "server closed stdout ({status}) while waiting for {waiting_for}"
                ))
            }
        }
    }

    fn drain_ready(&mut self) {
        while let Ok(incoming) = self.incoming.try_recv() {
            self.accept(incoming);
        }
    }

    fn accept(&mut self, incoming: Incoming) {
        let message = match incoming {
            Incoming::Message(message) => message,
            Incoming::Broken(reason) => self.fail(&format!("server broke the protocol: {reason}")),
        };
        if message.get("method").is_some() {
            self.history.push(message.clone());
            self.backlog.push_back(message);
        } else if let Some(id) = message["id"].as_i64() {
            self.responses.insert(id, message);
        } else {
            self.fail(&format!("response without a numeric id: {message}"));
        }
    }

    fn send(&self, message: Value) {
        let mut stdin = lock(&self.stdin);
        if let Err(error) = write_message(&mut *stdin, &message) {
            drop(stdin);
            self.fail(&format!("cannot write {message} to the server: {error}"));
        }
    }

    fn wait_for_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll server process") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                self.fail(&format!("server did not exit within {timeout:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for stderr to reach EOF so `stderr_text` is complete; only
    /// call once the process has exited.
    fn join_stderr(&mut self) {
        if let Some(thread) = self.stderr_thread.take() {
            let _ = thread.join();
        }
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "LSP client: {what}\n--- server stderr ---\n{}",
            self.stderr_text()
        )
    }
}

impl Drop for LspClient {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- optischema stderr ---\n{}", self.stderr_text());
        }
    }
}

/// The server process: piped stdio, and an environment that cannot reach the
/// developer's database or home directory unless the test says so.
fn server_command(options: &LspClientBuilder, home: &TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_optischema"));
    cmd.args(&options.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        if name_text.starts_with("PG") || name_text == "DATABASE_URL" {
            cmd.env_remove(name);
        }
    }
    cmd.env("HOME", home.path());
    for xdg in [
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_CACHE_HOME",
        "XDG_STATE_HOME",
    ] {
        cmd.env(xdg, home.path().join(xdg.to_lowercase()));
    }
    if let Some(dir) = &options.current_dir {
        cmd.current_dir(dir);
    }
    cmd.envs(options.env.iter().map(|(k, v)| (k, v)));
    cmd
}

/// Reads the server's stdout; answers server requests itself (an editor
/// answers them without the test's involvement) and forwards every message.
fn spawn_reader(
    stdout: impl Read + Send + 'static,
    sender: Sender<Incoming>,
    stdin: SharedStdin,
    configuration: Configuration,
) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        loop {
            let message = match read_message(&mut reader) {
                Ok(Some(message)) => message,
                Ok(None) => return,
                Err(error) => {
                    let _ = sender.send(Incoming::Broken(error.to_string()));
                    return;
                }
            };
            if message.get("method").is_some()
                && let Some(id) = message.get("id")
            {
                let reply = reply_to_server_request(id, &message, &configuration);
                // A failed write means the server is gone; the test thread
                // learns that from the closed channel.
                let _ = write_message(&mut *lock(&stdin), &reply);
            }
            if sender.send(Incoming::Message(message)).is_err() {
                return;
            }
        }
    });
}

fn reply_to_server_request(id: &Value, request: &Value, configuration: &Configuration) -> Value {
    let method = request["method"].as_str().unwrap_or_default();
    if method == "workspace/configuration" {
        let result = configuration_items(&request["params"], &lock(configuration));
        json!({ "jsonrpc": "2.0", "id": id, "result": result })
    } else if NULL_RESULT_REQUESTS.contains(&method) {
        json!({ "jsonrpc": "2.0", "id": id, "result": null })
    } else {
        let error =
            json!({ "code": -32601, "message": format!("test client does not handle {method}") });
        json!({ "jsonrpc": "2.0", "id": id, "error": error })
    }
}

/// One value per requested item, as the protocol requires.
fn configuration_items(params: &Value, configuration: &HashMap<String, Value>) -> Value {
    let items = params["items"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let values = items
        .iter()
        .map(|item| section_value(item["section"].as_str().unwrap_or_default(), configuration))
        .collect();
    Value::Array(values)
}

fn section_value(section: &str, configuration: &HashMap<String, Value>) -> Value {
    let mut parts = section.split('.');
    let root = parts.next().unwrap_or_default();
    let Some(mut value) = configuration.get(root) else {
        return Value::Null;
    };
    for part in parts {
        value = &value[part];
    }
    value.clone()
}

fn spawn_stderr_collector(
    mut stderr: impl Read + Send + 'static,
    buffer: Arc<Mutex<Vec<u8>>>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = stderr.read(&mut chunk) {
            if n == 0 {
                return;
            }
            lock(&buffer).extend_from_slice(&chunk[..n]);
        }
    })
}

/// Reads one Content-Length framed message; `Ok(None)` at end of stream.
pub fn read_message(reader: &mut impl BufRead) -> io::Result<Option<Value>> {
    let Some(length) = read_content_length(reader)? else {
        return Ok(None);
    };
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    serde_json::from_slice(&body).map(Some).map_err(|e| {
        invalid(format!(
            "bad JSON body ({e}): {}",
            String::from_utf8_lossy(&body)
        ))
    })
}

/// Reads the header block; `Ok(None)` if the stream ends before a header starts.
fn read_content_length(reader: &mut impl BufRead) -> io::Result<Option<usize>> {
    let mut length = None;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return match length {
                None => Ok(None),
                Some(_) => Err(invalid("stream ended inside headers".into())),
            };
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            return length
                .map(Some)
                .ok_or_else(|| invalid("header block without Content-Length".into()));
        }
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| invalid(format!("not a header line: {header:?}")))?;
        if name.eq_ignore_ascii_case("content-length") {
            let parsed = value
                .trim()
                .parse()
                .map_err(|_| invalid(format!("bad Content-Length: {header:?}")))?;
            length = Some(parsed);
        }
    }
}

pub fn write_message(writer: &mut impl Write, message: &Value) -> io::Result<()> {
    let body = serde_json::to_vec(message)?;
    write!(writer, "Content-Length: {}\r\n\r\n", body.len())?;
    writer.write_all(&body)?;
    writer.flush()
}

/// Client capabilities of a modern editor: pull configuration, progress,
/// refresh requests, markdown hover, code action literals.
pub fn default_capabilities() -> Value {
    json!({
        "general": { "positionEncodings": ["utf-16"] },
        "window": { "workDoneProgress": true },
        "workspace": {
            "configuration": true,
            "workspaceFolders": true,
            "didChangeConfiguration": { "dynamicRegistration": true },
            "codeLens": { "refreshSupport": true },
            "diagnostics": { "refreshSupport": true },
            "inlayHint": { "refreshSupport": true },
            "semanticTokens": { "refreshSupport": true },
            "applyEdit": true,
            "workspaceEdit": { "documentChanges": true },
        },
        "textDocument": {
            "synchronization": { "didSave": true },
            "publishDiagnostics": {
                "relatedInformation": true,
                "versionSupport": true,
                "codeDescriptionSupport": true,
                "dataSupport": true,
            },
            "hover": { "contentFormat": ["markdown", "plaintext"] },
            "codeLens": {},
            "codeAction": {
                "codeActionLiteralSupport": {
                    "codeActionKind": { "valueSet": ["", "quickfix", "refactor", "refactor.rewrite", "source"] }
                },
                "resolveSupport": { "properties": ["edit"] },
                "dataSupport": true,
            },
        },
    })
}

fn diagnostics_of(params: &Value) -> &[Value] {
    params["diagnostics"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Omits `params` when null: some servers reject `"params": null` for
/// `shutdown` and `exit`.
fn with_params(mut message: Value, params: Value) -> Value {
    if !params.is_null() {
        message["params"] = params;
    }
    message
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Locks, ignoring poisoning: a panicking test thread must still be able to
/// read the server's stderr for its failure message.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
