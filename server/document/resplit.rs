//! Which statements an edit touched, and the new statements in their place.

use std::ops::Range;

use crate::sql::split::{Splitter, StatementSpan};
use crate::text::edit::ByteEdit;

/// Old statements `replaced` give way to `new_spans` (in new coordinates);
/// old statements after `replaced` are unchanged but shifted by the edit.
#[derive(Debug)]
pub struct ResplitPlan {
    pub replaced: Range<usize>,
    pub new_spans: Vec<StatementSpan>,
}

/// Re-splits `new_text` from the last statement boundary before the edit
/// until the splitter is back in step with the old statements.
pub fn plan(old: &[&StatementSpan], new_text: &str, edit: &ByteEdit) -> ResplitPlan {
    let first = old.partition_point(|span| span.extent.end < edit.old.start);
    let resume = match old.get(first) {
        Some(span) => span.extent.start,
        None => old.last().map_or(0, |span| span.extent.end),
    };
    let new_edit_end = edit.old.start + edit.new_len;
    let delta = edit.delta();
    let mut new_spans = Vec::new();
    for span in Splitter::starting_at(new_text, resume.min(new_text.len())) {
        if span.extent.start >= new_edit_end {
            // Text from here on is the old text shifted; where the splitter
            // also starts fresh at an old statement's start, all later
            // statements are the old ones.
            let old_start = span.extent.start.saturating_add_signed(-delta);
            if old_start >= edit.old.end {
                let found = old[first..].binary_search_by_key(&old_start, |s| s.extent.start);
                if let Ok(offset) = found {
                    return ResplitPlan {
                        replaced: first..first + offset,
                        new_spans,
                    };
                }
            }
        }
        new_spans.push(span);
    }
    ResplitPlan {
        replaced: first..old.len(),
        new_spans,
    }
}
