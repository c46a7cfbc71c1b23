//! The second matching key (DESIGN rule 3): statements whose fingerprint
//! finds no pg_stat_statements entry are explained with `EXPLAIN (VERBOSE)`
//! on the monitored database, in the background, and matched by the query
//! identifier the server prints. That catches texts that differ but parse to
//! the same tree. Results are cached per statement text.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tower_lsp_server::ls_types::Uri;

use super::publish;
use super::state::ServerState;
use crate::sql::fingerprint::Fingerprint;
use crate::stats::snapshot::Snapshot;

/// Statements explained per round (one round per snapshot at most).
const PER_ROUND: usize = 20;

/// A statement's identifiers, once asked.
#[derive(Debug, Clone)]
pub struct KnownIdentifiers {
    pub fingerprint: Fingerprint,
    pub queryids: Vec<i64>,
}

fn text_key(text: &str) -> u64 {
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(text)
}

/// The aliases the cached identifiers give against `snapshot`: a file
/// statement's fingerprint → the fingerprint of the entries holding one of
/// its queryids. Only unambiguous matches: a statement whose identifiers
/// point at two different statements gets none (a wrong match is worse
/// than none).
pub fn aliases_for(state: &ServerState, snapshot: &Snapshot) -> HashMap<Fingerprint, Fingerprint> {
    let owner: HashMap<i64, Fingerprint> = snapshot
        .statements
        .iter()
        .flat_map(|(fingerprint, stats)| stats.queryids.iter().map(move |id| (*id, *fingerprint)))
        .collect();
    let mut aliases = HashMap::new();
    for entry in state.queryid_cache.iter() {
        let known = entry.value();
        if snapshot.statements.contains_key(&known.fingerprint) {
            continue;
        }
        let targets: HashSet<Fingerprint> = known
            .queryids
            .iter()
            .filter_map(|id| owner.get(id).copied())
            .collect();
        if targets.len() == 1 {
            aliases.insert(
                known.fingerprint,
                targets.into_iter().next().unwrap_or(known.fingerprint),
            );
        }
    }
    aliases
}

/// Unmatched statements of open documents not asked about yet.
fn pending(state: &ServerState, snapshot: &Snapshot) -> Vec<(u64, Fingerprint, String)> {
    let mut out = Vec::new();
    for entry in state.documents.iter() {
        let document = entry.value();
        for statement in document.statements() {
            let analysis = &statement.analysis;
            let matched = snapshot.stats_for(analysis.fingerprint).is_some();
            if matched || analysis.syntax_error.is_some() || !analysis.kind.is_dml() {
                continue;
            }
            let text = document.statement_text(statement);
            let key = text_key(text);
            if state.queryid_cache.contains_key(&key) || out.iter().any(|(k, _, _)| *k == key) {
                continue;
            }
            out.push((key, analysis.fingerprint, text.to_string()));
            if out.len() == PER_ROUND {
                return out;
            }
        }
    }
    out
}

/// Starts a round of identifier lookups unless one is running.
pub fn schedule(state: &Arc<ServerState>, snapshot: &Snapshot) {
    if !snapshot.is_live() || state.queryid_round_running.swap(true, Ordering::AcqRel) {
        return;
    }
    let Some(advisor) = state.advisor().filter(|advisor| advisor.has_planning()) else {
        state.queryid_round_running.store(false, Ordering::Release);
        return;
    };
    let work = pending(state, snapshot);
    if work.is_empty() {
        state.queryid_round_running.store(false, Ordering::Release);
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        for (key, fingerprint, text) in work {
            match advisor.query_identifiers(&text).await {
                Ok(queryids) => {
                    state.queryid_cache.insert(
                        key,
                        KnownIdentifiers {
                            fingerprint,
                            queryids,
                        },
                    );
                }
                // The session is unavailable: try again next round.
                Err(error) => {
                    tracing::debug!("query identifiers unavailable: {error}");
                    break;
                }
            }
        }
        state.queryid_round_running.store(false, Ordering::Release);
        let snapshot = state.snapshot();
        let aliases = aliases_for(&state, &snapshot);
        if aliases != *snapshot.aliases {
            let updated = Arc::new(Snapshot {
                aliases: Arc::new(aliases),
                ..Snapshot::clone(&snapshot)
            });
            state.set_snapshot(updated);
            let uris: Vec<Uri> = state
                .documents
                .iter()
                .map(|entry| entry.key().clone())
                .collect();
            for uri in uris {
                publish::publish_current(&state, uri).await;
            }
        }
    });
}
