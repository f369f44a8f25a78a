//! When a failed attempt is tried again: exponential backoff with jitter, capped, never before Retry-After, and
//! not at all once the retry window has passed.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::time::add;

/// The retry timing settings (a subset of [`crate::WorkerConfig`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BackoffPolicy {
    pub base: Duration,
    pub max: Duration,
    pub give_up_after: Duration,
}

/// What to do after an attempt that may succeed later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryPlan {
    At(DateTime<Utc>),
    GiveUp,
}

impl BackoffPolicy {
    /// The pause after attempt number `attempt` (1 for the first): `base * 2^(attempt-1)` capped at `max`, then
    /// "equal jitter": between half of that and all of it, by `jitter` in `[0, 1)`, so that jobs failing together
    /// do not retry in lockstep.
    pub(crate) fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        let exponential = self.base.saturating_mul(1u32 << doublings).min(self.max);
        let half = exponential / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
    }

    /// Plans the next attempt of a job queued at `queued_at` whose attempt number `attempt` just failed.
    pub(crate) fn plan(
        &self,
        queued_at: DateTime<Utc>,
        attempt: u32,
        retry_after: Option<Duration>,
        now: DateTime<Utc>,
        jitter: f64,
    ) -> RetryPlan {
        let pause = self.delay(attempt, jitter).max(retry_after.unwrap_or_default());
        let next = add(now, pause);
        if next > add(queued_at, self.give_up_after) {
            RetryPlan::GiveUp
        } else {
            RetryPlan::At(next)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: BackoffPolicy = BackoffPolicy {
        base: Duration::from_secs(1),
        max: Duration::from_secs(60),
        give_up_after: Duration::from_secs(3600),
    };

    #[test]
    fn delay_doubles_per_attempt_within_jitter_bounds() {
        assert_eq!(POLICY.delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(POLICY.delay(1, 0.5), Duration::from_millis(750));
        assert_eq!(POLICY.delay(3, 0.0), Duration::from_secs(2));
        assert_eq!(POLICY.delay(4, 0.5), Duration::from_secs(6));
    }

    #[test]
    fn delay_is_capped_and_survives_huge_attempt_numbers() {
        assert_eq!(POLICY.delay(10, 0.0), Duration::from_secs(30));
        assert_eq!(POLICY.delay(u32::MAX, 0.0), Duration::from_secs(30));
        let huge = BackoffPolicy {
            base: Duration::MAX,
            ..POLICY
        };
        assert_eq!(huge.delay(40, 0.0), Duration::from_secs(30));
    }

    #[test]
    fn retry_after_wins_when_longer_than_backoff() {
        let now = Utc::now();
        let plan = POLICY.plan(now, 1, Some(Duration::from_secs(120)), now, 0.0);
        assert_eq!(plan, RetryPlan::At(add(now, Duration::from_secs(120))));
        let plan = POLICY.plan(now, 1, Some(Duration::from_millis(10)), now, 0.0);
        assert_eq!(plan, RetryPlan::At(add(now, Duration::from_millis(500))));
    }

    #[test]
    fn gives_up_when_next_attempt_would_pass_the_window() {
        let queued = Utc::now();
        let late = add(queued, Duration::from_secs(3599));
        assert_eq!(POLICY.plan(queued, 3, None, late, 0.0), RetryPlan::GiveUp);
        assert_eq!(
            POLICY.plan(queued, 2, None, late, 0.0),
            RetryPlan::At(add(late, Duration::from_secs(1)))
        );
        let retry_after_too_long = POLICY.plan(queued, 1, Some(Duration::from_secs(7200)), queued, 0.0);
        assert_eq!(retry_after_too_long, RetryPlan::GiveUp);
    }
}
