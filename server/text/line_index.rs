//! Byte offsets ⇄ editor positions (line, column) in UTF-8 or UTF-16.
//!
//! Columns are counted in the encoding negotiated with the client. Lines with
//! non-ASCII text are handled with a sorted list of the multi-byte characters,
//! so a conversion stays logarithmic even on a 2 MB single-line file.

/// How the client counts columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PositionEncoding {
    Utf8,
    #[default]
    Utf16,
}

/// A position in the client's terms: 0-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// A character whose UTF-8 length differs from its UTF-16 length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WideChar {
    offset: u32,
    utf8_len: u8,
    utf16_len: u8,
}

impl WideChar {
    /// How many more UTF-8 bytes than UTF-16 units the character takes.
    fn surplus(self) -> u32 {
        u32::from(self.utf8_len - self.utf16_len)
    }
}

/// Line starts and wide characters of one text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineIndex {
    line_starts: Vec<u32>,
    wide_chars: Vec<WideChar>,
    /// `surplus_before[i]`: total surplus of `wide_chars[..i]`.
    surplus_before: Vec<u32>,
    len: u32,
}

/// Line starts (the offsets just after each `\n`) within `text`, shifted by `base`.
fn newlines(text: &str, base: usize, out: &mut Vec<u32>) {
    out.extend(
        text.bytes()
            .enumerate()
            .filter(|&(_, byte)| byte == b'\n')
            .map(|(offset, _)| (base + offset + 1) as u32),
    );
}

/// Multi-byte characters whose UTF-16 length differs, within `text` at `base`.
fn wide_chars_in(text: &str, base: usize, out: &mut Vec<WideChar>) {
    if text.is_ascii() {
        return;
    }
    for (offset, ch) in text.char_indices() {
        let utf8_len = ch.len_utf8() as u8;
        let utf16_len = ch.len_utf16() as u8;
        if utf8_len != utf16_len {
            out.push(WideChar {
                offset: (base + offset) as u32,
                utf8_len,
                utf16_len,
            });
        }
    }
}

fn shift(value: u32, delta: i64) -> u32 {
    (i64::from(value) + delta).max(0) as u32
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        newlines(text, 0, &mut line_starts);
        let mut wide_chars = Vec::new();
        wide_chars_in(text, 0, &mut wide_chars);
        let mut index = LineIndex {
            line_starts,
            wide_chars,
            surplus_before: vec![0],
            len: text.len() as u32,
        };
        index.recount_surplus(0);
        index
    }

    /// Recomputes the surplus prefix sums from wide char `from` on.
    fn recount_surplus(&mut self, from: usize) {
        self.surplus_before.truncate(from + 1);
        let mut total = self.surplus_before[from];
        for wide in &self.wide_chars[from..] {
            total += wide.surplus();
            self.surplus_before.push(total);
        }
    }

    /// Updates the index after `old` bytes of the previous text became
    /// `new_len` bytes of `text` (the text after the edit): work
    /// proportional to the edit and the lines after it, not the file.
    pub fn apply_edit(&mut self, text: &str, old: std::ops::Range<usize>, new_len: usize) {
        let (start, end) = (old.start as u32, old.end as u32);
        let delta = new_len as i64 - old.len() as i64;
        let inserted = &text[old.start..old.start + new_len];

        let keep = self.line_starts.partition_point(|&s| s <= start);
        let after = self.line_starts.partition_point(|&s| s <= end);
        let mut fresh = Vec::new();
        newlines(inserted, old.start, &mut fresh);
        let tail: Vec<u32> = self.line_starts[after..]
            .iter()
            .map(|&s| shift(s, delta))
            .collect();
        self.line_starts.truncate(keep);
        self.line_starts.extend(fresh);
        self.line_starts.extend(tail);

        let keep = self.wide_chars.partition_point(|w| w.offset < start);
        let after = self.wide_chars.partition_point(|w| w.offset < end);
        let mut fresh = Vec::new();
        wide_chars_in(inserted, old.start, &mut fresh);
        let tail: Vec<WideChar> = self.wide_chars[after..]
            .iter()
            .map(|w| WideChar {
                offset: shift(w.offset, delta),
                ..*w
            })
            .collect();
        self.wide_chars.truncate(keep);
        self.wide_chars.extend(fresh);
        self.wide_chars.extend(tail);
        self.recount_surplus(keep);
        self.len = text.len() as u32;
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The byte range of line `line` including its newline, if the line exists.
    pub fn line_range(&self, line: u32) -> Option<std::ops::Range<usize>> {
        let start = *self.line_starts.get(line as usize)? as usize;
        let end = self
            .line_starts
            .get(line as usize + 1)
            .map_or(self.len as usize, |&next| next as usize);
        Some(start..end)
    }

    /// Index of the first wide char at or after `offset`.
    fn wide_index(&self, offset: u32) -> usize {
        self.wide_chars.partition_point(|wide| wide.offset < offset)
    }

    fn surplus_between(&self, from: u32, to: u32) -> u32 {
        self.surplus_before[self.wide_index(to)] - self.surplus_before[self.wide_index(from)]
    }

    /// The position of byte `offset` (clamped to the text; a char boundary is expected).
    pub fn position(&self, offset: usize, encoding: PositionEncoding) -> LineCol {
        let offset = (offset as u32).min(self.len);
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let line_start = self.line_starts[line];
        let bytes = offset - line_start;
        let col = match encoding {
            PositionEncoding::Utf8 => bytes,
            PositionEncoding::Utf16 => bytes - self.surplus_between(line_start, offset),
        };
        LineCol {
            line: line as u32,
            col,
        }
    }

    /// The byte offset of `position`. A line past the end maps to the end of
    /// the text; a column past the end of its line, to the end of the line
    /// (before the newline); a column inside a character, to its start.
    pub fn offset(&self, position: LineCol, text: &str, encoding: PositionEncoding) -> usize {
        let Some(range) = self.line_range(position.line) else {
            return self.len as usize;
        };
        let line_text = &text[range.clone()];
        let content_len = line_text.trim_end_matches(['\n', '\r']).len();
        let wanted = position.col as usize;
        if encoding == PositionEncoding::Utf8
            || self.surplus_between(range.start as u32, range.end as u32) == 0
        {
            let mut offset = wanted.min(content_len);
            while !line_text.is_char_boundary(offset) {
                offset -= 1;
            }
            return range.start + offset;
        }
        let mut units = 0;
        for (offset, ch) in line_text[..content_len].char_indices() {
            units += ch.len_utf16();
            if units > wanted {
                return range.start + offset;
            }
        }
        range.start + content_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_positions_round_trip() {
        let text = "select 1;\nselect 2;\n";
        let index = LineIndex::new(text);
        for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
            for offset in 0..=text.len() {
                let position = index.position(offset, encoding);
                assert_eq!(index.offset(position, text, encoding), offset);
            }
        }
        assert_eq!(
            index.position(10, PositionEncoding::Utf16),
            LineCol { line: 1, col: 0 }
        );
    }

    #[test]
    fn emoji_and_cjk_count_per_encoding() {
        let text = "-- 😀 漢\nselect '😀' as 字, x";
        let index = LineIndex::new(text);
        let x = text.rfind('x').unwrap();
        // line 1: `select '` is 8, 😀 is 2 UTF-16 units / 4 bytes, `' as ` 5, 字 1 unit / 3 bytes, `, ` 2.
        assert_eq!(
            index.position(x, PositionEncoding::Utf16),
            LineCol { line: 1, col: 18 }
        );
        assert_eq!(
            index.position(x, PositionEncoding::Utf8),
            LineCol { line: 1, col: 22 }
        );
        assert_eq!(
            index.offset(LineCol { line: 1, col: 18 }, text, PositionEncoding::Utf16),
            x
        );
        assert_eq!(
            index.offset(LineCol { line: 1, col: 22 }, text, PositionEncoding::Utf8),
            x
        );
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        assert_eq!(
            index.offset(LineCol { line: 9, col: 0 }, text, PositionEncoding::Utf16),
            5
        );
        assert_eq!(
            index.offset(LineCol { line: 0, col: 99 }, text, PositionEncoding::Utf16),
            2
        );
        assert_eq!(
            index.position(99, PositionEncoding::Utf16),
            LineCol { line: 1, col: 2 }
        );
    }

    #[test]
    fn a_column_inside_a_surrogate_pair_maps_to_the_character_start() {
        let text = "😀x";
        let index = LineIndex::new(text);
        assert_eq!(
            index.offset(LineCol { line: 0, col: 1 }, text, PositionEncoding::Utf16),
            0
        );
        assert_eq!(
            index.offset(LineCol { line: 0, col: 2 }, text, PositionEncoding::Utf16),
            4
        );
        assert_eq!(
            index.offset(LineCol { line: 0, col: 2 }, text, PositionEncoding::Utf8),
            0
        );
    }
}
