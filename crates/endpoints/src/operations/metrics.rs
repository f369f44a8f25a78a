//! `/metrics`: every `lookerbot_*` metric in Prometheus' text format. The other crates record through the
//! `metrics` facade; queue gauges are read from the store when scraped, so they are never stale.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use chrono::Utc;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::Operations;

/// Latency buckets (seconds) of the `*_duration_seconds` histograms: Looker answers in milliseconds to minutes.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 180.0,
];

/// The process' metrics recorder, installed on first use. A process has one recorder; should another be installed
/// already, this one still renders (its own, empty) metrics rather than failing.
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = || {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), BUCKETS)
                .expect("the buckets are not empty")
        };
        let handle = builder()
            .install_recorder()
            .unwrap_or_else(|_| builder().build_recorder().handle());
        describe();
        handle
    })
}

/// The `# HELP` lines: what each metric counts (the README's table says the same).
fn describe() {
    use ::metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "lookerbot_http_requests_total",
        "HTTP requests served, by route and outcome"
    );
    describe_histogram!(
        "lookerbot_http_request_duration_seconds",
        "Time to answer an HTTP request"
    );
    describe_counter!("lookerbot_replies_total", "Chat messages answered, by command");
    describe_counter!(
        "lookerbot_looker_calls_total",
        "Looker API calls, by operation and outcome"
    );
    describe_histogram!(
        "lookerbot_looker_call_duration_seconds",
        "Looker API call latency, by operation"
    );
    describe_counter!(
        "lookerbot_slack_calls_total",
        "Slack Web API answers, by method and outcome (429s as rate_limited)"
    );
    describe_counter!(
        "lookerbot_slack_api_errors_total",
        "Slack answers with ok: false, by method and error"
    );
    describe_gauge!(
        "lookerbot_slack_connected",
        "1 while the Socket Mode or RTM connection is up"
    );
    describe_gauge!("lookerbot_queue_jobs", "Deliveries in the queue, by status");
    describe_gauge!(
        "lookerbot_queue_oldest_waiting_seconds",
        "Age of the longest-waiting delivery"
    );
    describe_gauge!("lookerbot_queue_readable", "0 when the queue cannot be read");
    describe_gauge!("lookerbot_dependency_up", "1 or 0 per readiness check, as last probed");
}

pub(super) async fn metrics(State(ops): State<Operations>) -> impl IntoResponse {
    refresh_queue_gauges(&ops).await;
    let handle = recorder();
    handle.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        handle.render(),
    )
}

async fn refresh_queue_gauges(ops: &Operations) {
    match ops.queue.counts().await {
        Ok(counts) => {
            for (status, n) in [
                ("pending", counts.pending),
                ("running", counts.running),
                ("failed", counts.failed),
                ("done", counts.done),
            ] {
                ::metrics::gauge!("lookerbot_queue_jobs", "status" => status).set(n as f64);
            }
            ::metrics::gauge!("lookerbot_queue_readable").set(1.0);
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not count the queue's jobs for /metrics");
            ::metrics::gauge!("lookerbot_queue_readable").set(0.0);
        }
    }
    let age = match ops.queue.oldest_waiting().await {
        Ok(Some(queued_at)) => (Utc::now() - queued_at).num_milliseconds().max(0) as f64 / 1000.0,
        _ => 0.0,
    };
    ::metrics::gauge!("lookerbot_queue_oldest_waiting_seconds").set(age);
}
