//! The `LanguageServer` implementation: converts and dispatches, nothing more.
//! Notifications that change documents apply their edit synchronously before
//! any `.await`, so edits land in the order the editor sent them.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::state::{ServerState, lock};
use super::{advice, capabilities, commands, convert, impact, publish, settings_sync, stats_link};
use crate::analysis::hover::hover_with_advice;
use crate::analysis::lens::lenses;
use crate::config::SettingsLayer;
use crate::document::Document;
use crate::text::edit::TextChange;

pub struct Backend {
    state: Arc<ServerState>,
}

impl Backend {
    pub fn new(client: Client, output: super::output::Output) -> Backend {
        Backend {
            state: Arc::new(ServerState::new(client, output)),
        }
    }
}

fn workspace_root(params: &InitializeParams) -> Option<std::path::PathBuf> {
    let folder_uri = params
        .workspace_folders
        .as_ref()
        .and_then(|folders| folders.first())
        .map(|folder| &folder.uri);
    #[allow(deprecated)] // rootUri is what older clients send.
    let uri = folder_uri.or(params.root_uri.as_ref())?;
    uri.to_file_path().map(|path| path.into_owned())
}

fn text_change(change: TextDocumentContentChangeEvent) -> TextChange {
    let to_line_col = |position: Position| crate::text::LineCol {
        line: position.line,
        col: position.character,
    };
    TextChange {
        range: change
            .range
            .map(|range| (to_line_col(range.start), to_line_col(range.end))),
        text: change.text,
    }
}

impl Backend {
    /// `window/workDoneProgress/cancel`: the user pressed cancel on a progress.
    pub async fn work_done_progress_cancel(&self, params: WorkDoneProgressCancelParams) {
        advice::cancel(&self.state, &params.token);
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let encoding = capabilities::negotiate_encoding(&params.capabilities);
        let _ = self.state.encoding.set(encoding);
        let _ = self.state.workspace_root.set(workspace_root(&params));
        let pulls_configuration = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|workspace| workspace.configuration)
            .unwrap_or(false);
        self.state
            .client_supports_configuration
            .store(pulls_configuration, Ordering::Relaxed);
        let window_progress = params
            .capabilities
            .window
            .as_ref()
            .and_then(|window| window.work_done_progress)
            .unwrap_or(false);
        self.state
            .client_supports_progress
            .store(window_progress, Ordering::Relaxed);
        let creates_files = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|workspace| workspace.workspace_edit.as_ref())
            .is_some_and(|edit| {
                edit.document_changes == Some(true)
                    && edit
                        .resource_operations
                        .as_ref()
                        .is_some_and(|ops| ops.contains(&ResourceOperationKind::Create))
            });
        self.state
            .client_supports_create_files
            .store(creates_files, Ordering::Relaxed);
        let lens_refresh = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|workspace| workspace.code_lens.as_ref())
            .and_then(|lens| lens.refresh_support)
            .unwrap_or(false);
        self.state
            .client_supports_lens_refresh
            .store(lens_refresh, Ordering::Relaxed);
        let options = params.initialization_options.unwrap_or(Value::Null);
        match SettingsLayer::from_json(&options) {
            Ok(layer) => lock(&self.state.sources).initialization_options = layer,
            Err(error) => self.state.defer_message(format!(
                "OptiSchema ignored invalid initializationOptions: {error}"
            )),
        }
        if let Some(message) = settings_sync::load_settings_file(&self.state) {
            self.state.defer_message(message);
        }
        // Documents opened before `initialized` already see these settings.
        self.state.refresh_settings();
        stats_link::initial_advisor(&self.state);
        Ok(InitializeResult {
            capabilities: capabilities::server_capabilities(encoding),
            server_info: Some(ServerInfo {
                name: "optischema".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        for message in self.state.take_deferred_messages() {
            self.state
                .client
                .show_message(MessageType::WARNING, message)
                .await;
        }
        let pulls = self
            .state
            .client_supports_configuration
            .load(Ordering::Relaxed);
        settings_sync::pull_workspace_configuration(&self.state, pulls).await;
        self.state.refresh_settings();
        publish::publish_all(&self.state).await;
        impact::load(&self.state);
        stats_link::reconcile(&self.state).await;
        tracing::info!("optischema {} ready", env!("CARGO_PKG_VERSION"));
    }

    async fn shutdown(&self) -> Result<()> {
        // Saves the trend history before the editor ends the process.
        stats_link::stop(&self.state).await;
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let item = params.text_document;
        // Large files take a while to analyse; let the runtime move other
        // tasks off this thread meanwhile.
        let document = tokio::task::block_in_place(|| Document::new(item.text, item.version));
        self.state
            .documents
            .insert(item.uri.clone(), Arc::new(document));
        publish::schedule(&self.state, item.uri);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        let encoding = self.state.encoding();
        {
            let Some(mut entry) = self.state.documents.get_mut(&uri) else {
                tracing::warn!("change for a document that is not open: {}", uri.as_str());
                return;
            };
            if version <= entry.version() {
                tracing::warn!(
                    "ignoring out-of-order change to {} (version {version} after {})",
                    uri.as_str(),
                    entry.version()
                );
                return;
            }
            let changes: Vec<TextChange> = params
                .content_changes
                .into_iter()
                .map(text_change)
                .collect();
            let outcome = Arc::make_mut(&mut entry).apply_changes(&changes, version, encoding);
            tracing::debug!(
                "{} v{version}: {} statement(s) re-analysed",
                uri.as_str(),
                outcome.analyzed
            );
        }
        publish::schedule(&self.state, uri);
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {}

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.state.documents.remove(&uri);
        publish::send(&self.state, uri, Vec::new(), None).await;
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let pulls = self
            .state
            .client_supports_configuration
            .load(Ordering::Relaxed);
        if pulls {
            settings_sync::pull_workspace_configuration(&self.state, true).await;
        } else if let Some(section) = params.settings.get(settings_sync::SECTION) {
            settings_sync::apply_editor_value(&self.state, section).await;
        }
        self.state.refresh_settings();
        publish::publish_all(&self.state).await;
        stats_link::reconcile(&self.state).await;
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let position = params.text_document_position_params;
        let Some(document) = self.state.document(&position.text_document.uri) else {
            return Ok(None);
        };
        let encoding = self.state.encoding();
        let offset = convert::offset(&document, position.position, encoding);
        let snapshot = self.state.snapshot();
        let advice = self.state.advice();
        Ok(
            hover_with_advice(&document, offset, &snapshot, &advice).map(|info| Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: info.markdown,
                }),
                range: Some(convert::range(&document, info.range, encoding)),
            }),
        )
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let Some(document) = self.state.document(&params.text_document.uri) else {
            return Ok(None);
        };
        let encoding = self.state.encoding();
        let snapshot = self.state.snapshot();
        let lenses = lenses(&document, &snapshot)
            .into_iter()
            .map(|lens| {
                let range = convert::range(&document, lens.range, encoding);
                // Clicking the numbers shows the plan behind them.
                let argument = advice::statement_argument(&params.text_document.uri, range.start);
                CodeLens {
                    range,
                    command: Some(Command {
                        title: lens.title,
                        command: commands::EXPLAIN.into(),
                        arguments: Some(vec![argument]),
                    }),
                    data: None,
                }
            })
            .collect();
        Ok(Some(lenses))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri;
        Ok(Some(advice::code_actions(
            &self.state,
            &uri,
            params.range.start,
        )))
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        let argument = params.arguments.into_iter().next().unwrap_or(Value::Null);
        let statement = || {
            serde_json::from_value::<advice::StatementArgument>(argument.clone()).map_err(|error| {
                Error::invalid_params(format!(
                    "`{}` expects {{\"uri\", \"position\"}}: {error}",
                    params.command
                ))
            })
        };
        let outcome = match params.command.as_str() {
            commands::ANALYZE => advice::start_analysis(&self.state, statement()?),
            commands::EXPLAIN => advice::explain(&self.state, statement()?).await,
            commands::RECORD_APPLIED => advice::record_applied(&self.state, argument).await,
            other => return Err(Error::invalid_params(format!("unknown command `{other}`"))),
        };
        match outcome {
            Ok(Value::Null) => Ok(None),
            Ok(value) => Ok(Some(value)),
            // A failure the user should read, not a protocol error.
            Err(message) => Ok(Some(
                json!({ "markdown": format!("**OptiSchema:** {message}") }),
            )),
        }
    }
}
