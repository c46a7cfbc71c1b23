//! SARIF 2.1.0 output, as GitHub code scanning accepts it.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Value, json};

use super::AnalyzedFile;
use crate::analysis::catalog::{self, CodeInfo};
use crate::analysis::finding::Severity;
use crate::text::PositionEncoding;

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}

fn rule(info: &CodeInfo) -> Value {
    json!({
        "id": info.code,
        "name": info.code,
        "shortDescription": {"text": info.summary},
        "fullDescription": {"text": info.summary},
        "defaultConfiguration": {"level": level(info.default_severity)},
    })
}

/// A path relative to the current directory with `/` separators, as
/// code scanning resolves it against the repository root.
fn artifact_uri(path: &std::path::Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.to_path_buf()))
        .unwrap_or_else(|| path.to_path_buf());
    relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
        .trim_start_matches("./")
        .to_string()
}

pub fn write(analyzed: &[AnalyzedFile], out: &mut dyn Write) -> std::io::Result<()> {
    let codes = catalog::all_codes();
    let index: BTreeMap<&str, usize> = codes.iter().enumerate().map(|(i, c)| (c.code, i)).collect();
    let mut results = Vec::new();
    for file in analyzed {
        let uri = artifact_uri(&file.path);
        let lines = file.document.line_index();
        for found in &file.findings {
            let start = lines.position(found.range.start, PositionEncoding::Utf16);
            let end = lines.position(found.range.end, PositionEncoding::Utf16);
            let mut result = json!({
                "ruleId": found.finding.code,
                "level": level(found.finding.severity),
                "message": {"text": found.finding.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                        "region": {
                            "startLine": start.line + 1,
                            "startColumn": start.col + 1,
                            "endLine": end.line + 1,
                            "endColumn": end.col + 1,
                        }
                    }
                }],
            });
            if let Some(rule_index) = index.get(found.finding.code) {
                result["ruleIndex"] = json!(rule_index);
            }
            results.push(result);
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "optischema",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": codes.iter().map(rule).collect::<Vec<_>>(),
            }},
            "columnKind": "utf16CodeUnits",
            "results": results,
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}
