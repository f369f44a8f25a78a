//! `/ready`: 200 when the bot can do its work now (Slack connected or reachable, each Looker logged in, the queue
//! can commit a write), else 503; each check in the JSON answer says what failed.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use super::{Operations, Outcome, PROBE_TIMEOUT, Probe};

pub(super) async fn ready(State(ops): State<Operations>) -> impl IntoResponse {
    let checks = probe_all(&ops).await;
    let ready = checks.iter().all(|c| c.outcome != Outcome::Fail);
    let body = json!({
        "ready": ready,
        "checks": checks
            .iter()
            .map(|c| json!({"name": c.name, "ok": c.outcome != Outcome::Fail, "detail": c.detail}))
            .collect::<Vec<_>>(),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

/// The connections and the queue's write probe, each bounded by [`PROBE_TIMEOUT`].
pub(super) async fn probe_all(ops: &Operations) -> Vec<Probe> {
    let connections = async {
        tokio::time::timeout(PROBE_TIMEOUT, ops.probes.connections())
            .await
            .unwrap_or_else(|_| {
                vec![Probe {
                    name: "Slack and Looker".into(),
                    outcome: Outcome::Fail,
                    detail: format!("no answer within {}s", PROBE_TIMEOUT.as_secs()),
                }]
            })
    };
    let queue = async {
        let outcome = tokio::time::timeout(PROBE_TIMEOUT, ops.queue.probe_write()).await;
        let (outcome, detail) = match outcome {
            Ok(Ok(())) => (Outcome::Pass, "a write was committed".to_string()),
            Ok(Err(e)) => (Outcome::Fail, format!("cannot commit: {e}")),
            Err(_) => (Outcome::Fail, format!("a write took over {}s", PROBE_TIMEOUT.as_secs())),
        };
        Probe {
            name: "delivery queue".into(),
            outcome,
            detail,
        }
    };
    let (mut probes, queue) = tokio::join!(connections, queue);
    probes.push(queue);
    for probe in &probes {
        ::metrics::gauge!("lookerbot_dependency_up", "name" => probe.name.clone())
            .set(if probe.outcome == Outcome::Fail { 0.0 } else { 1.0 });
    }
    probes
}
