//! The advisor's own session on the monitored database, for EXPLAIN and
//! HypoPG: read-only like the collector's, opened on first use and reopened
//! after it broke. One user at a time (HypoPG state is per session).

use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
use tokio_postgres::Client;

use crate::db::{self, ConnSpec, SessionPurpose};

/// A connected client and its `server_version_num`.
pub type Planner = (Client, i32);
pub type PlannerGuard = OwnedMappedMutexGuard<Option<Planner>, Planner>;

pub struct PlanningSession {
    spec: ConnSpec,
    slot: std::sync::Arc<Mutex<Option<Planner>>>,
}

impl PlanningSession {
    pub fn new(spec: ConnSpec) -> PlanningSession {
        PlanningSession {
            spec,
            slot: std::sync::Arc::new(Mutex::new(None)),
        }
    }

    /// The session, connecting (again) when needed; waits while another
    /// analysis uses it.
    pub async fn client(&self) -> Result<PlannerGuard, String> {
        let mut slot: OwnedMutexGuard<Option<Planner>> = self.slot.clone().lock_owned().await;
        if slot.as_ref().is_none_or(|(client, _)| client.is_closed()) {
            let client = db::connect(&self.spec, SessionPurpose::monitoring())
                .await
                .map_err(|error| error.to_string())?;
            let version: i32 = client
                .query_one(crate::plan::sql::SERVER_VERSION.text, &[])
                .await
                .map_err(|error| error.to_string())?
                .try_get::<_, String>(0)
                .map_err(|error| error.to_string())?
                .parse()
                .map_err(|_| "unexpected server_version_num".to_string())?;
            *slot = Some((client, version));
        }
        OwnedMutexGuard::try_map(slot, Option::as_mut)
            .map_err(|_| "planning session unavailable".to_string())
    }
}
