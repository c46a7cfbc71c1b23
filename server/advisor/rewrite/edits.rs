//! Text edits spliced into the statement, so that everything a rewrite
//! does not touch (comments, layout, parameters) stays exactly as written.

use std::ops::Range;

/// Replace `range` (bytes) with `text`; an empty range inserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

impl Edit {
    pub fn replace(range: Range<usize>, text: impl Into<String>) -> Edit {
        Edit {
            range,
            text: text.into(),
        }
    }

    pub fn insert(at: usize, text: impl Into<String>) -> Edit {
        Edit::replace(at..at, text)
    }

    /// Whether applying both would be ambiguous: overlapping replacements,
    /// an insertion inside a replaced range, or two insertions at one place.
    fn conflicts_with(&self, other: &Edit) -> bool {
        let (a, b) = (&self.range, &other.range);
        match (a.is_empty(), b.is_empty()) {
            (true, true) => a.start == b.start,
            (true, false) => b.start < a.start && a.start < b.end,
            (false, true) => a.start < b.start && b.start < a.end,
            (false, false) => a.start < b.end && b.start < a.end,
        }
    }
}

/// The edits of one rewrite, gathered place by place.
#[derive(Debug, Default)]
pub(super) struct Splice {
    edits: Vec<Edit>,
}

impl Splice {
    /// Adds the edits that rewrite one place, unless they collide with a
    /// place already rewritten (nested occurrences): then that place is
    /// left as it is. Within a group, insertions at one offset apply in
    /// the group's order.
    pub fn add(&mut self, group: Vec<Edit>) {
        let collides = group
            .iter()
            .any(|edit| self.edits.iter().any(|taken| edit.conflicts_with(taken)));
        if !collides {
            self.edits.extend(group);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// The text with every edit applied; `None` if an edit is out of
    /// bounds or off a char boundary.
    pub fn apply(&self, text: &str) -> Option<String> {
        let mut edits: Vec<&Edit> = self.edits.iter().collect();
        edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
        let mut out = String::with_capacity(text.len() + 32);
        let mut cursor = 0;
        for edit in edits {
            out.push_str(text.get(cursor..edit.range.start)?);
            text.get(edit.range.clone())?;
            out.push_str(&edit.text);
            cursor = edit.range.end;
        }
        out.push_str(text.get(cursor..)?);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_in_text_order() {
        let mut splice = Splice::default();
        splice.add(vec![Edit::insert(5, "!"), Edit::replace(0..1, "H")]);
        splice.add(vec![Edit::replace(6..11, "there")]);
        assert_eq!(splice.apply("hello world").as_deref(), Some("Hello! there"));
    }

    #[test]
    fn colliding_groups_are_dropped() {
        let mut splice = Splice::default();
        splice.add(vec![Edit::replace(0..5, "HELLO")]);
        splice.add(vec![Edit::replace(3..7, "x")]);
        splice.add(vec![Edit::insert(2, "x")]);
        splice.add(vec![Edit::insert(5, "!"), Edit::insert(5, "?")]);
        splice.add(vec![Edit::insert(5, "#")]);
        assert_eq!(
            splice.apply("hello world").as_deref(),
            Some("HELLO!? world")
        );
    }

    #[test]
    fn out_of_bounds_or_split_chars_fail() {
        let mut splice = Splice::default();
        splice.add(vec![Edit::insert(1, "x")]);
        assert_eq!(splice.apply("é"), None);
        assert_eq!(splice.apply(""), None);
    }
}
