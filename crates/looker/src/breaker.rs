//! A circuit breaker per Looker: after a few calls in a row fail because Looker is down or hung (unreachable, timed
//! out, 5xx), calls fail at once for a while instead of each waiting out its timeout; then one call tries again.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::LookerError;

/// Failures in a row that open the breaker.
pub const TRIP_AFTER: u32 = 3;
/// How long it stays open before one call may try again.
pub const OPEN_FOR: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub(crate) struct Breaker {
    state: Mutex<State>,
    open_for: Duration,
}

#[derive(Debug, Default)]
struct State {
    failures_in_a_row: u32,
    /// Open until then; `None` when closed.
    open_until: Option<Instant>,
    /// A trial call is out after the open period: the others still fail fast until it reports.
    trial_out: bool,
}

impl Breaker {
    pub(crate) fn new(open_for: Duration) -> Breaker {
        Breaker {
            state: Mutex::default(),
            open_for,
        }
    }

    /// Whether a call may go to Looker now; `Err(wait)` when the breaker is open (wait is how long it stays so).
    pub(crate) fn admit(&self) -> Result<(), Duration> {
        let mut state = self.lock();
        let Some(until) = state.open_until else {
            return Ok(());
        };
        let now = Instant::now();
        if now < until {
            return Err(until - now);
        }
        if state.trial_out {
            return Err(self.open_for);
        }
        state.trial_out = true;
        Ok(())
    }

    /// Records how an admitted call went.
    pub(crate) fn record<T>(&self, result: &Result<T, LookerError>) {
        let mut state = self.lock();
        let down = result.as_ref().err().is_some_and(means_down);
        if !down {
            *state = State::default();
            return;
        }
        state.failures_in_a_row = state.failures_in_a_row.saturating_add(1);
        state.trial_out = false;
        if state.failures_in_a_row >= TRIP_AFTER {
            state.open_until = Some(Instant::now() + self.open_for);
        }
    }

    /// How long calls still fail fast, while the breaker is open (`None` once a call may try again).
    pub(crate) fn open_for(&self) -> Option<Duration> {
        let until = self.lock().open_until?;
        until
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Failures that say Looker itself is down or hung, not that one request was wrong.
fn means_down(error: &LookerError) -> bool {
    match error {
        LookerError::Unreachable { .. } | LookerError::Timeout { .. } => true,
        LookerError::Api { status, .. } => *status >= 500,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeout() -> Result<(), LookerError> {
        Err(LookerError::Timeout {
            operation: "run_query",
            seconds: 1,
        })
    }

    #[test]
    fn opens_after_failures_in_a_row_and_closes_on_success() {
        let breaker = Breaker::new(OPEN_FOR);
        for _ in 1..TRIP_AFTER {
            breaker.admit().unwrap();
            breaker.record(&timeout());
        }
        assert!(breaker.admit().is_ok(), "not yet open");
        breaker.record(&Ok(()));
        for _ in 0..TRIP_AFTER {
            breaker.record(&timeout());
        }
        assert!(breaker.admit().is_err(), "open");
        assert!(breaker.open_for().is_some());
        let not_found: Result<(), _> = Err(LookerError::Api {
            operation: "look",
            status: 404,
            message: String::new(),
            details: vec![],
        });
        let fresh = Breaker::new(OPEN_FOR);
        for _ in 0..TRIP_AFTER {
            fresh.record(&not_found);
        }
        assert!(fresh.admit().is_ok(), "a 404 says nothing about Looker's health");
    }
}
