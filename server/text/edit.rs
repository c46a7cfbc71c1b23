//! Applying an editor's text change to a document's text.

use std::ops::Range;

use super::line_index::{LineCol, LineIndex, PositionEncoding};

/// A change as the editor sends it: replace `range` (or everything) with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextChange {
    pub range: Option<(LineCol, LineCol)>,
    pub text: String,
}

/// A change resolved to bytes: `old` in the previous text became `new_len` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByteEdit {
    pub old: Range<usize>,
    pub new_len: usize,
}

impl ByteEdit {
    /// How much later text moved.
    pub fn delta(&self) -> isize {
        self.new_len as isize - self.old.len() as isize
    }
}

/// Applies `change` to `text` (whose index is `index`) and returns the byte edit.
/// Positions out of range are clamped, never trusted: a stale or buggy client
/// must not crash the server or corrupt the text beyond its own edit.
pub fn apply_change(
    text: &mut String,
    index: &LineIndex,
    change: &TextChange,
    encoding: PositionEncoding,
) -> ByteEdit {
    let old = match change.range {
        None => 0..text.len(),
        Some((start, end)) => {
            let start = index.offset(start, text, encoding);
            let end = index.offset(end, text, encoding);
            start.min(end)..start.max(end)
        }
    };
    text.replace_range(old.clone(), &change.text);
    ByteEdit {
        old,
        new_len: change.text.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(text: &mut String, range: ((u32, u32), (u32, u32)), new: &str) -> ByteEdit {
        let index = LineIndex::new(text);
        let at = |(line, col)| LineCol { line, col };
        apply_change(
            text,
            &index,
            &TextChange {
                range: Some((at(range.0), at(range.1))),
                text: new.into(),
            },
            PositionEncoding::Utf16,
        )
    }

    #[test]
    fn replaces_a_range_across_lines() {
        let mut text = String::from("select a\nfrom t;\n");
        let edit = change(&mut text, ((0, 7), (1, 4)), "b from");
        assert_eq!(text, "select b from t;\n");
        assert_eq!(
            edit,
            ByteEdit {
                old: 7..13,
                new_len: 6
            }
        );
    }

    #[test]
    fn reversed_and_out_of_range_positions_are_clamped() {
        let mut text = String::from("ab\ncd");
        change(&mut text, ((5, 0), (0, 1)), "X");
        assert_eq!(text, "aX");
    }

    #[test]
    fn utf16_columns_after_emoji() {
        let mut text = String::from("'😀' x");
        change(&mut text, ((0, 5), (0, 6)), "y");
        assert_eq!(text, "'😀' y");
    }
}
