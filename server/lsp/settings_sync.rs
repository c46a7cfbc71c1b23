//! Reading settings from the editor and the workspace file.

use serde_json::Value;
use tower_lsp_server::ls_types::{ConfigurationItem, MessageType};

use super::state::{ServerState, lock};
use crate::config::{SETTINGS_FILE, SettingsLayer, read_settings_file};

/// The configuration section the server reads.
pub const SECTION: &str = "optischema";

/// Reads `optischema.toml` from the workspace root into the sources.
/// Returns a message for the user when the file is invalid.
pub fn load_settings_file(state: &ServerState) -> Option<String> {
    let root = state.workspace_root()?;
    match read_settings_file(&root) {
        Ok(layer) => {
            lock(&state.sources).file = layer;
            None
        }
        Err(error) => Some(format!("OptiSchema ignored {SETTINGS_FILE}: {error}")),
    }
}

/// Asks the editor for the `optischema` section and stores it. Editors
/// without `workspace/configuration` keep what `initializationOptions` said.
pub async fn pull_workspace_configuration(state: &ServerState, supported: bool) {
    if !supported {
        return;
    }
    let items = vec![ConfigurationItem {
        scope_uri: None,
        section: Some(SECTION.to_string()),
    }];
    match state.client.configuration(items).await {
        Ok(values) => {
            let value = values.into_iter().next().unwrap_or(Value::Null);
            apply_editor_value(state, &value).await;
        }
        Err(error) => tracing::warn!("workspace/configuration failed: {error}"),
    }
}

/// Stores the editor's settings object (or reports why it is invalid).
pub async fn apply_editor_value(state: &ServerState, value: &Value) {
    match SettingsLayer::from_json(value) {
        Ok(layer) => lock(&state.sources).workspace_configuration = layer,
        Err(error) => {
            state
                .client
                .show_message(
                    MessageType::WARNING,
                    format!("OptiSchema ignored invalid settings: {error}"),
                )
                .await
        }
    }
}
