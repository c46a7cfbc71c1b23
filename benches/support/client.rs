//! A minimal LSP client for timing: every incoming message is stamped the
//! moment its body has been read, before JSON parsing, so a large
//! `publishDiagnostics` costs the measurement nothing on the client side.
//! Frames to send are serialised before the clock starts.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

pub const TIMEOUT: Duration = Duration::from_secs(120);

/// A message from the server and when its last byte arrived.
pub struct Received {
    pub at: Instant,
    pub message: Value,
}

pub struct Server {
    child: Child,
    stdin: Arc<Mutex<ChildStdin>>,
    incoming: Receiver<Received>,
    stderr: Arc<Mutex<Vec<u8>>>,
    next_id: i64,
    _home: TempDir,
}

impl Server {
    /// Starts `binary lsp` with a throwaway HOME and no database settings.
    pub fn start(binary: &str) -> Server {
        let home = tempfile::Builder::new()
            .prefix("optischema-bench-")
            .tempdir()
            .expect("create temp HOME");
        let mut command = Command::new(binary);
        command
            .arg("lsp")
            .current_dir(home.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("XDG_STATE_HOME", home.path().join("state"));
        for (name, _) in std::env::vars_os() {
            let text = name.to_string_lossy();
            if text.starts_with("PG") || text == "DATABASE_URL" {
                command.env_remove(&name);
            }
        }
        let mut child = command.spawn().expect("spawn optischema lsp");
        let stdin = Arc::new(Mutex::new(child.stdin.take().expect("stdin")));
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr_pipe = child.stderr.take().expect("stderr");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let stderr_sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n @ 1..) = stderr_pipe.read(&mut chunk) {
                lock(&stderr_sink).extend_from_slice(&chunk[..n]);
            }
        });
        let (sender, incoming) = mpsc::channel();
        let replies = Arc::clone(&stdin);
        std::thread::spawn(move || {
            let mut reader = BufReader::with_capacity(1 << 20, stdout);
            while let Some((at, body)) = read_frame(&mut reader) {
                let message: Value = serde_json::from_slice(&body).expect("server sent bad JSON");
                if let (Some(method), Some(id)) = (message["method"].as_str(), message.get("id")) {
                    // Answer the server's own requests as an editor would.
                    let result = if method == "workspace/configuration" {
                        let items = message["params"]["items"].as_array().map_or(0, Vec::len);
                        Value::Array(vec![Value::Null; items])
                    } else {
                        Value::Null
                    };
                    let reply = json!({ "jsonrpc": "2.0", "id": id, "result": result });
                    let _ = lock(&replies).write_all(&frame(&reply));
                }
                if sender.send(Received { at, message }).is_err() {
                    return;
                }
            }
        });
        Server {
            child,
            stdin,
            incoming,
            stderr,
            next_id: 1,
            _home: home,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes a prepared frame; returns the instant just before the write.
    pub fn send_frame(&self, frame: &[u8]) -> Instant {
        let mut stdin = lock(&self.stdin);
        let start = Instant::now();
        stdin.write_all(frame).expect("write to server");
        stdin.flush().expect("flush to server");
        start
    }

    pub fn notify(&self, method: &str, params: Value) -> Instant {
        let message = json!({ "jsonrpc": "2.0", "method": method, "params": params });
        self.send_frame(&frame(&message))
    }

    /// A request frame and its id, ready to send.
    pub fn request_frame(&mut self, method: &str, params: Value) -> (i64, Vec<u8>) {
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        (id, frame(&message))
    }

    /// Sends a request and waits for its response: (latency, result).
    pub fn request(&mut self, method: &str, params: Value) -> (Duration, Value) {
        let (id, frame) = self.request_frame(method, params);
        let start = self.send_frame(&frame);
        let received = self.wait_for(method, |m| m["id"] == id && m.get("method").is_none());
        if let Some(error) = received.message.get("error") {
            self.fail(&format!("{method} failed: {error}"));
        }
        (received.at - start, received.message["result"].clone())
    }

    /// Waits for a message satisfying `matches`; others are dropped.
    pub fn wait_for(&self, what: &str, matches: impl Fn(&Value) -> bool) -> Received {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(received) if matches(&received.message) => return received,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => self.fail(&format!("timed out on {what}")),
                Err(RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(Duration::from_millis(200));
                    self.fail(&format!("server exited while waiting for {what}"))
                }
            }
        }
    }

    /// Waits for `publishDiagnostics` for `uri` at `version`.
    pub fn wait_diagnostics(&self, uri: &str, version: i64) -> Received {
        self.wait_for("publishDiagnostics", |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        })
    }

    /// `initialize` + `initialized` with editor-like capabilities.
    pub fn initialize(&mut self) {
        let capabilities = json!({
            "general": { "positionEncodings": ["utf-16"] },
            "workspace": { "configuration": true },
            "textDocument": {
                "synchronization": { "didSave": true },
                "publishDiagnostics": { "versionSupport": true },
                "hover": { "contentFormat": ["markdown", "plaintext"] },
            },
        });
        let params = json!({
            "processId": std::process::id(),
            "clientInfo": { "name": "optischema-bench" },
            "capabilities": capabilities,
            "rootUri": null,
        });
        self.request("initialize", params);
        self.notify("initialized", json!({}));
    }

    /// `shutdown` then `exit`; waits for the process to end.
    pub fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.fail("server did not exit after shutdown");
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "lsp_latency: {what}\n--- server stderr ---\n{}",
            String::from_utf8_lossy(&lock(&self.stderr))
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One Content-Length framed message as bytes.
pub fn frame(message: &Value) -> Vec<u8> {
    let body = serde_json::to_vec(message).expect("serialise message");
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(&body);
    out
}

/// Reads one frame; returns when its body arrived. `None` at end of stream.
fn read_frame(reader: &mut impl BufRead) -> Option<(Instant, Vec<u8>)> {
    let mut length = None;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0u8; length.expect("frame without Content-Length")];
    reader.read_exact(&mut body).ok()?;
    Some((Instant::now(), body))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
