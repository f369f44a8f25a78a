//! What each Looker call reports: a log line with its timing, and the `lookerbot_looker_*` metrics, so an operator
//! sees which operations are slow or failing.

use std::time::Duration;

use reqwest::Response;

use crate::error::LookerError;

/// Records one finished call (all its attempts, login included) under its operation name.
pub(crate) fn call_finished(operation: &'static str, took: Duration, result: &Result<Response, LookerError>) {
    let outcome = match result {
        Ok(_) => "ok",
        Err(e) => error_kind(e),
    };
    let took_ms = took.as_secs_f64() * 1000.0;
    match result {
        Ok(response) => {
            tracing::debug!(operation, status = response.status().as_u16(), took_ms, "Looker call")
        }
        Err(e) => tracing::info!(operation, outcome, took_ms, error = %e, "Looker call failed"),
    }
    metrics::counter!("lookerbot_looker_calls_total", "operation" => operation, "outcome" => outcome).increment(1);
    metrics::histogram!("lookerbot_looker_call_duration_seconds", "operation" => operation).record(took.as_secs_f64());
}

/// A short, bounded label for a failure (never the message, which may carry ids).
fn error_kind(error: &LookerError) -> &'static str {
    match error {
        LookerError::Unreachable { .. } => "unreachable",
        LookerError::Timeout { .. } => "timeout",
        LookerError::Login { .. } => "login_refused",
        LookerError::Api { status, .. } if *status >= 500 => "server_error",
        LookerError::Api { .. } | LookerError::NoAccess { .. } => "refused",
        LookerError::UserGone { .. } => "user_gone",
        LookerError::NoApi40 { .. } | LookerError::NotLooker { .. } => "not_looker_api",
        LookerError::Decode { .. } => "unreadable",
        LookerError::Setup(_) => "setup",
        LookerError::Down { .. } => "breaker_open",
        LookerError::TooLarge { .. } => "too_large",
    }
}
