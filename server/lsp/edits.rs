//! Workspace edits of the advisor's actions: a new migration file for an
//! index (or the current file, if so configured), the statement's text for
//! a rewrite. One edit each, so one undo step in the editor.

use std::collections::HashMap;

use tower_lsp_server::ls_types::{
    CreateFile, CreateFileOptions, DocumentChangeOperation, DocumentChanges, OneOf,
    OptionalVersionedTextDocumentIdentifier, Range, ResourceOp, TextDocumentEdit, TextEdit, Uri,
    WorkspaceEdit,
};

use super::convert;
use super::state::ServerState;
use crate::advisor::audit::compact_timestamp;
use crate::advisor::migration::{migration_path, migration_text};
use crate::advisor::model::IndexCandidate;
use crate::config::Settings;
use crate::document::{Document, Statement};

/// The edit for an index action and, when a file is created, its path.
pub fn index_edit(
    state: &ServerState,
    settings: &Settings,
    document: &Document,
    uri: &Uri,
    candidate: &IndexCandidate,
    title: &str,
    explanation: Option<&str>,
) -> Option<(WorkspaceEdit, Option<String>)> {
    let text = migration_text(candidate, title, explanation);
    let creates_files = state
        .client_supports_create_files
        .load(std::sync::atomic::Ordering::Relaxed);
    let root = state.workspace_root();
    match root {
        Some(root) if creates_files && !settings.migrations.in_current_file => {
            let dir = root.join(&settings.migrations.dir);
            let path = migration_path(&dir, candidate, &compact_timestamp());
            let new_uri = Uri::from_file_path(&path)?;
            let operations = vec![
                DocumentChangeOperation::Op(ResourceOp::Create(CreateFile {
                    uri: new_uri.clone(),
                    options: Some(CreateFileOptions {
                        overwrite: Some(false),
                        ignore_if_exists: Some(false),
                    }),
                    annotation_id: None,
                })),
                DocumentChangeOperation::Edit(TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier {
                        uri: new_uri,
                        version: None,
                    },
                    edits: vec![OneOf::Left(TextEdit {
                        range: Range::default(),
                        new_text: text,
                    })],
                }),
            ];
            let edit = WorkspaceEdit {
                document_changes: Some(DocumentChanges::Operations(operations)),
                ..WorkspaceEdit::default()
            };
            Some((edit, Some(path.display().to_string())))
        }
        // The client cannot create files (or the user asked for it): the
        // migration goes at the end of the current file.
        _ => {
            let end = convert::position(document, document.text().len(), state.encoding());
            let separator = if document.text().ends_with('\n') {
                "\n"
            } else {
                "\n\n"
            };
            Some((
                single_edit(uri, Range::new(end, end), format!("{separator}{text}")),
                None,
            ))
        }
    }
}

/// Replaces the statement's text (not its `;` or comments around it).
pub fn rewrite_edit(
    state: &ServerState,
    document: &Document,
    statement: &Statement,
    uri: &Uri,
    text: &str,
) -> WorkspaceEdit {
    let range = convert::range(document, statement.span.range.clone(), state.encoding());
    single_edit(uri, range, text.to_string())
}

fn single_edit(uri: &Uri, range: Range, new_text: String) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(HashMap::from([(
            uri.clone(),
            vec![TextEdit { range, new_text }],
        )])),
        ..WorkspaceEdit::default()
    }
}
