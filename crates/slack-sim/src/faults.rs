//! Failures queued by tests: the next calls to a method get HTTP 429 or another status instead of an answer, or
//! get their answer late (the call takes effect at once, as a slow Slack that accepted a post still shows it).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// One injected failure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// HTTP 429 with `Retry-After: retry_after_secs` and `{"ok":false,"error":"ratelimited"}`.
    RateLimited { retry_after_secs: u64 },
    /// The given HTTP status with a plain-text body, as a failing proxy or Slack outage would give.
    Status(u16),
}

/// Failures waiting to be served, per method name (Web API method, or `file_upload` / `response_url`).
#[derive(Debug, Default)]
pub struct FaultQueue {
    queued: HashMap<String, VecDeque<Fault>>,
    late: HashMap<String, VecDeque<Duration>>,
}

impl FaultQueue {
    pub fn push(&mut self, method: &str, fault: Fault, times: u32) {
        let queue = self.queued.entry(method.to_owned()).or_default();
        queue.extend(std::iter::repeat_n(fault, times as usize));
    }

    /// The failure the next call to `method` gets, if any.
    pub fn take(&mut self, method: &str) -> Option<Fault> {
        self.queued.get_mut(method)?.pop_front()
    }

    /// The next `times` calls to `method` are carried out at once but answered only after `delay`.
    pub fn push_late(&mut self, method: &str, delay: Duration, times: u32) {
        let queue = self.late.entry(method.to_owned()).or_default();
        queue.extend(std::iter::repeat_n(delay, times as usize));
    }

    /// How long the next call to `method` waits for its answer after taking effect, if it was made late.
    pub fn take_late(&mut self, method: &str) -> Option<Duration> {
        self.late.get_mut(method)?.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_served_in_order_then_run_out() {
        let mut q = FaultQueue::default();
        q.push("chat.postMessage", Fault::RateLimited { retry_after_secs: 1 }, 2);
        q.push("chat.postMessage", Fault::Status(500), 1);
        assert_eq!(q.take("auth.test"), None);
        assert_eq!(
            q.take("chat.postMessage"),
            Some(Fault::RateLimited { retry_after_secs: 1 })
        );
        assert_eq!(
            q.take("chat.postMessage"),
            Some(Fault::RateLimited { retry_after_secs: 1 })
        );
        assert_eq!(q.take("chat.postMessage"), Some(Fault::Status(500)));
        assert_eq!(q.take("chat.postMessage"), None);
    }

    #[test]
    fn late_answers_are_counted_apart_from_failures() {
        let mut q = FaultQueue::default();
        q.push_late("chat.postMessage", Duration::from_secs(20), 1);
        assert_eq!(q.take("chat.postMessage"), None);
        assert_eq!(q.take_late("conversations.history"), None);
        assert_eq!(q.take_late("chat.postMessage"), Some(Duration::from_secs(20)));
        assert_eq!(q.take_late("chat.postMessage"), None);
    }
}
