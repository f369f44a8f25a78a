//! Test knobs: per-operation call counters, injected faults, added latency, and recorded spec violations.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// A failure to inject into an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and a Looker `Error` JSON body (e.g. 401, 404, 429, 500).
    Status(u16),
    /// Wait this long before answering normally.
    Slow(Duration),
    /// For image results: answer 200 with a 0-byte body.
    EmptyImage,
    /// For query runs: answer 200 with the error inside the body (`looker_error`, `errors`), as Looker does when
    /// the database refuses the SQL.
    QueryError(String),
}

/// Habits of real Lookers that a test can switch on for every answer, on top of the spec-complete shapes the
/// sandbox always sends (`null` for every nullable property without a value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quirk {
    /// Ids as JSON numbers (`"id": 42`), as older Lookers and webhook payloads send them.
    NumericIds,
    /// `null` instead of every empty list.
    NullLists,
    /// Properties this client has never heard of, in every object (newer Looker releases add fields).
    UnknownFields,
    /// Properties whose value is `null` left out altogether.
    OmittedNulls,
}

/// A request that broke the spec, as the sandbox saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub method: String,
    pub path: String,
    pub reason: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.method, self.path, self.reason)
    }
}

#[derive(Debug)]
struct Injected {
    fault: Fault,
    /// How many more calls it applies to; `None` until cleared.
    remaining: Option<u32>,
}

#[derive(Debug, Default)]
pub struct Knobs {
    inner: Mutex<KnobState>,
}

#[derive(Debug, Default)]
struct KnobState {
    calls: HashMap<String, u64>,
    faults: HashMap<String, Vec<Injected>>,
    latency: Duration,
    violations: Vec<Violation>,
    quirks: Vec<Quirk>,
}

impl Knobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, KnobState> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn count(&self, operation_id: &str) {
        *self.lock().calls.entry(operation_id.to_owned()).or_default() += 1;
    }

    pub fn calls(&self, operation_id: &str) -> u64 {
        self.lock().calls.get(operation_id).copied().unwrap_or(0)
    }

    pub fn total_calls(&self) -> u64 {
        self.lock().calls.values().sum()
    }

    pub fn reset_counters(&self) {
        self.lock().calls.clear();
    }

    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    pub fn latency(&self) -> Duration {
        self.lock().latency
    }

    pub fn inject(&self, operation_id: &str, fault: Fault, times: Option<u32>) {
        let injected = Injected {
            fault,
            remaining: times,
        };
        self.lock()
            .faults
            .entry(operation_id.to_owned())
            .or_default()
            .push(injected);
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// The fault to apply to this call of `operation_id`, using up one of its remaining times.
    pub fn take_fault(&self, operation_id: &str) -> Option<Fault> {
        let mut state = self.lock();
        let list = state.faults.get_mut(operation_id)?;
        let first = list.first_mut()?;
        let fault = first.fault.clone();
        if let Some(remaining) = &mut first.remaining {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                list.remove(0);
            }
        }
        Some(fault)
    }

    pub fn set_quirks(&self, quirks: &[Quirk]) {
        self.lock().quirks = quirks.to_vec();
    }

    pub fn quirks(&self) -> Vec<Quirk> {
        self.lock().quirks.clone()
    }

    pub fn record_violation(&self, violation: Violation) {
        tracing::debug!(?violation, "Looker sandbox: request breaks the API spec");
        self.lock().violations.push(violation);
    }

    pub fn violations(&self) -> Vec<Violation> {
        self.lock().violations.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limited_faults_run_out() {
        let knobs = Knobs::default();
        knobs.inject("look", Fault::Status(500), Some(2));
        assert_eq!(knobs.take_fault("look"), Some(Fault::Status(500)));
        assert_eq!(knobs.take_fault("look"), Some(Fault::Status(500)));
        assert_eq!(knobs.take_fault("look"), None);
        knobs.inject("me", Fault::EmptyImage, None);
        for _ in 0..5 {
            assert_eq!(knobs.take_fault("me"), Some(Fault::EmptyImage));
        }
        knobs.clear_faults();
        assert_eq!(knobs.take_fault("me"), None);
    }
}
