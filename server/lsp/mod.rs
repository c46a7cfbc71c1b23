//! The language server: LSP over stdio, converting between the protocol and
//! the pure analysis.

mod advice;
mod ai_link;
mod backend;
mod capabilities;
pub mod commands;
pub(crate) mod convert;
mod edits;
mod impact;
mod output;
mod publish;
mod queryid_match;
mod settings_sync;
mod state;
mod stats_link;

use tower_lsp_server::{LspService, Server};

/// Serves LSP on stdin/stdout until the client says `exit`.
pub async fn serve_stdio() {
    let output = output::Output::start(std::io::stdout());
    let sink = output.sink();
    let backend_output = output.clone();
    let (service, socket) =
        LspService::build(move |client| backend::Backend::new(client, backend_output))
            .custom_method(
                "window/workDoneProgress/cancel",
                backend::Backend::work_done_progress_cancel,
            )
            .finish();
    Server::new(tokio::io::stdin(), sink, socket)
        .serve(service)
        .await;
    // The last frames (the shutdown response among them) must reach the
    // client before the process exits; a client that stopped reading is
    // not waited for long.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), output.flushed()).await;
}
