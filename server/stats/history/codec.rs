//! The byte encoding of history records, shared by memory and disk.
//!
//! Records are packed back to back inside a chunk (see `tier.rs`). One
//! record is:
//!
//! ```text
//! flags     u8       bit 0  rows present              bits 5..7 are zero
//!                    bit 1  shared_blks_hit present
//!                    bit 2  shared_blks_read present
//!                    bit 3  temp_blks_written present
//!                    bit 4  step repeats the previous record's step
//! step      LEB128   time since the previous record of the chunk (the
//!                    chunk start for the first), in the tier's time unit;
//!                    left out when bit 4 is set
//! calls     LEB128
//! total_us  LEB128   total execution time in microseconds
//! then each present counter, LEB128
//! ```
//!
//! Why this shape: the worst case the history must hold is thousands of
//! statements active in every 10-second poll for two weeks. Fixed-width
//! records (u32 time + six counters) take 28 bytes or more; these take
//! 8–20, because per-interval numbers are small (LEB128 spends one byte per
//! 7 bits), counters that are zero (temp blocks, usually reads) cost nothing
//! but their flag bit, and a steady poll interval costs no step bytes.

use super::sample::Sums;

const ROWS: u8 = 1 << 0;
const SHARED_BLKS_HIT: u8 = 1 << 1;
const SHARED_BLKS_READ: u8 = 1 << 2;
const TEMP_BLKS_WRITTEN: u8 = 1 << 3;
const REPEATS_STEP: u8 = 1 << 4;
const KNOWN_FLAGS: u8 =
    ROWS | SHARED_BLKS_HIT | SHARED_BLKS_READ | TEMP_BLKS_WRITTEN | REPEATS_STEP;

/// Flag byte, a step (u32 → 5 bytes) and six u64 (10 bytes each).
pub const MAX_RECORD_BYTES: usize = 1 + 5 + 6 * 10;

/// Why stored bytes could not be read back (only files can cause this: the
/// in-memory history only reads what it wrote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    Truncated,
    Overlong,
    UnknownFlags(u8),
    RepeatWithoutPrevious,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated => write!(f, "record cut short"),
            DecodeError::Overlong => write!(f, "number wider than its type"),
            DecodeError::UnknownFlags(flags) => write!(f, "unknown record flags {flags:#04x}"),
            DecodeError::RepeatWithoutPrevious => {
                write!(f, "record repeats the step of a record that is not there")
            }
        }
    }
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads one LEB128 number. Queries decode hundreds of records per
/// statement, so the common case (a number of up to 8 bytes with 8 bytes
/// readable) is done on one word without a branch per byte.
#[inline]
fn get_varint(bytes: &[u8], position: &mut usize) -> Result<u64, DecodeError> {
    if let Some(Ok(word)) = bytes.get(*position..*position + 8).map(<[u8; 8]>::try_from) {
        let word = u64::from_le_bytes(word);
        // The first byte without its continuation bit ends the number.
        let stops = !word & 0x8080_8080_8080_8080;
        if stops != 0 {
            let length = (stops.trailing_zeros() / 8 + 1) as usize;
            let kept = if length == 8 {
                u64::MAX
            } else {
                (1u64 << (length * 8)) - 1
            };
            // Squeeze the 7-bit groups together: pairs, quads, then halves.
            let x = word & kept & 0x7f7f_7f7f_7f7f_7f7f;
            let x = (x & 0x007f_007f_007f_007f) | ((x & 0x7f00_7f00_7f00_7f00) >> 1);
            let x = (x & 0x0000_3fff_0000_3fff) | ((x & 0x3fff_0000_3fff_0000) >> 2);
            let x = (x & 0x0000_0000_0fff_ffff) | ((x & 0x0fff_ffff_0000_0000) >> 4);
            *position += length;
            return Ok(x);
        }
    }
    get_varint_bytewise(bytes, position)
}

fn get_varint_bytewise(bytes: &[u8], position: &mut usize) -> Result<u64, DecodeError> {
    let mut value = 0u64;
    let mut shift = 0u32;
    loop {
        let byte = *bytes.get(*position).ok_or(DecodeError::Truncated)?;
        *position += 1;
        let payload = u64::from(byte & 0x7f);
        // The tenth byte may only carry the top bit of a u64.
        if shift == 63 && payload > 1 {
            return Err(DecodeError::Overlong);
        }
        value |= payload << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
        shift += 7;
        if shift > 63 {
            return Err(DecodeError::Overlong);
        }
    }
}

/// Appends one record. `previous_step` is the step of the record before it
/// in the same chunk (None for a chunk's first record).
pub fn encode(out: &mut Vec<u8>, step: u32, previous_step: Option<u32>, sums: &Sums) {
    let optional = [
        (ROWS, sums.rows),
        (SHARED_BLKS_HIT, sums.shared_blks_hit),
        (SHARED_BLKS_READ, sums.shared_blks_read),
        (TEMP_BLKS_WRITTEN, sums.temp_blks_written),
    ];
    let mut flags = 0u8;
    for (flag, value) in optional {
        if value != 0 {
            flags |= flag;
        }
    }
    let repeats = previous_step == Some(step);
    if repeats {
        flags |= REPEATS_STEP;
    }
    out.push(flags);
    if !repeats {
        put_varint(out, u64::from(step));
    }
    put_varint(out, sums.calls);
    put_varint(out, sums.total_us);
    for (_, value) in optional {
        if value != 0 {
            put_varint(out, value);
        }
    }
}

/// One decoded record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub step: u32,
    pub sums: Sums,
}

/// Reads the records of one chunk in order.
pub struct Decoder<'a> {
    bytes: &'a [u8],
    position: usize,
    previous_step: Option<u32>,
}

impl<'a> Decoder<'a> {
    pub fn new(bytes: &'a [u8]) -> Decoder<'a> {
        Decoder {
            bytes,
            position: 0,
            previous_step: None,
        }
    }

    pub fn next_record(&mut self) -> Result<Option<Record>, DecodeError> {
        let Some(&flags) = self.bytes.get(self.position) else {
            return Ok(None);
        };
        let mut position = self.position + 1;
        if flags & !KNOWN_FLAGS != 0 {
            return Err(DecodeError::UnknownFlags(flags));
        }
        let step = if flags & REPEATS_STEP != 0 {
            self.previous_step
                .ok_or(DecodeError::RepeatWithoutPrevious)?
        } else {
            let step = get_varint(self.bytes, &mut position)?;
            u32::try_from(step).map_err(|_| DecodeError::Overlong)?
        };
        let calls = get_varint(self.bytes, &mut position)?;
        let total_us = get_varint(self.bytes, &mut position)?;
        let mut optional = |flag: u8| -> Result<u64, DecodeError> {
            if flags & flag != 0 {
                get_varint(self.bytes, &mut position)
            } else {
                Ok(0)
            }
        };
        let sums = Sums {
            calls,
            total_us,
            rows: optional(ROWS)?,
            shared_blks_hit: optional(SHARED_BLKS_HIT)?,
            shared_blks_read: optional(SHARED_BLKS_READ)?,
            temp_blks_written: optional(TEMP_BLKS_WRITTEN)?,
        };
        self.position = position;
        self.previous_step = Some(step);
        Ok(Some(Record { step, sums }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(calls: u64, total_us: u64, rows: u64, hit: u64, read: u64, temp: u64) -> Sums {
        Sums {
            calls,
            total_us,
            rows,
            shared_blks_hit: hit,
            shared_blks_read: read,
            temp_blks_written: temp,
        }
    }

    fn decode_all(bytes: &[u8]) -> Result<Vec<Record>, DecodeError> {
        let mut decoder = Decoder::new(bytes);
        let mut records = Vec::new();
        while let Some(record) = decoder.next_record()? {
            records.push(record);
        }
        Ok(records)
    }

    #[test]
    fn records_round_trip_including_extremes() {
        let records = [
            (7, sums(1, 1500, 1, 4, 0, 0)),
            (7, sums(0, 0, 0, 0, 0, 0)),
            (
                0,
                sums(u64::MAX, u64::MAX, u64::MAX, u64::MAX, u64::MAX, u64::MAX),
            ),
            (u32::MAX, sums(3, 0, 0, 0, 9, 1)),
        ];
        let mut bytes = Vec::new();
        let mut previous = None;
        for (step, sums) in &records {
            encode(&mut bytes, *step, previous, sums);
            previous = Some(*step);
        }
        let decoded = decode_all(&bytes).unwrap();
        let expected: Vec<Record> = records
            .iter()
            .map(|(step, sums)| Record {
                step: *step,
                sums: *sums,
            })
            .collect();
        assert_eq!(decoded, expected);
    }

    #[test]
    fn a_steady_small_sample_takes_few_bytes() {
        let mut bytes = Vec::new();
        encode(&mut bytes, 10, Some(10), &sums(20, 40_000, 20, 100, 0, 0));
        // flags, calls, 3 bytes of µs, rows, hits
        assert_eq!(bytes.len(), 1 + 1 + 3 + 1 + 1);
    }

    #[test]
    fn the_word_decoder_agrees_with_the_bytewise_one() {
        let mut values = vec![
            0,
            1,
            127,
            128,
            255,
            16_383,
            16_384,
            u64::MAX,
            1 << 56,
            (1 << 56) - 1,
        ];
        let mut state = 0x1234_5678_9abc_def0u64;
        for _ in 0..10_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            values.push(state >> (state % 64));
        }
        for value in values {
            let mut bytes = Vec::new();
            put_varint(&mut bytes, value);
            // Followed by other bytes (the word path) and alone (the bytewise path).
            let mut padded = bytes.clone();
            padded.extend_from_slice(&[0xff; 9]);
            for buffer in [&bytes, &padded] {
                let mut position = 0;
                assert_eq!(get_varint(buffer, &mut position), Ok(value));
                assert_eq!(position, bytes.len());
            }
        }
    }

    #[test]
    fn malformed_bytes_are_errors_not_panics() {
        assert_eq!(decode_all(&[0x00]), Err(DecodeError::Truncated));
        assert_eq!(decode_all(&[0x80]), Err(DecodeError::UnknownFlags(0x80)));
        assert_eq!(
            decode_all(&[REPEATS_STEP, 1, 1]),
            Err(DecodeError::RepeatWithoutPrevious)
        );
        let overlong = [
            0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
        ];
        assert_eq!(decode_all(&overlong), Err(DecodeError::Overlong));
        // A step wider than u32.
        assert_eq!(
            decode_all(&[0x00, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0]),
            Err(DecodeError::Overlong)
        );
    }
}
