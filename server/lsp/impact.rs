//! The impact of applied indexes: the audit trail says which index was
//! applied for which statement; once the catalog shows it, the time is
//! recorded (in the audit trail too, so it survives a restart) and the
//! statement's hover compares latency before and since.

use std::time::{SystemTime, UNIX_EPOCH};

use super::state::{ServerState, lock};
use crate::advisor::audit::{self, AuditEntry};
use crate::analysis::diagnostics::AppliedIndex;
use crate::sql::fingerprint::Fingerprint;
use crate::stats::snapshot::Snapshot;

/// Audit action that records when an applied index appeared in the catalog.
pub const APPEARED: &str = "index-appeared";

/// An applied index the server watches for.
#[derive(Debug, Clone)]
pub struct WatchedIndex {
    pub index_name: String,
    pub fingerprint: Fingerprint,
    pub appeared_at: Option<SystemTime>,
}

fn parse_time(rfc3339: &str) -> Option<SystemTime> {
    // `YYYY-MM-DDTHH:MM:SSZ` as written by `audit::now_rfc3339`.
    let digits = |range: std::ops::Range<usize>| rfc3339.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    // Days from civil (Howard Hinnant), the inverse of the audit's formatting.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    u64::try_from(seconds)
        .ok()
        .map(|seconds| UNIX_EPOCH + std::time::Duration::from_secs(seconds))
}

/// Reads the watched indexes from the workspace's audit trail.
pub fn load(state: &ServerState) {
    let Some(root) = state.workspace_root() else {
        return;
    };
    let entries = audit::read_all(&root);
    let mut watched = lock(&state.watched_indexes);
    for entry in &entries {
        remember(&mut watched, entry);
    }
    for index in watched.iter() {
        if let Some(appeared_at) = index.appeared_at {
            state.set_impact(
                index.fingerprint,
                AppliedIndex {
                    index_name: index.index_name.clone(),
                    appeared_at,
                },
            );
        }
    }
}

/// Adds what an audit entry says to the watched list.
pub fn remember(watched: &mut Vec<WatchedIndex>, entry: &AuditEntry) {
    let (Some(name), Some(fingerprint)) = (
        &entry.index_name,
        Fingerprint::parse_hex(&entry.fingerprint),
    ) else {
        return;
    };
    let existing = watched.iter().position(|w| &w.index_name == name);
    match entry.action.as_str() {
        "index" if existing.is_none() => watched.push(WatchedIndex {
            index_name: name.clone(),
            fingerprint,
            appeared_at: None,
        }),
        APPEARED => {
            let appeared_at = parse_time(&entry.time);
            match existing {
                Some(position) => watched[position].appeared_at = appeared_at,
                None => watched.push(WatchedIndex {
                    index_name: name.clone(),
                    fingerprint,
                    appeared_at,
                }),
            }
        }
        _ => {}
    }
}

/// Notes indexes that just appeared in the catalog; returns whether any did.
pub fn observe(state: &ServerState, snapshot: &Snapshot) -> bool {
    let now = SystemTime::now();
    let mut appeared = Vec::new();
    {
        let mut watched = lock(&state.watched_indexes);
        for index in watched
            .iter_mut()
            .filter(|index| index.appeared_at.is_none())
        {
            if snapshot
                .catalog
                .indexes
                .iter()
                .any(|i| i.name == index.index_name && i.is_valid)
            {
                index.appeared_at = Some(now);
                appeared.push(index.clone());
            }
        }
    }
    for index in &appeared {
        state.set_impact(
            index.fingerprint,
            AppliedIndex {
                index_name: index.index_name.clone(),
                appeared_at: now,
            },
        );
        if let Some(root) = state.workspace_root() {
            let entry = AuditEntry {
                time: String::new(),
                action: APPEARED.into(),
                title: format!("index {} appeared in the catalog", index.index_name),
                uri: String::new(),
                fingerprint: index.fingerprint.to_string(),
                change: String::new(),
                migration: None,
                evidence: serde_json::Value::Null,
                origin: "catalog".into(),
                index_name: Some(index.index_name.clone()),
            };
            if let Err(error) = audit::append(&root, entry) {
                tracing::warn!("cannot record that {} appeared: {error}", index.index_name);
            }
        }
    }
    !appeared.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_times_parse_back() {
        let text = audit::now_rfc3339();
        let parsed = parse_time(&text).unwrap();
        let age = SystemTime::now().duration_since(parsed).unwrap();
        assert!(age.as_secs() < 5, "{text}");
        assert_eq!(
            parse_time("1970-01-01T00:00:10Z"),
            Some(UNIX_EPOCH + std::time::Duration::from_secs(10))
        );
        assert_eq!(parse_time("garbage"), None);
    }
}
