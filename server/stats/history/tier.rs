//! One resolution tier of one statement's history: records in time order,
//! grouped into aligned chunks, all chunks packed into one byte buffer.
//!
//! Memory layout (per tier):
//!
//! ```text
//! bytes:  [chunk 0 records][chunk 1 records]...[last chunk records]   Vec<u8>
//! chunks: [{start, offset, changed, total}, ...]         64 bytes per chunk
//! ```
//!
//! A chunk holds the records whose time falls in `[start, start + span)`;
//! spans are aligned to the Unix epoch. Record times are steps from the
//! previous record (see `codec.rs`), so one record usually costs no time
//! bytes at all. Chunks exist for three reasons: the on-disk store writes
//! and deletes whole chunks (only the chunks that changed); a query skips
//! the chunks outside its range without decoding them; and it takes the
//! running total of a chunk entirely inside its range instead of decoding
//! it, so only the (at most two) chunks cut by the range's ends are decoded.
//! A statement has about a dozen chunks, so the totals cost some 600 bytes
//! and make a one-hour window ten times faster.
//!
//! One buffer per tier rather than one allocation per chunk: the worst case
//! has tens of thousands of tiers, and a per-chunk allocation costs its
//! header, its rounding and its own growth slack. The buffer grows by an
//! eighth at a time (`reserve_compactly`), not by doubling, for the same
//! reason. Records leave only from the front (downsampling, retention), so
//! removal is one `drain` of the buffer's head.

use super::codec::{self, Decoder, MAX_RECORD_BYTES};
use super::sample::Sums;

/// Which tier; the numbers are part of the on-disk format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TierKind {
    /// One record per poll in which the statement ran.
    Fine,
    /// One record per 10-minute bucket.
    Medium,
    /// One record per 2-hour bucket.
    Coarse,
}

impl TierKind {
    pub const ALL: [TierKind; 3] = [TierKind::Fine, TierKind::Medium, TierKind::Coarse];

    /// Seconds per step unit; a record's time is a multiple of it.
    pub const fn unit(self) -> u32 {
        match self {
            TierKind::Fine => 1,
            TierKind::Medium => 600,
            TierKind::Coarse => 7200,
        }
    }

    /// Seconds covered by one chunk. A fine chunk is exactly one medium
    /// bucket, so downsampling turns one whole chunk into one record. Medium
    /// chunks hold a day (144 records), coarse chunks a week (84 records),
    /// which keeps the chunk count per statement small.
    pub const fn chunk_span(self) -> u32 {
        match self {
            TierKind::Fine => 600,
            TierKind::Medium => 86_400,
            TierKind::Coarse => 7 * 86_400,
        }
    }

    pub const fn code(self) -> u8 {
        match self {
            TierKind::Fine => 0,
            TierKind::Medium => 1,
            TierKind::Coarse => 2,
        }
    }

    pub fn from_code(code: u8) -> Option<TierKind> {
        TierKind::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

fn align_down(time: u32, step: u32) -> u32 {
    time - time % step
}

/// Where a chunk starts and whether it changed since a save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ChunkMeta {
    /// Aligned start of the chunk's span, Unix seconds.
    start: u32,
    /// Where the chunk's records begin in `Tier::bytes`. A tier is bounded
    /// (a few kilobytes), far from u32's limit.
    offset: u32,
    /// `History` generation of the last change to the chunk.
    changed: u64,
    /// Sum of the chunk's records.
    total: Sums,
}

#[derive(Debug, Clone)]
pub(crate) struct Tier {
    kind: TierKind,
    bytes: Vec<u8>,
    chunks: Vec<ChunkMeta>,
    /// Time of the newest record; appends never go before it.
    last_time: u32,
    /// Step of the newest record within the last chunk, for the
    /// repeated-step flag; None when the last chunk has no record yet.
    last_step: Option<u32>,
    /// Generation of the last removal from the front.
    front_changed: u64,
}

/// Grows a buffer by an eighth when full instead of doubling: thousands of
/// these buffers live for weeks, and doubling would leave up to half of each
/// one unused.
fn reserve_compactly(bytes: &mut Vec<u8>, additional: usize) {
    if bytes.capacity() - bytes.len() < additional {
        bytes.reserve_exact(additional.max(bytes.len() / 8).max(32));
    }
}

impl Tier {
    pub fn new(kind: TierKind) -> Tier {
        Tier {
            kind,
            bytes: Vec::new(),
            chunks: Vec::new(),
            last_time: 0,
            last_step: None,
            front_changed: 0,
        }
    }

    pub fn kind(&self) -> TierKind {
        self.kind
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    fn chunk_range(&self, index: usize) -> std::ops::Range<usize> {
        let start = self.chunks[index].offset as usize;
        let end = self
            .chunks
            .get(index + 1)
            .map_or(self.bytes.len(), |next| next.offset as usize);
        start..end
    }

    fn chunk_bytes(&self, index: usize) -> &[u8] {
        &self.bytes[self.chunk_range(index)]
    }

    /// Visits the records of chunk `index` as (time, sums) in time order.
    /// In-memory chunks were written by `append`, so they always decode; if
    /// one did not, the visit would stop rather than panic.
    fn visit_chunk(&self, index: usize, mut visit: impl FnMut(u32, &Sums) -> bool) {
        let unit = u64::from(self.kind.unit());
        let mut time = u64::from(self.chunks[index].start);
        let mut decoder = Decoder::new(self.chunk_bytes(index));
        while let Ok(Some(record)) = decoder.next_record() {
            time += u64::from(record.step) * unit;
            let Ok(time) = u32::try_from(time) else {
                return;
            };
            if !visit(time, &record.sums) {
                return;
            }
        }
    }

    pub fn first_time(&self) -> Option<u32> {
        let mut first = None;
        if !self.chunks.is_empty() {
            self.visit_chunk(0, |time, _| {
                first = Some(time);
                false
            });
        }
        first
    }

    pub fn last_time(&self) -> Option<u32> {
        (!self.is_empty()).then_some(self.last_time)
    }

    /// Adds a record at `time` (aligned down to the tier's unit). Records
    /// arrive in time order; an earlier time is moved up to the newest
    /// record's, so the order holds whatever the caller does.
    pub fn append(&mut self, time: u32, sums: &Sums, generation: u64) {
        let unit = self.kind.unit();
        let mut time = align_down(time, unit);
        if !self.is_empty() {
            time = time.max(self.last_time);
        }
        let chunk_start = align_down(time, self.kind.chunk_span());
        let (step, previous_step) = match self.chunks.last_mut() {
            Some(last) if last.start == chunk_start => {
                last.changed = generation;
                last.total.add(sums);
                ((time - self.last_time) / unit, self.last_step)
            }
            _ => {
                // A new chunk comes every 10 minutes at most: exact growth
                // costs nothing worth saving and keeps no spare slots.
                self.chunks.reserve_exact(1);
                self.chunks.push(ChunkMeta {
                    start: chunk_start,
                    offset: self.bytes.len() as u32,
                    changed: generation,
                    total: *sums,
                });
                ((time - chunk_start) / unit, None)
            }
        };
        reserve_compactly(&mut self.bytes, MAX_RECORD_BYTES);
        codec::encode(&mut self.bytes, step, previous_step, sums);
        self.last_time = time;
        self.last_step = Some(step);
    }

    /// Visits what lies in `[from, to)`, oldest first, as (time, sums): a
    /// chunk entirely inside the range for which `whole(first, last)` (an
    /// earliest and a latest time of its records) says yes is visited once,
    /// with its start and total; other records are visited one by one.
    pub fn visit_range(
        &self,
        from: u64,
        to: u64,
        whole: impl Fn(u32, u32) -> bool,
        mut visit: impl FnMut(u32, &Sums),
    ) {
        let span = u64::from(self.kind.chunk_span());
        let newest = self.chunks.len().saturating_sub(1);
        for (index, chunk) in self.chunks.iter().enumerate() {
            let start = u64::from(chunk.start);
            if start >= to {
                break;
            }
            if start + span <= from {
                continue;
            }
            let latest = if index == newest {
                self.last_time
            } else {
                // Records stay inside the span, which ends within u32.
                (start + span - 1) as u32
            };
            if start >= from && u64::from(latest) < to && whole(chunk.start, latest) {
                visit(chunk.start, &chunk.total);
                continue;
            }
            self.visit_chunk(index, |time, sums| {
                let time_u64 = u64::from(time);
                if time_u64 >= to {
                    return false;
                }
                if time_u64 >= from {
                    visit(time, sums);
                }
                true
            });
        }
    }

    /// Removes every record with time before `cut`, handing each to `take`
    /// in time order. Whole chunks go at once; a chunk the cut falls inside
    /// is re-encoded without its older records (its first kept record then
    /// counts its step from the chunk start).
    pub fn drain_before(&mut self, cut: u32, generation: u64, mut take: impl FnMut(u32, Sums)) {
        let mut whole_chunks = 0;
        let mut kept_part: Option<(u32, Vec<(u32, Sums)>)> = None;
        for index in 0..self.chunks.len() {
            let start = self.chunks[index].start;
            if start >= cut {
                break;
            }
            let mut kept = Vec::new();
            let mut took_any = false;
            self.visit_chunk(index, |time, sums| {
                if time < cut {
                    take(time, *sums);
                    took_any = true;
                } else {
                    kept.push((time, *sums));
                }
                true
            });
            if kept.is_empty() {
                // Either the whole span is before the cut, or the cut falls
                // after the chunk's newest record: later chunks start at or
                // after the cut then, and the loop ends on the next turn.
                whole_chunks += 1;
                continue;
            }
            if took_any {
                kept_part = Some((start, kept));
            }
            break;
        }
        if whole_chunks == 0 && kept_part.is_none() {
            return;
        }
        self.front_changed = generation;
        let removed_end = self
            .chunks
            .get(whole_chunks)
            .map_or(self.bytes.len(), |chunk| chunk.offset as usize);
        self.bytes.drain(..removed_end);
        self.chunks.drain(..whole_chunks);
        self.chunks.shrink_to_fit();
        for chunk in &mut self.chunks {
            chunk.offset -= removed_end as u32;
        }
        if let Some((start, kept)) = kept_part {
            self.rewrite_first_chunk(start, &kept, generation);
        }
        if self.chunks.is_empty() {
            self.last_step = None;
        }
        // A statement that went quiet leaves a large, mostly empty buffer.
        if self.bytes.capacity() > 2 * self.bytes.len() + 64 {
            self.bytes
                .shrink_to(self.bytes.len() + self.bytes.len() / 8);
        }
    }

    /// Replaces the first chunk's records with `kept` (its newer records).
    fn rewrite_first_chunk(&mut self, start: u32, kept: &[(u32, Sums)], generation: u64) {
        let unit = self.kind.unit();
        let mut encoded = Vec::with_capacity(kept.len() * 12);
        let mut previous_time = start;
        let mut previous_step = None;
        for (time, sums) in kept {
            let step = (time - previous_time) / unit;
            codec::encode(&mut encoded, step, previous_step, sums);
            previous_time = *time;
            previous_step = Some(step);
        }
        let old_end = self.chunk_range(0).end;
        let new_len = encoded.len();
        self.bytes.splice(..old_end, encoded);
        for chunk in self.chunks.iter_mut().skip(1) {
            chunk.offset = chunk.offset - old_end as u32 + new_len as u32;
        }
        let mut total = Sums::default();
        for (_, sums) in kept {
            total.add(sums);
        }
        self.chunks[0].changed = generation;
        self.chunks[0].total = total;
        if self.chunks.len() == 1 {
            self.last_step = previous_step;
        }
    }

    /// Heap bytes held (capacity, not length: that is what the process pays).
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.chunks.capacity() * std::mem::size_of::<ChunkMeta>()
    }

    /// Used bytes of encoded records.
    #[cfg(test)]
    pub fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    // ---- persistence (see `persist.rs`) ----

    pub fn front_changed(&self) -> u64 {
        self.front_changed
    }

    pub fn first_chunk_start(&self) -> Option<u32> {
        self.chunks.first().map(|chunk| chunk.start)
    }

    /// (start, bytes) of the chunks changed after generation `since` (all
    /// chunks when None).
    pub fn chunks_changed_since(&self, since: Option<u64>) -> impl Iterator<Item = (u32, &[u8])> {
        self.chunks
            .iter()
            .enumerate()
            .filter(move |(_, chunk)| since.is_none_or(|since| chunk.changed > since))
            .map(|(index, chunk)| (chunk.start, self.chunk_bytes(index)))
    }

    /// Appends a chunk read from disk, checking everything the queries rely
    /// on: chunks in order and aligned, records decodable and inside their
    /// chunk's span.
    pub fn push_stored_chunk(&mut self, start: u32, bytes: &[u8]) -> Result<(), String> {
        let kind = self.kind;
        if !start.is_multiple_of(kind.chunk_span()) {
            return Err(format!("{kind:?} chunk at {start} is not aligned"));
        }
        if self.chunks.last().is_some_and(|last| last.start >= start) {
            return Err(format!("{kind:?} chunk at {start} is out of order"));
        }
        let end = u64::from(start) + u64::from(kind.chunk_span());
        let mut time = u64::from(start);
        let mut last_step = None;
        let mut total = Sums::default();
        let mut decoder = Decoder::new(bytes);
        while let Some(record) = decoder
            .next_record()
            .map_err(|error| format!("{kind:?} chunk at {start}: {error}"))?
        {
            time += u64::from(record.step) * u64::from(kind.unit());
            if time >= end {
                return Err(format!(
                    "{kind:?} chunk at {start} has a record past its end"
                ));
            }
            last_step = Some(record.step);
            total.add(&record.sums);
        }
        if last_step.is_none() {
            return Err(format!("{kind:?} chunk at {start} is empty"));
        }
        self.chunks.push(ChunkMeta {
            start,
            offset: self.bytes.len() as u32,
            changed: 0,
            total,
        });
        self.bytes.extend_from_slice(bytes);
        // `time < end <= u32::MAX + 1`, so it fits.
        self.last_time = time as u32;
        self.last_step = last_step;
        Ok(())
    }

    /// Makes a loaded tier look like one that never needed saving.
    pub fn shrink_after_load(&mut self) {
        self.bytes.shrink_to_fit();
        self.chunks.shrink_to_fit();
    }

    /// Same records in the same chunks (generations aside).
    #[cfg(test)]
    pub fn same_content(&self, other: &Tier) -> bool {
        self.kind == other.kind
            && self.bytes == other.bytes
            && self.chunks.len() == other.chunks.len()
            && self
                .chunks
                .iter()
                .zip(&other.chunks)
                .all(|(a, b)| a.start == b.start && a.offset == b.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(calls: u64) -> Sums {
        Sums {
            calls,
            ..Sums::default()
        }
    }

    fn records(tier: &Tier) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        tier.visit_range(
            0,
            u64::MAX,
            |_, _| false,
            |time, sums| out.push((time, sums.calls)),
        );
        out
    }

    fn total_calls(tier: &Tier, from: u64, to: u64) -> u64 {
        let mut total = 0;
        tier.visit_range(from, to, |_, _| true, |_, sums| total += sums.calls);
        total
    }

    #[test]
    fn appends_split_into_aligned_chunks() {
        let mut tier = Tier::new(TierKind::Fine);
        for (time, n) in [(590, 1), (600, 2), (610, 3), (1300, 4)] {
            tier.append(time, &calls(n), 1);
        }
        assert_eq!(tier.chunks.len(), 3);
        assert_eq!(
            records(&tier),
            vec![(590, 1), (600, 2), (610, 3), (1300, 4)]
        );
        assert_eq!(tier.first_time(), Some(590));
        assert_eq!(tier.last_time(), Some(1300));
    }

    #[test]
    fn an_append_back_in_time_is_moved_forward() {
        let mut tier = Tier::new(TierKind::Fine);
        tier.append(1000, &calls(1), 1);
        tier.append(900, &calls(2), 1);
        assert_eq!(records(&tier), vec![(1000, 1), (1000, 2)]);
    }

    #[test]
    fn draining_inside_a_chunk_keeps_the_rest_readable() {
        let mut tier = Tier::new(TierKind::Medium);
        // Steady steps, so later records use the repeated-step flag.
        for bucket in 0..20u32 {
            tier.append(bucket * 600, &calls(u64::from(bucket)), 1);
        }
        let mut taken = Vec::new();
        tier.drain_before(7200, 2, |time, sums| taken.push((time, sums.calls)));
        assert_eq!(taken.len(), 12);
        assert_eq!(taken[11], (6600, 11));
        let rest = records(&tier);
        assert_eq!(rest.len(), 8);
        assert_eq!(rest[0], (7200, 12));
        assert_eq!(rest[7], (11400, 19));
        assert_eq!(tier.front_changed(), 2);
        // Appending after a partial drain continues the chunk correctly.
        tier.append(12000, &calls(20), 3);
        assert_eq!(records(&tier).last(), Some(&(12000, 20)));
        // And its running total is that of the records left.
        assert_eq!(total_calls(&tier, 0, u64::MAX), (12..=20).sum::<u64>());
    }

    #[test]
    fn chunk_totals_stand_in_for_whole_chunks_only() {
        let mut tier = Tier::new(TierKind::Fine);
        for second in (0..1800u32).step_by(10) {
            tier.append(second, &calls(1), 1);
        }
        for (from, to) in [
            (0, 1800),
            (0, 600),
            (5, 1795),
            (600, 1200),
            (590, 1210),
            (1790, 5000),
        ] {
            let expected = (from..to.min(1800)).filter(|t| t % 10 == 0).count() as u64;
            assert_eq!(total_calls(&tier, from, to), expected, "[{from}, {to})");
        }
    }

    #[test]
    fn draining_everything_empties_the_tier() {
        let mut tier = Tier::new(TierKind::Fine);
        tier.append(100, &calls(1), 1);
        tier.append(700, &calls(2), 1);
        let mut taken = 0;
        tier.drain_before(5000, 2, |_, _| taken += 1);
        assert_eq!(taken, 2);
        assert!(tier.is_empty());
        assert_eq!(tier.encoded_len(), 0);
        tier.append(5000, &calls(3), 3);
        assert_eq!(records(&tier), vec![(5000, 3)]);
    }

    #[test]
    fn a_cut_after_the_newest_record_of_a_chunk_removes_it() {
        let mut tier = Tier::new(TierKind::Medium);
        tier.append(600, &calls(1), 1);
        tier.drain_before(1200, 2, |_, _| {});
        assert!(tier.is_empty());
    }

    #[test]
    fn stored_chunks_are_validated() {
        let mut tier = Tier::new(TierKind::Fine);
        assert!(tier.push_stored_chunk(601, &[0, 0, 1, 1]).is_err());
        assert!(tier.push_stored_chunk(600, &[]).is_err());
        // Step 600 from a chunk start is past the chunk's end.
        let mut past_end = Vec::new();
        codec::encode(&mut past_end, 600, None, &calls(1));
        assert!(tier.push_stored_chunk(600, &past_end).is_err());
        let mut good = Vec::new();
        codec::encode(&mut good, 5, None, &calls(1));
        tier.push_stored_chunk(600, &good).unwrap();
        assert!(tier.push_stored_chunk(600, &good).is_err());
        assert_eq!(records(&tier), vec![(605, 1)]);
    }
}
