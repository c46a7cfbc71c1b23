//! Per-statement history of pg_stat_statements deltas, in memory, in three
//! resolution tiers:
//!
//! | tier   | one record per                  | holds                           |
//! |--------|---------------------------------|---------------------------------|
//! | fine   | poll in which the statement ran | the last hour (1 h to 1 h 10 m) |
//! | medium | 10-minute bucket                | from there back to ~24 hours    |
//! | coarse | 2-hour bucket                   | from there back to 14 days      |
//!
//! Every record keeps all six numbers; a coarser record is the exact sum of
//! the records it replaced (times are whole microseconds inside, so sums do
//! not depend on the order of addition). A sample lives in exactly one tier
//! at a time: downsampling moves it, so a range that straddles tiers is
//! never counted twice. Tiers are sparse: a statement that did not run in an
//! interval has no record for it, and a statement unseen for the whole
//! retention is forgotten.
//!
//! Memory: see `tier.rs` (chunks in one buffer per tier) and `codec.rs`
//! (variable-length records, 8–20 bytes). The worst case the design is
//! measured against — 5,000 statements active in every 10-second poll for
//! 14 days — is in `benches/history_memory.rs`.
//!
//! Times are Unix seconds. A record is stamped with the *start* of its
//! interval (poll time minus interval), so `window(t0, t1)` is the activity
//! that happened during `[t0, t1)`; a bucket counts wholly in a window when
//! its start is inside it. Stored times are u32 (until 2106); a poll outside
//! that range is ignored.

mod codec;
mod persist;
mod sample;
mod tier;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use crate::sql::fingerprint::Fingerprint;

pub(crate) use persist::{HistoryHeader, HistoryLoader};
pub use sample::IntervalSample;

use sample::Sums;
use tier::{Tier, TierKind};

/// How long the fine tier keeps every poll (at least).
pub const FINE_KEEP_SECONDS: i64 = 3600;
/// Width of a medium bucket.
pub const MEDIUM_BUCKET_SECONDS: i64 = 600;
/// How long medium buckets are kept before becoming coarse ones (at least).
pub const MEDIUM_KEEP_SECONDS: i64 = 86_400;
/// Width of a coarse bucket.
pub const COARSE_BUCKET_SECONDS: i64 = 7200;
/// How long anything is kept (at least; the oldest 2-hour bucket may reach
/// a little further back).
pub const RETENTION_SECONDS: i64 = 14 * 86_400;

/// `series` never returns more buckets than this: a sparkline has tens, and
/// a request for billions must not allocate them.
pub const MAX_SERIES_BUCKETS: usize = 1 << 16;

/// Fingerprints dropped from memory are remembered (for the on-disk store
/// to delete them) up to this many; past it the store rewrites everything.
const DROPPED_LOG_LIMIT: usize = 4096;

/// Where the tiers meet right now: the fine tier covers `[fine_from, …)`,
/// the medium tier `[medium_from, fine_from)`, the coarse tier
/// `[retained_from, medium_from)`. All are Unix seconds; callers use them
/// to pick `series` bucket widths that fit the resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierBoundaries {
    pub fine_from: i64,
    pub medium_from: i64,
    pub retained_from: i64,
}

/// The same boundaries, stored form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bounds {
    fine_from: u32,
    medium_from: u32,
    keep_from: u32,
}

impl Bounds {
    /// Aligned to the coarser tier's bucket, so downsampling only ever
    /// moves complete buckets.
    fn at(clock: u32) -> Bounds {
        let back = |seconds: i64, align: i64| {
            let time = clock.saturating_sub(seconds as u32);
            time - time % align as u32
        };
        Bounds {
            fine_from: back(FINE_KEEP_SECONDS, MEDIUM_BUCKET_SECONDS),
            medium_from: back(MEDIUM_KEEP_SECONDS, COARSE_BUCKET_SECONDS),
            keep_from: back(RETENTION_SECONDS, COARSE_BUCKET_SECONDS),
        }
    }
}

/// One statement's tiers.
#[derive(Debug, Clone)]
pub(crate) struct StatementHistory {
    fine: Tier,
    medium: Tier,
    coarse: Tier,
    /// First and newest record time ever recorded (first_seen survives the
    /// retention as long as the statement keeps being seen).
    first_seen: u32,
    last_seen: u32,
    /// Generation of the last change (for incremental saves).
    changed: u64,
}

impl StatementHistory {
    fn new(first_seen: u32) -> StatementHistory {
        StatementHistory {
            fine: Tier::new(TierKind::Fine),
            medium: Tier::new(TierKind::Medium),
            coarse: Tier::new(TierKind::Coarse),
            first_seen,
            last_seen: first_seen,
            changed: 0,
        }
    }

    fn tiers(&self) -> [&Tier; 3] {
        [&self.fine, &self.medium, &self.coarse]
    }

    fn is_empty(&self) -> bool {
        self.tiers().iter().all(|tier| tier.is_empty())
    }

    /// Moves what aged past the boundaries down a tier, and drops what aged
    /// past the retention.
    fn cascade(&mut self, bounds: &Bounds, generation: u64) {
        let trimmed_before = self.tiers().map(Tier::front_changed);
        downsample(
            &mut self.fine,
            bounds.fine_from,
            &mut self.medium,
            generation,
        );
        downsample(
            &mut self.medium,
            bounds.medium_from,
            &mut self.coarse,
            generation,
        );
        self.coarse
            .drain_before(bounds.keep_from, generation, |_, _| {});
        if self.tiers().map(Tier::front_changed) != trimmed_before {
            self.changed = generation;
        }
    }

    /// See `Tier::visit_range`.
    fn visit_range(
        &self,
        from: u64,
        to: u64,
        whole: impl Fn(u32, u32) -> bool,
        mut visit: impl FnMut(u32, &Sums),
    ) {
        for tier in self.tiers() {
            tier.visit_range(from, to, &whole, &mut visit);
        }
    }

    fn heap_bytes(&self) -> usize {
        self.tiers().iter().map(|tier| tier.heap_bytes()).sum()
    }
}

/// Moves the records of `source` older than `cut` into `target`, summed per
/// `target` bucket. `cut` is aligned to the target's buckets, so each
/// bucket is complete when it is written and is written once.
fn downsample(source: &mut Tier, cut: u32, target: &mut Tier, generation: u64) {
    let width = target.kind().unit();
    let mut bucket: Option<(u32, Sums)> = None;
    source.drain_before(cut, generation, |time, sums| {
        let start = time - time % width;
        if let Some((current, total)) = &mut bucket
            && *current == start
        {
            total.add(&sums);
            return;
        }
        if let Some((current, total)) = bucket.replace((start, sums)) {
            target.append(current, &total, generation);
        }
    });
    if let Some((start, total)) = bucket {
        target.append(start, &total, generation);
    }
}

/// The in-memory history of every statement of one database.
#[derive(Debug, Clone)]
pub struct History {
    statements: HashMap<Fingerprint, StatementHistory>,
    /// Newest time seen (poll or prune); the tier boundaries follow it and
    /// never move back.
    clock: u32,
    /// Stamp of the newest poll; later polls are never stamped before it.
    latest_stamp: Option<u32>,
    /// Counts mutations; chunks remember the generation that last changed
    /// them, and the store the generation it last saved.
    generation: u64,
    /// Tells this history (and its clones and reloads) from unrelated ones,
    /// so the store knows when generations are comparable.
    lineage: u64,
    /// Statements forgotten, with the generation that forgot them.
    dropped: Vec<(u64, Fingerprint)>,
    /// `dropped` no longer lists what was forgotten at or before this.
    dropped_floor: u64,
}

impl Default for History {
    fn default() -> History {
        History::new()
    }
}

/// Unix seconds as stored, or None outside 1970..2106.
fn stored_time(unix_seconds: i64) -> Option<u32> {
    u32::try_from(unix_seconds).ok()
}

/// A query bound: anything outside the storable range is clamped to it.
fn query_time(unix_seconds: i64) -> u64 {
    unix_seconds.clamp(0, i64::from(u32::MAX) + 1) as u64
}

/// The interval in whole seconds; NaN or negative counts as 0, anything
/// beyond the retention as the retention (the stamp is clamped to the
/// recent past anyway).
fn interval_seconds_clamped(interval_seconds: f64) -> u32 {
    if interval_seconds.is_nan() || interval_seconds <= 0.0 {
        0
    } else if interval_seconds >= RETENTION_SECONDS as f64 {
        RETENTION_SECONDS as u32
    } else {
        interval_seconds.round() as u32
    }
}

fn new_lineage() -> u64 {
    // RandomState is seeded randomly per process (and per call after that).
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

impl History {
    pub fn new() -> History {
        History {
            statements: HashMap::new(),
            clock: 0,
            latest_stamp: None,
            generation: 0,
            lineage: new_lineage(),
            dropped: Vec::new(),
            dropped_floor: 0,
        }
    }

    /// Records one poll: `samples` are the deltas of the interval of
    /// `interval_seconds` that ended at `at_unix_seconds`, one per
    /// fingerprint; fingerprints not in the slice had no calls.
    ///
    /// Odd input never panics: a time going backwards is stamped at the
    /// newest stamp instead (tiers stay in time order, totals stay exact);
    /// a time outside 1970..2106 drops the poll; a NaN or negative interval
    /// counts as 0; a NaN or negative time counts as 0 ms; samples that are
    /// all zero are not stored; a fingerprint listed twice is summed.
    pub fn record_poll(
        &mut self,
        at_unix_seconds: i64,
        interval_seconds: f64,
        samples: &[(Fingerprint, IntervalSample)],
    ) {
        let Some(at) = stored_time(at_unix_seconds) else {
            return;
        };
        self.generation += 1;
        self.advance_clock(at);
        let stamp = at
            .saturating_sub(interval_seconds_clamped(interval_seconds))
            .max(self.latest_stamp.unwrap_or(0))
            .max(Bounds::at(self.clock).fine_from);
        let generation = self.generation;
        for (fingerprint, sample) in samples {
            let sums = Sums::from_sample(sample);
            if sums.is_zero() {
                continue;
            }
            let statement = self
                .statements
                .entry(*fingerprint)
                .or_insert_with(|| StatementHistory::new(stamp));
            statement.fine.append(stamp, &sums, generation);
            statement.first_seen = statement.first_seen.min(stamp);
            statement.last_seen = statement.last_seen.max(stamp);
            statement.changed = generation;
        }
        self.latest_stamp = Some(stamp);
    }

    /// Drops data older than the retention and statements not seen for
    /// longer than the retention; also downsamples what aged (recording a
    /// poll does both as well, but without polls nothing would age).
    pub fn prune(&mut self, now_unix_seconds: i64) {
        let Some(now) = stored_time(now_unix_seconds) else {
            return;
        };
        self.generation += 1;
        self.advance_clock(now);
        let cutoff = self.clock.saturating_sub(RETENTION_SECONDS as u32);
        self.drop_statements(|statement| statement.last_seen < cutoff || statement.is_empty());
    }

    fn advance_clock(&mut self, to: u32) {
        if to <= self.clock {
            return;
        }
        let before = Bounds::at(self.clock);
        self.clock = to;
        let after = Bounds::at(to);
        if after == before {
            return;
        }
        for statement in self.statements.values_mut() {
            statement.cascade(&after, self.generation);
        }
        self.drop_statements(StatementHistory::is_empty);
    }

    fn drop_statements(&mut self, mut doomed: impl FnMut(&StatementHistory) -> bool) {
        let generation = self.generation;
        let dropped = &mut self.dropped;
        self.statements.retain(|fingerprint, statement| {
            let drop = doomed(statement);
            if drop {
                dropped.push((generation, *fingerprint));
            }
            !drop
        });
        if self.dropped.len() > DROPPED_LOG_LIMIT {
            let forget = self.dropped.len() - DROPPED_LOG_LIMIT / 2;
            self.dropped_floor = self.dropped[forget - 1].0;
            self.dropped.drain(..forget);
        }
    }

    /// The sum over `[from, to)`, each part from the finest tier holding it.
    pub fn window(&self, fingerprint: Fingerprint, from: i64, to: i64) -> IntervalSample {
        let mut total = Sums::default();
        if let Some(statement) = self.statements.get(&fingerprint) {
            let (from, to) = (query_time(from), query_time(to));
            statement.visit_range(from, to, |_, _| true, |_, sums| total.add(sums));
        }
        total.to_sample()
    }

    /// `[from, to)` cut into `buckets` equal parts (at most
    /// `MAX_SERIES_BUCKETS`): part `i` sums the records with time `t` where
    /// `(t - from) * buckets / (to - from)` rounds down to `i`; None where
    /// there is no record. A record of a coarse tier counts where its bucket
    /// starts, so parts narrower than the tier's resolution (see
    /// `boundaries`) alternate between data and None.
    pub fn series(
        &self,
        fingerprint: Fingerprint,
        from: i64,
        to: i64,
        buckets: usize,
    ) -> Vec<Option<IntervalSample>> {
        let buckets = buckets.min(MAX_SERIES_BUCKETS);
        let mut parts: Vec<Option<Sums>> = vec![None; buckets];
        let (from, to) = (query_time(from), query_time(to));
        if let Some(statement) = self.statements.get(&fingerprint)
            && from < to
        {
            let width = u128::from(to - from);
            let part_of =
                |time: u32| (u128::from(u64::from(time) - from) * buckets as u128 / width) as usize;
            // A chunk whose records all fall in one part counts by its total.
            let one_part = |first: u32, last: u32| part_of(first) == part_of(last);
            statement.visit_range(from, to, one_part, |time, sums| {
                if let Some(part) = parts.get_mut(part_of(time)) {
                    part.get_or_insert_with(Sums::default).add(sums);
                }
            });
        }
        parts
            .into_iter()
            .map(|part| part.map(Sums::to_sample))
            .collect()
    }

    /// Stamp of the statement's first recorded interval (kept for as long
    /// as the statement is).
    pub fn first_seen(&self, fingerprint: Fingerprint) -> Option<i64> {
        self.statements
            .get(&fingerprint)
            .map(|statement| i64::from(statement.first_seen))
    }

    /// Stamp of the statement's newest recorded interval.
    pub fn last_seen(&self, fingerprint: Fingerprint) -> Option<i64> {
        self.statements
            .get(&fingerprint)
            .map(|statement| i64::from(statement.last_seen))
    }

    /// Every statement with history, in no particular order.
    pub fn fingerprints(&self) -> impl Iterator<Item = Fingerprint> + '_ {
        self.statements.keys().copied()
    }

    pub fn len(&self) -> usize {
        self.statements.len()
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Where the tiers meet now.
    pub fn boundaries(&self) -> TierBoundaries {
        let bounds = Bounds::at(self.clock);
        TierBoundaries {
            fine_from: i64::from(bounds.fine_from),
            medium_from: i64::from(bounds.medium_from),
            retained_from: i64::from(bounds.keep_from),
        }
    }

    /// Heap and inline bytes held: buffers by capacity, the map by its
    /// slots. Allocator overhead is not included (the bench measures RSS).
    pub fn approx_memory_bytes(&self) -> usize {
        let slot = std::mem::size_of::<(Fingerprint, StatementHistory)>() + 1;
        std::mem::size_of::<History>()
            + self.statements.capacity() * slot
            + self
                .statements
                .values()
                .map(StatementHistory::heap_bytes)
                .sum::<usize>()
            + self.dropped.capacity() * std::mem::size_of::<(u64, Fingerprint)>()
    }
}
