//! Every HTTP request gets a request id (the caller's `X-Request-Id` when it is a plain token, else a new one),
//! logged with everything that happens while it is served and sent back; and it is counted by route and outcome.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

const REQUEST_ID: &str = "x-request-id";

/// Middleware for the whole router: request id span, `lookerbot_http_requests_total{route, outcome}` and
/// `lookerbot_http_request_duration_seconds{route}`.
pub async fn observe_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| route_label(p.as_str()))
        .unwrap_or_else(|| "unmatched".into());
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_string)
        .unwrap_or_else(new_id);
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), route = %route);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span).await;
    let outcome = match response.status().as_u16() {
        200..=399 => "ok",
        401 | 403 => "refused",
        413 => "too_large",
        400..=499 => "client_error",
        503 => "unavailable",
        _ => "server_error",
    };
    metrics::counter!("lookerbot_http_requests_total", "route" => route.clone(), "outcome" => outcome).increment(1);
    metrics::histogram!("lookerbot_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// The route pattern with `:name` for its parameters (`/slack/post/:kind/:name`): braces inside label values are
/// valid Prometheus text, but simple parsers and some query tools stumble on them.
fn route_label(pattern: &str) -> String {
    pattern.replace('{', ":").replace('}', "")
}

/// A new id: unique in this process, and unlikely to repeat across restarts (it starts from the clock).
fn new_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let start = *START.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default()
    });
    format!("{start:x}-{:x}", NEXT.fetch_add(1, Ordering::Relaxed))
}
