//! What the on-disk store (`stats::store`) sees of a `History`, and how it
//! rebuilds one. The store writes chunks as they are in memory (the record
//! encoding is the file format), so saving is copying bytes and loading is
//! checking them.
//!
//! Incremental saves work by generation: every mutation of a `History`
//! increments its generation, and every chunk and statement remembers the
//! generation that last changed it. The store records which (lineage,
//! generation) it saved; the next save writes what changed after that. No
//! flag needs clearing, so the store only needs `&History` (and may save a
//! clone while the original moves on).
//!
//! Removal needs no log of removed chunks: chunks only ever leave a tier
//! from its front, at the tier's boundary, and the boundaries are the same
//! for every statement (see `TierCut`).

use std::collections::HashMap;

use super::tier::{Tier, TierKind};
use super::{Bounds, History, StatementHistory};
use crate::sql::fingerprint::Fingerprint;

/// The history-wide numbers the store keeps beside the chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HistoryHeader {
    pub lineage: u64,
    pub generation: u64,
    pub clock: u32,
    pub latest_stamp: Option<u32>,
}

/// Where a tier is being cut now. Every stored chunk of the tier that
/// starts before `straddling` is gone from every statement; the chunk that
/// starts at `straddling` (the one the cut falls in) may be gone or
/// rewritten for some statements (`StatementChanges::trimmed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TierCut {
    pub code: u8,
    pub straddling: u32,
}

/// What to write for one statement.
pub(crate) struct StatementChanges<'a> {
    pub fingerprint: Fingerprint,
    /// Codes of the tiers whose straddling chunk (see `TierCut`) is gone
    /// for this statement and must be deleted.
    pub trimmed: Vec<u8>,
    /// Chunks to (re)write: (tier code, chunk start, encoded records).
    pub chunks: Vec<(u8, u32, &'a [u8])>,
    /// (first_seen, last_seen).
    pub seen: (u32, u32),
}

impl History {
    pub(crate) fn header(&self) -> HistoryHeader {
        HistoryHeader {
            lineage: self.lineage,
            generation: self.generation,
            clock: self.clock,
            latest_stamp: self.latest_stamp,
        }
    }

    /// Each tier's current cut.
    pub(crate) fn tier_cuts(&self) -> [TierCut; 3] {
        tier_cuts(&Bounds::at(self.clock))
    }

    /// Statements forgotten after generation `since`; None when the log no
    /// longer reaches back that far (then only a full rewrite is right).
    pub(crate) fn dropped_since(&self, since: u64) -> Option<Vec<Fingerprint>> {
        (since >= self.dropped_floor).then(|| {
            self.dropped
                .iter()
                .filter(|(generation, _)| *generation > since)
                .map(|(_, fingerprint)| *fingerprint)
                .collect()
        })
    }

    /// The statements changed after generation `since` (every statement,
    /// with every chunk, when None).
    pub(crate) fn changes_since(
        &self,
        since: Option<u64>,
    ) -> impl Iterator<Item = StatementChanges<'_>> {
        let cuts = self.tier_cuts();
        self.statements
            .iter()
            .filter(move |(_, statement)| since.is_none_or(|since| statement.changed > since))
            .map(move |(fingerprint, statement)| {
                let tiers = statement.tiers();
                let trimmed = match since {
                    None => Vec::new(),
                    Some(since) => tiers
                        .iter()
                        .zip(cuts)
                        .filter(|(tier, cut)| {
                            tier.front_changed() > since
                                && tier.first_chunk_start() != Some(cut.straddling)
                        })
                        .map(|(_, cut)| cut.code)
                        .collect(),
                };
                let chunks = tiers
                    .iter()
                    .flat_map(|tier| {
                        let code = tier.kind().code();
                        tier.chunks_changed_since(since)
                            .map(move |(start, bytes)| (code, start, bytes))
                    })
                    .collect();
                StatementChanges {
                    fingerprint: *fingerprint,
                    trimmed,
                    chunks,
                    seen: (statement.first_seen, statement.last_seen),
                }
            })
    }

    /// Same statements, records, times and boundaries (generations and
    /// lineage aside): what a save followed by a load must preserve.
    #[cfg(test)]
    pub(crate) fn same_content(&self, other: &History) -> bool {
        self.clock == other.clock
            && self.latest_stamp == other.latest_stamp
            && self.statements.len() == other.statements.len()
            && self.statements.iter().all(|(fingerprint, mine)| {
                other.statements.get(fingerprint).is_some_and(|theirs| {
                    mine.first_seen == theirs.first_seen
                        && mine.last_seen == theirs.last_seen
                        && mine
                            .tiers()
                            .iter()
                            .zip(theirs.tiers())
                            .all(|(a, b)| a.same_content(b))
                })
            })
    }
}

fn tier_cuts(bounds: &Bounds) -> [TierCut; 3] {
    // Each tier is drained at its own boundary (see `StatementHistory::cascade`).
    let cut = |kind: TierKind, bound: u32| TierCut {
        code: kind.code(),
        straddling: bound - bound % kind.chunk_span(),
    };
    [
        cut(TierKind::Fine, bounds.fine_from),
        cut(TierKind::Medium, bounds.medium_from),
        cut(TierKind::Coarse, bounds.keep_from),
    ]
}

/// Rebuilds a `History` from stored values, refusing anything the queries
/// could not rely on.
#[derive(Default)]
pub(crate) struct HistoryLoader {
    statements: HashMap<Fingerprint, StatementHistory>,
}

impl HistoryLoader {
    pub fn new() -> HistoryLoader {
        HistoryLoader::default()
    }

    /// A statement's seen times; its chunks may follow.
    pub fn add_statement(&mut self, fingerprint: Fingerprint, first_seen: u32, last_seen: u32) {
        let mut statement = StatementHistory::new(first_seen);
        statement.last_seen = last_seen;
        self.statements.insert(fingerprint, statement);
    }

    /// One stored chunk. Chunks of a tier must come in time order (the
    /// store's key order gives that). A chunk of a statement not added is
    /// skipped: nothing refers to it, and the tier's cut deletes it in time.
    pub fn add_chunk(
        &mut self,
        fingerprint: Fingerprint,
        code: u8,
        start: u32,
        bytes: &[u8],
    ) -> Result<(), String> {
        let Some(statement) = self.statements.get_mut(&fingerprint) else {
            return Ok(());
        };
        let tier = match TierKind::from_code(code) {
            Some(TierKind::Fine) => &mut statement.fine,
            Some(TierKind::Medium) => &mut statement.medium,
            Some(TierKind::Coarse) => &mut statement.coarse,
            None => return Err(format!("statement {fingerprint}: unknown tier {code}")),
        };
        tier.push_stored_chunk(start, bytes)
            .map_err(|error| format!("statement {fingerprint}: {error}"))
    }

    pub fn finish(self, header: HistoryHeader) -> Result<History, String> {
        if header
            .latest_stamp
            .is_some_and(|stamp| stamp > header.clock)
        {
            return Err("newest poll is after the clock".to_string());
        }
        let bounds = Bounds::at(header.clock);
        let mut statements = HashMap::with_capacity(self.statements.len());
        for (fingerprint, mut statement) in self.statements {
            if statement.is_empty() {
                // Seen times without records: nothing to show; forget it.
                continue;
            }
            let problem = if statement.first_seen > statement.last_seen {
                Some("first seen after last seen")
            } else {
                tier_problem(&statement, &bounds, header.clock)
            };
            if let Some(problem) = problem {
                return Err(format!("statement {fingerprint}: {problem}"));
            }
            for tier in [
                &mut statement.fine,
                &mut statement.medium,
                &mut statement.coarse,
            ] {
                tier.shrink_after_load();
            }
            statements.insert(fingerprint, statement);
        }
        Ok(History {
            statements,
            clock: header.clock,
            latest_stamp: header.latest_stamp,
            generation: header.generation,
            lineage: header.lineage,
            dropped: Vec::new(),
            dropped_floor: 0,
        })
    }
}

/// Each tier must hold only times in its own range, or `window` would count
/// a sample twice or miss it.
fn tier_problem(statement: &StatementHistory, bounds: &Bounds, clock: u32) -> Option<&'static str> {
    let in_range = |tier: &Tier, from: u32, before: u64| {
        tier.first_time().is_none_or(|first| first >= from)
            && tier
                .last_time()
                .is_none_or(|last| u64::from(last) < before && last <= clock)
    };
    let after_clock = u64::from(u32::MAX) + 1;
    if !in_range(&statement.fine, bounds.fine_from, after_clock) {
        return Some("fine records outside the fine tier's range");
    }
    if !in_range(
        &statement.medium,
        bounds.medium_from,
        u64::from(bounds.fine_from),
    ) {
        return Some("medium records outside the medium tier's range");
    }
    if !in_range(&statement.coarse, 0, u64::from(bounds.medium_from)) {
        return Some("coarse records outside the coarse tier's range");
    }
    None
}
