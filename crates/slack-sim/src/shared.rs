//! State shared by the HTTP handlers, the WebSocket tasks and the [`crate::SlackSim`] control handle.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::sync::watch;

use crate::config::SimConfig;
use crate::faults::{Fault, FaultQueue};
use crate::limits::{PostLimiter, ResponseUrlUses};
use crate::records::{HandlerSpan, PostedMessage, RecordedCall, UploadedFile};
use crate::socket::Hub;
use crate::workspace::Workspace;

/// Everything the simulator recorded.
#[derive(Debug, Default)]
pub struct Records {
    pub calls: Vec<RecordedCall>,
    pub messages: Vec<PostedMessage>,
    pub files: Vec<UploadedFile>,
    pub socket_acks: Vec<Value>,
    pub spans: Vec<HandlerSpan>,
}

/// A file announced by files.getUploadURLExternal and not yet completed.
#[derive(Debug, Clone)]
pub struct PendingUpload {
    pub filename: String,
    pub length: u64,
    pub bytes: Option<Vec<u8>>,
}

pub struct Shared {
    pub config: SimConfig,
    pub base_url: String,
    latency: Mutex<Duration>,
    pub workspace: Mutex<Workspace>,
    pub records: Mutex<Records>,
    pub faults: Mutex<FaultQueue>,
    pub uploads: Mutex<HashMap<String, PendingUpload>>,
    pub sockets: Hub,
    pub post_limiter: PostLimiter,
    /// conversations.history's rate (one bucket for the workspace, keyed by the method).
    pub history_limiter: PostLimiter,
    pub response_url_uses: ResponseUrlUses,
    /// Flips to true on shutdown; WebSocket tasks watch it.
    pub shutdown: watch::Sender<bool>,
    /// Bumped after each handler span is recorded, so a waiter need not poll.
    pub span_recorded: watch::Sender<u64>,
    sequence: AtomicU64,
}

/// Locks a mutex, recovering the data if a panicking test thread poisoned it: records stay readable.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub fn new(config: SimConfig, base_url: String) -> Shared {
        Shared {
            latency: Mutex::new(config.latency),
            post_limiter: PostLimiter::new(config.post_rate),
            history_limiter: PostLimiter::new(config.history.rate),
            response_url_uses: ResponseUrlUses::new(config.response_url_uses, config.response_url_lifetime),
            config,
            base_url,
            workspace: Mutex::new(Workspace::seeded()),
            records: Mutex::new(Records::default()),
            faults: Mutex::new(FaultQueue::default()),
            uploads: Mutex::new(HashMap::new()),
            sockets: Hub::default(),
            shutdown: watch::channel(false).0,
            span_recorded: watch::channel(0).0,
            sequence: AtomicU64::new(0),
        }
    }

    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.latency) = latency;
    }

    /// Waits the configured latency; every HTTP handler calls this first.
    pub async fn apply_latency(&self) {
        let latency = *lock(&self.latency);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }

    pub fn take_fault(&self, method: &str) -> Option<Fault> {
        lock(&self.faults).take(method)
    }

    pub fn take_late_answer(&self, method: &str) -> Option<Duration> {
        lock(&self.faults).take_late(method)
    }

    /// A number unique within this simulator, for ids and tickets.
    pub fn next_seq(&self) -> u64 {
        self.sequence.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// A fresh message timestamp in Slack's `seconds.micros` form, unique and increasing.
    pub fn next_ts(&self) -> String {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        format!("{secs}.{:06}", self.next_seq() % 1_000_000)
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.config.scopes.iter().any(|s| s == scope)
    }

    pub fn scopes_header(&self) -> String {
        self.config.scopes.join(",")
    }

    /// The WebSocket URL for a connection of `path` (`link` or `rtm`), carrying a one-time ticket.
    pub fn ws_url(&self, path: &str, ticket: &str) -> String {
        let host = self.base_url.trim_start_matches("http://");
        format!(
            "ws://{host}/{path}/?ticket={ticket}&app_id={}",
            crate::workspace::APP_ID
        )
    }

    pub fn record_message(&self, message: PostedMessage) {
        lock(&self.records).messages.push(message);
    }
}

/// Polls `done` every 10 ms until it holds (true) or `timeout` passes (false).
pub async fn poll_until(timeout: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
