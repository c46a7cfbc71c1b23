//! The audit trail: every applied action appended to
//! `.optischema/audit.jsonl` in the workspace (what, when, the evidence).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One applied action, as the code action's command reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// RFC 3339 UTC time the server recorded it.
    #[serde(default)]
    pub time: String,
    /// `index` or `rewrite`.
    pub action: String,
    /// The action's title as offered.
    pub title: String,
    /// The file the statement is in.
    pub uri: String,
    /// Statement fingerprint (hex).
    pub fingerprint: String,
    /// What was applied: the index definition or the new statement text.
    pub change: String,
    /// Where an index migration was written, if any.
    #[serde(default)]
    pub migration: Option<String>,
    /// The evidence, as data.
    pub evidence: serde_json::Value,
    /// `rule:<code>` or `ai:<model>`.
    pub origin: String,
    /// For index actions: the index name that will appear in the catalog.
    #[serde(default)]
    pub index_name: Option<String>,
}

pub fn audit_path(workspace: &Path) -> PathBuf {
    workspace.join(".optischema").join("audit.jsonl")
}

/// Appends `entry` (stamped with the current time) as one JSON line.
pub fn append(workspace: &Path, mut entry: AuditEntry) -> std::io::Result<PathBuf> {
    entry.time = now_rfc3339();
    let path = audit_path(workspace);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut line = serde_json::to_string(&entry).map_err(std::io::Error::other)?;
    line.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    // One write call per line keeps lines whole when two editors append.
    file.write_all(line.as_bytes())?;
    Ok(path)
}

/// Every entry of the audit log; unreadable lines are skipped.
pub fn read_all(workspace: &Path) -> Vec<AuditEntry> {
    std::fs::read_to_string(audit_path(workspace))
        .map(|text| {
            text.lines()
                .filter_map(|line| serde_json::from_str(line).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// `2026-11-24T01:02:03Z`, from the system clock (no date crate needed).
pub fn now_rfc3339() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64);
    rfc3339(seconds)
}

/// Compact `20261124T010203` for file names.
pub fn compact_timestamp() -> String {
    now_rfc3339()
        .replace(['-', ':'], "")
        .trim_end_matches('Z')
        .to_string()
}

fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rendered_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_482_123), "2026-11-24T01:02:03Z");
    }

    #[test]
    fn entries_append_as_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let entry = AuditEntry {
            time: String::new(),
            action: "index".into(),
            title: "Add index".into(),
            uri: "file:///q.sql".into(),
            fingerprint: "00".into(),
            change: "CREATE INDEX ON t (a)".into(),
            migration: None,
            evidence: serde_json::json!({"kind": "planner-estimate"}),
            origin: "rule:index-advisor".into(),
            index_name: Some("t_a_idx".into()),
        };
        append(dir.path(), entry.clone()).unwrap();
        append(dir.path(), entry).unwrap();
        let entries = read_all(dir.path());
        assert_eq!(entries.len(), 2);
        assert!(entries[0].time.ends_with('Z'));
    }
}
