//! Whether an existing index already serves a key, so proposing it is noise.

use super::key::IndexKey;
use crate::stats::model::IndexInfo;

/// Whether `index` serves every lookup `key` would. Partial and invalid
/// indexes never count: a partial index's predicate may not hold for the
/// statement, and an invalid one is not used by the planner.
///
/// An index serves the key when
/// - its leading columns are the key's equality columns in any order (an
///   equality scan does not care), followed by the key's other columns in
///   the key's order; or
/// - it is unique and all its columns are among the key's equality columns:
///   at most one row matches, so nothing longer is faster.
pub(super) fn serves(index: &IndexInfo, key: &IndexKey) -> bool {
    if !index.is_valid || index.predicate.is_some() {
        return false;
    }
    leads_with(index, key) || is_unique_within(index, key)
}

fn leads_with(index: &IndexInfo, key: &IndexKey) -> bool {
    let columns = &index.columns;
    if columns.len() < key.len() {
        return false;
    }
    let (leading, rest) = columns.split_at(key.equality.len());
    let same_equality = leading.iter().all(|column| key.equality.contains(column))
        && key.equality.iter().all(|column| leading.contains(column));
    same_equality && rest.iter().zip(&key.tail).all(|(have, want)| have == want)
}

fn is_unique_within(index: &IndexInfo, key: &IndexKey) -> bool {
    (index.is_unique || index.is_primary)
        && !index.columns.is_empty()
        && index
            .columns
            .iter()
            .all(|column| key.equality.contains(column))
}
