//! How long the sandbox spent answering each call, so a benchmark can subtract Looker's time from the bot's.

use std::sync::Mutex;
use std::time::Instant;

/// Most spans kept; older ones are dropped first, so a long-running sandbox does not grow without bound.
const MAX_SPANS: usize = 200_000;

/// One call, from the moment its request reached the sandbox until its answer was ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerSpan {
    /// The API operationId (`look`, `run_query`, ...), or the path of a call outside the API.
    pub name: String,
    pub start: Instant,
    pub end: Instant,
}

#[derive(Debug, Default)]
pub struct Timings {
    spans: Mutex<Vec<HandlerSpan>>,
}

impl Timings {
    pub fn record(&self, name: String, start: Instant) {
        let span = HandlerSpan {
            name,
            start,
            end: Instant::now(),
        };
        let mut spans = self.spans.lock().unwrap_or_else(|p| p.into_inner());
        if spans.len() >= MAX_SPANS {
            spans.drain(..MAX_SPANS / 2);
        }
        spans.push(span);
    }

    pub fn spans(&self) -> Vec<HandlerSpan> {
        self.spans.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn clear(&self) {
        self.spans.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}
