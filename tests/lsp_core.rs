//! The language server over stdio, without a database: sync, diagnostics,
//! hover, position encodings and shutdown.

mod support;

use serde_json::{Value, json};
use support::{LspClient, temp_workspace};

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn start(capabilities: Option<Value>) -> (LspClient, Value) {
    let mut client = LspClient::start(&["lsp"]);
    let result = client.initialize(json!({}), capabilities);
    (client, result)
}

#[test]
fn syntax_errors_are_reported_at_the_offending_token_and_cleared_by_an_edit() {
    let (mut client, _) = start(None);
    let workspace = temp_workspace();
    let uri = workspace.write("q.sql", "SELECT id FROM users;\nSELECT * FORM orders;\n");
    client.did_open(&uri, "SELECT id FROM users;\nSELECT * FORM orders;\n");
    let diagnostics = client.diagnostics_for(&uri, |d| codes(d).contains(&"syntax-error".into()));
    let error = diagnostics
        .iter()
        .find(|d| d["code"] == "syntax-error")
        .unwrap();
    assert_eq!(error["source"], "optischema");
    assert_eq!(error["severity"], 1);
    assert_eq!(error["range"]["start"], json!({"line": 1, "character": 9}));
    assert_eq!(error["range"]["end"], json!({"line": 1, "character": 13}));
    assert!(error["message"].as_str().unwrap().contains("syntax error"));

    // Fix `FORM` → `FROM` with an incremental edit.
    client.did_change(
        &uri,
        2,
        json!([{"range": {"start": {"line": 1, "character": 9}, "end": {"line": 1, "character": 13}}, "text": "FROM"}]),
    );
    client.diagnostics_for(&uri, |d| !codes(d).contains(&"syntax-error".into()));
    let status = client.shutdown_and_exit();
    assert!(
        status.success(),
        "exit status {status:?}\n{}",
        client.stderr_text()
    );
}

#[test]
fn valid_postgres_that_sqlparser_rejects_is_not_an_error() {
    let (mut client, _) = start(None);
    let uri = "file:///tmp/optischema-test/valid.sql";
    let text = "ALTER TABLE t ALTER COLUMN c SET STATISTICS 500;\nCREATE STATISTICS s (dependencies) ON a, b FROM t;\n\\set x 1\nCOPY t FROM stdin;\n1\t2\n\\.\n";
    client.did_open(uri, text);
    let diagnostics = client.diagnostics_for(uri, |_| true);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
}

#[test]
fn utf16_is_the_default_and_utf8_is_used_when_offered() {
    let text = "SELECT '😀字' FORM t;";
    for (offered, expected_encoding, expected_col) in [
        (None, "utf-16", 18),
        (Some(json!(["utf-8", "utf-16"])), "utf-8", 22),
    ] {
        let capabilities = offered.map(|encodings| {
            let mut capabilities = support::lsp::default_capabilities();
            capabilities["general"] = json!({"positionEncodings": encodings});
            capabilities
        });
        let (mut client, result) = start(capabilities);
        assert_eq!(
            result["capabilities"]["positionEncoding"],
            expected_encoding
        );
        let uri = "file:///tmp/optischema-test/emoji.sql";
        client.did_open(uri, text);
        let diagnostics = client.diagnostics_for(uri, |d| !d.is_empty());
        // `FORM` is read as an alias, so PostgreSQL points at the final `t`.
        assert_eq!(
            diagnostics[0]["range"]["start"]["character"], expected_col,
            "{expected_encoding}: {diagnostics:?}"
        );
    }
}

#[test]
fn hover_names_the_statement_kind() {
    let (mut client, _) = start(None);
    let uri = "file:///tmp/optischema-test/hover.sql";
    client.did_open(
        uri,
        "-- header\nDELETE FROM sessions WHERE expires_at < now();\n",
    );
    client.diagnostics_for(uri, |_| true);
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 3}}),
        )
        .unwrap();
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.contains("DELETE"), "{markdown}");
    assert_eq!(hover["range"]["start"], json!({"line": 1, "character": 0}));
    // Outside any statement: no hover.
    let none = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 2}}),
        )
        .unwrap();
    assert_eq!(none, Value::Null);
    // A position far out of range does not break the server.
    let far = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 9999, "character": 9999}}),
    );
    assert!(far.is_ok());
}

#[test]
fn closing_a_document_clears_its_diagnostics() {
    let (mut client, _) = start(None);
    let uri = "file:///tmp/optischema-test/close.sql";
    client.did_open(uri, "SELEC 1;");
    client.diagnostics_for(uri, |d| !d.is_empty());
    client.did_close(uri);
    client.diagnostics_for(uri, |d| d.is_empty());
}

/// Large `publishDiagnostics` (written by the server's own output path) and
/// tower-lsp's responses share stdout: every frame must arrive whole, and
/// the last publish must be the last version's.
#[test]
fn large_publishes_and_responses_interleave_whole() {
    let (mut client, _) = start(None);
    let uri = "file:///tmp/optischema-test/large.sql";
    const STATEMENTS: usize = 3_000;
    let text: String = (0..STATEMENTS)
        .map(|i| match i % 3 {
            0 => format!("SELECT * FROM t{i} WHERE a = NULL;\n"),
            _ => format!("SELECT a, b FROM t{i} WHERE id = {i};\n"),
        })
        .collect();
    let flagged = STATEMENTS.div_ceil(3);
    client.did_open(uri, &text);
    // Edits and hovers while the publishes are being written: toggling a
    // space after the first line's SELECT leaves the findings as they were.
    let mut hovers = Vec::new();
    for version in 2..=9 {
        let text = if version % 2 == 0 { " " } else { "" };
        let end = if version % 2 == 0 { 6 } else { 7 };
        client.did_change(
            uri,
            version,
            json!([{"range": {"start": {"line": 0, "character": 6}, "end": {"line": 0, "character": end}}, "text": text}]),
        );
        hovers.push(client.send_request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": version, "character": 2}}),
        ));
    }
    for id in hovers {
        let hover = client.wait_response(id, "hover", support::DEFAULT_TIMEOUT);
        assert!(hover.is_ok_and(|hover| !hover.is_null()));
    }
    let last = client.wait_notification(
        "textDocument/publishDiagnostics",
        |params| params["uri"] == uri && params["version"] == 9,
        support::DEFAULT_TIMEOUT,
    );
    let diagnostics = last["diagnostics"].as_array().unwrap();
    assert_eq!(
        diagnostics.len(),
        2 * flagged,
        "select-star and null-comparison"
    );
    let published = client.notifications_seen("textDocument/publishDiagnostics");
    let last_version = published
        .iter()
        .filter(|params| params["uri"] == uri)
        .filter_map(|params| params["version"].as_i64())
        .next_back();
    assert_eq!(last_version, Some(9));
    let status = client.shutdown_and_exit();
    assert!(status.success(), "{}", client.stderr_text());
}
