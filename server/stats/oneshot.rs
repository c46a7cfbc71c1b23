//! One poll for `optischema check --database`: cumulative numbers and the
//! catalog, without history (CI runs are short-lived).

use crate::db::ConnSpec;
use crate::stats::collector::PollState;
use crate::stats::history::History;
use crate::stats::snapshot::{Snapshot, Windows};
use crate::stats::source::{SourceError, StatsSource};

/// Reads pg_stat_statements once; the snapshot's windows are empty, so
/// shares are computed since the last statistics reset.
pub async fn snapshot(spec: &ConnSpec) -> Result<(Snapshot, Vec<String>), SourceError> {
    let source = StatsSource::connect(spec).await?;
    let warnings = source.warnings().iter().map(ToString::to_string).collect();
    let mut state = PollState::new(History::new(), Windows::default());
    let mut snapshot = state.poll(&source, true).await?;
    // No history for a one-shot read: keep the hover/lens code from
    // looking for trends that cannot exist.
    snapshot.history = None;
    Ok((snapshot, warnings))
}
