//! Sends collector events, telling each problem only once.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::CollectorEvent;
use crate::stats::snapshot::Snapshot;

pub struct Reporter {
    events: mpsc::UnboundedSender<CollectorEvent>,
    /// The problem currently reported, if any.
    current_problem: Option<String>,
    notices_told: std::collections::HashSet<String>,
}

impl Reporter {
    pub fn new(events: mpsc::UnboundedSender<CollectorEvent>) -> Reporter {
        Reporter {
            events,
            current_problem: None,
            notices_told: std::collections::HashSet::new(),
        }
    }

    fn send(&self, event: CollectorEvent) {
        // The receiver is gone only while the server shuts down.
        let _ = self.events.send(event);
    }

    pub fn snapshot(&self, snapshot: &Arc<Snapshot>) {
        self.send(CollectorEvent::Snapshot(snapshot.clone()));
    }

    /// Tells a problem unless it is the one already told; retries with the
    /// same cause stay quiet.
    pub fn problem(&mut self, message: &str) {
        tracing::warn!("{message}");
        if self.current_problem.is_none() {
            self.current_problem = Some(message.to_string());
            self.send(CollectorEvent::Problem(message.to_string()));
        }
    }

    /// Tells that things work again, if a problem had been told.
    pub fn recovered(&mut self, message: &str) {
        if self.current_problem.take().is_some() {
            tracing::info!("{message}");
            self.send(CollectorEvent::Recovered(message.to_string()));
        }
    }

    /// Tells a notice once per collector lifetime.
    pub fn notice(&mut self, message: &str) {
        if self.notices_told.insert(message.to_string()) {
            tracing::warn!("{message}");
            self.send(CollectorEvent::Notice(message.to_string()));
        }
    }
}
