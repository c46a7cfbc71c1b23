//! The per-minute request budget (`ai.maxRequestsPerMinute`): a sliding
//! window of the requests sent in the last 60 seconds. Every HTTP attempt
//! counts, retries included — each one may cost the user money.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct Budget {
    per_minute: u32,
    sent: Mutex<VecDeque<Instant>>,
}

impl Budget {
    pub fn new(per_minute: u32) -> Budget {
        Budget {
            per_minute,
            sent: Mutex::new(VecDeque::new()),
        }
    }

    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Takes one request from the budget; `false` (and nothing taken) when
    /// the last minute already used it up.
    pub fn try_take(&self, now: Instant) -> bool {
        // A poisoned lock only means a panic elsewhere; the queue is intact.
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        while sent
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) >= WINDOW)
        {
            sent.pop_front();
        }
        if sent.len() >= self.per_minute as usize {
            return false;
        }
        sent.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_allows_the_budget_and_then_frees_it() {
        let budget = Budget::new(2);
        let start = Instant::now();
        assert!(budget.try_take(start));
        assert!(budget.try_take(start + Duration::from_secs(10)));
        assert!(!budget.try_take(start + Duration::from_secs(20)));
        assert!(budget.try_take(start + Duration::from_secs(60)));
        assert!(!budget.try_take(start + Duration::from_secs(65)));
        assert!(budget.try_take(start + Duration::from_secs(70)));
    }

    #[test]
    fn zero_allows_nothing() {
        assert!(!Budget::new(0).try_take(Instant::now()));
    }
}
