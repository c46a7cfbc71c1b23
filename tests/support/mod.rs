//! Shared support for integration tests: `mod support;` in each test file.
//!
//! - `PgCluster`: a real, throwaway PostgreSQL 15 cluster (see `pg.rs`).
//! - `LspClient`: drives the `optischema` binary over stdio (see `lsp.rs`).
//! - `file_uri` / `temp_workspace`: files the server can be pointed at.
//! - `ScriptedLlm`: an OpenAI-compatible endpoint with scripted answers (see `llm.rs`).

// Each test binary compiles this module and uses only part of it.
#![allow(dead_code, unused_imports)]

pub mod advisor;
pub mod commands;
pub mod llm;
pub mod lsp;
pub mod pg;
pub mod workload;

use std::path::{Path, PathBuf};

pub use lsp::{DEFAULT_TIMEOUT, LspClient, LspClientBuilder};
pub use pg::{PgCluster, PgClusterBuilder};
use tempfile::TempDir;

/// A `file://` URI for `path` (made absolute against the current directory),
/// percent-encoding everything but unreserved characters and `/`.
pub fn file_uri(path: impl AsRef<Path>) -> String {
    let path = std::path::absolute(path.as_ref()).expect("absolute path");
    let mut uri = String::from("file://");
    for byte in path.to_string_lossy().bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// A temp directory to use as a workspace root; removed on drop.
pub struct TempWorkspace {
    pub path: PathBuf,
    pub uri: String,
    _dir: TempDir,
}

impl TempWorkspace {
    /// Writes `relative` (creating parent dirs) and returns its URI.
    pub fn write(&self, relative: &str, contents: &str) -> String {
        let path = self.path.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create workspace dirs");
        }
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        file_uri(&path)
    }
}

pub fn temp_workspace() -> TempWorkspace {
    let dir = tempfile::Builder::new()
        .prefix("optischema-ws-")
        .tempdir()
        .expect("create temp workspace");
    let path = dir.path().to_path_buf();
    TempWorkspace {
        uri: file_uri(&path),
        path,
        _dir: dir,
    }
}
