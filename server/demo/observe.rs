//! Watching the demo database like the language server's collector does:
//! pg_stat_statements polled every second (instead of every ten), so that
//! a short workload already fills the recent window, the calls per minute
//! and the latency sparkline the editor shows.

use std::time::Duration;

use super::error::DemoError;
use crate::db::ConnSpec;
use crate::stats::collector::PollState;
use crate::stats::history::History;
use crate::stats::snapshot::{Snapshot, Windows};
use crate::stats::source::StatsSource;

/// The demo's poll interval.
pub const INTERVAL: Duration = Duration::from_secs(1);

pub struct Observer {
    source: StatsSource,
    state: PollState,
}

impl Observer {
    /// Opens the statistics source and takes the first poll (the baseline
    /// that later deltas are measured from).
    pub async fn start(spec: &ConnSpec) -> Result<Observer, DemoError> {
        let source = StatsSource::connect(spec)
            .await
            .map_err(|error| DemoError::Database(format!("reading statistics: {error}")))?;
        let windows = Windows::for_interval(INTERVAL.as_secs_f64());
        let mut observer = Observer {
            source,
            state: PollState::new(History::new(), windows),
        };
        observer.poll(true).await?;
        Ok(observer)
    }

    /// One poll; `catalog` also rereads tables and indexes.
    pub async fn poll(&mut self, catalog: bool) -> Result<Snapshot, DemoError> {
        self.state
            .poll(&self.source, catalog)
            .await
            .map_err(|error| DemoError::Database(format!("reading statistics: {error}")))
    }
}
