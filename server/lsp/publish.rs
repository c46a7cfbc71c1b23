//! Publishing diagnostics: computed from a document snapshot in a task of
//! its own, sent only while the document is still at that version.

use std::sync::Arc;

use tower_lsp_server::ls_types::notification::{Notification, PublishDiagnostics};
use tower_lsp_server::ls_types::{Diagnostic, PublishDiagnosticsParams, Uri};

use super::convert;
use super::state::ServerState;
use crate::analysis::diagnostics::document_findings;

/// Schedules a publish for `uri` at its current version. Edits that arrive
/// before the task runs make it stand down; the newest one publishes.
pub fn schedule(state: &Arc<ServerState>, uri: Uri) {
    let state = state.clone();
    tokio::spawn(async move {
        // Let queued edits land first so a burst of keystrokes publishes once.
        tokio::task::yield_now().await;
        publish_current(&state, uri).await;
    });
}

/// Publishes diagnostics for the document as it is now.
pub async fn publish_current(state: &ServerState, uri: Uri) {
    let Some(document) = state.document(&uri) else {
        return;
    };
    let settings = state.settings();
    let snapshot = state.snapshot();
    let encoding = state.encoding();
    let advice = state.advice();
    let diagnostics: Vec<Diagnostic> = document_findings(&document, &settings, &snapshot, &advice)
        .iter()
        .map(|found| convert::diagnostic(&document, found, encoding))
        .collect();
    let still_current = state
        .document(&uri)
        .is_some_and(|current| current.version() == document.version());
    if still_current {
        send(state, uri, diagnostics, Some(document.version())).await;
    }
}

/// Sends `textDocument/publishDiagnostics`.
pub async fn send(
    state: &ServerState,
    uri: Uri,
    diagnostics: Vec<Diagnostic>,
    version: Option<i32>,
) {
    let params = PublishDiagnosticsParams {
        uri,
        diagnostics,
        version,
    };
    state
        .output
        .notify(PublishDiagnostics::METHOD, &params)
        .await;
}

/// Re-publishes every open document (after settings or statistics change).
pub async fn publish_all(state: &ServerState) {
    let uris: Vec<Uri> = state
        .documents
        .iter()
        .map(|entry| entry.key().clone())
        .collect();
    for uri in uris {
        publish_current(state, uri).await;
    }
}
