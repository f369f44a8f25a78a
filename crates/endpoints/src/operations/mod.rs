//! The endpoints operators use: `/metrics` (Prometheus), `/ready` (readiness: Slack, each Looker, the queue can
//! commit) and the token-protected status page `/status`. `/health_check` stays the original's liveness answer.
//!
//! What is probed comes from the binary through [`Probes`], since this crate knows neither Slack nor `check`.

mod metrics;
mod ready;
mod requests;
mod status;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use queue::Store;

pub use metrics::recorder;
pub use requests::observe_requests;

/// How long one readiness probe may take before it counts as failed.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The state of one thing the bot depends on, or one line of `lookerbot check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub name: String,
    pub outcome: Outcome,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Warn,
    Fail,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "ok",
            Outcome::Warn => "warning",
            Outcome::Fail => "failed",
        }
    }
}

/// A warning or error the bot logged, for the status page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedProblem {
    pub at: DateTime<Utc>,
    pub level: String,
    pub text: String,
}

/// What the binary knows how to probe.
#[async_trait]
pub trait Probes: Send + Sync {
    /// Slack and each Looker, as they answer now (readiness and the status page).
    async fn connections(&self) -> Vec<Probe>;
    /// The lines of `lookerbot check`.
    async fn checks(&self) -> Vec<Probe>;
    /// The last warnings and errors logged, newest first.
    fn recent_problems(&self) -> Vec<LoggedProblem>;
}

/// What the operator endpoints share.
#[derive(Clone)]
pub struct Operations {
    pub probes: Arc<dyn Probes>,
    pub queue: Arc<dyn Store>,
    /// `LOOKERBOT_STATUS_TOKEN`; the status page is off without it.
    pub status_token: Option<config::Secret>,
    sessions: status::Sessions,
}

impl Operations {
    pub fn new(probes: Arc<dyn Probes>, queue: Arc<dyn Store>, status_token: Option<config::Secret>) -> Operations {
        Operations {
            probes,
            queue,
            status_token,
            sessions: status::Sessions::default(),
        }
    }
}

/// `/metrics`, `/ready` and `/status`.
pub fn router(operations: Operations) -> Router {
    Router::new()
        .route("/metrics", get(metrics::metrics))
        .route("/ready", get(ready::ready))
        .route("/status", get(status::page))
        .route("/status/login", post(status::login))
        .route("/status/logout", post(status::logout))
        .route("/status/retry", post(status::retry))
        .with_state(operations)
}
