//! `POST /response/{id}`: stands in for the `response_url` Slack gives with slash commands and interactions.
//! Accepts the JSON Slack accepts there and records each post as a [`PostedMessage`] with method
//! `response_url`. Each URL takes 5 posts within 30 minutes of its first (configurable); past that it answers
//! 404 `used_url` or `expired_url`, and the post is not shown.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::args::Args;
use crate::blocks::MessageContent;
use crate::records::PostedMessage;
use crate::shared::Shared;

/// Fault-injection name of this endpoint for [`crate::SlackSim::fail`] and [`crate::SlackSim::rate_limit`].
pub const FAULT_NAME: &str = "response_url";

pub async fn endpoint(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    shared.apply_latency().await;
    if let Some(fault) = shared.take_fault(FAULT_NAME) {
        return crate::api::fault_response(fault, FAULT_NAME);
    }
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "invalid_payload").into_response();
    };
    let args = Args(fields);
    let content = match MessageContent::from_args(&args) {
        Ok(content) => content,
        Err(refusal) => return (StatusCode::BAD_REQUEST, refusal.error).into_response(),
    };
    let delete_original = args.bool("delete_original").unwrap_or(false);
    if content.is_empty() && !delete_original {
        return (StatusCode::BAD_REQUEST, "no_text").into_response();
    }
    if let Err(refusal) = shared.response_url_uses.take(&id) {
        return (StatusCode::NOT_FOUND, refusal.code()).into_response();
    }
    tracing::debug!(response_url = %id, "response_url post recorded");
    let channel = query.get("channel").cloned().unwrap_or_default();
    shared.record_message(PostedMessage {
        thread_ts: args.str("thread_ts"),
        text: content.text,
        blocks: content.blocks,
        response_type: args.str("response_type"),
        replace_original: args.bool("replace_original"),
        ..PostedMessage::new("response_url", channel, shared.next_ts())
    });
    axum::Json(json!({ "ok": true })).into_response()
}
