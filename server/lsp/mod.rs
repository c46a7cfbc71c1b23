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
mod publish;
mod queryid_match;
mod settings_sync;
mod state;
mod stats_link;

use tower_lsp_server::{LspService, Server};

/// Serves LSP on stdin/stdout until the client says `exit`.
pub async fn serve_stdio() {
    let (service, socket) = LspService::build(backend::Backend::new)
        .custom_method(
            "window/workDoneProgress/cancel",
            backend::Backend::work_done_progress_cancel,
        )
        .finish();
    Server::new(tokio::io::stdin(), tokio::io::stdout(), socket)
        .serve(service)
        .await;
}
