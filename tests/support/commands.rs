//! The editor side of OptiSchema's statement commands and code actions, as
//! the advisor and AI tests drive them: every position is the start of a line.

use serde_json::{Value, json};

use super::LspClient;

/// The start of a 0-based line.
pub fn line_start(line: u32) -> Value {
    json!({"line": line, "character": 0})
}

/// `workspace/executeCommand` of a statement command (`optischema.analyze`,
/// `optischema.explain`) for the statement on `line`; its answer.
pub fn statement_command(client: &mut LspClient, command: &str, uri: &str, line: u32) -> Value {
    client
        .request(
            "workspace/executeCommand",
            json!({"command": command, "arguments": [{"uri": uri, "position": line_start(line)}]}),
        )
        .unwrap_or_else(|error| panic!("{command} failed: {error}"))
}

/// The Markdown `optischema.explain` answers with for the statement on `line`.
pub fn explain(client: &mut LspClient, uri: &str, line: u32) -> String {
    let answer = statement_command(client, "optischema.explain", uri, line);
    answer["markdown"].as_str().unwrap_or_default().to_string()
}

/// The code actions offered at the start of `line`.
pub fn code_actions(client: &mut LspClient, uri: &str, line: u32) -> Vec<Value> {
    client
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": uri},
                "range": {"start": line_start(line), "end": line_start(line)},
                "context": {"diagnostics": []}
            }),
        )
        .expect("code actions")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The titles of `actions`.
pub fn titles(actions: &[Value]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| a["title"].as_str().map(str::to_string))
        .collect()
}
