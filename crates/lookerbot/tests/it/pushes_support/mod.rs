//! Helpers for the tests of what Looker pushes to the bot: webhook payloads, Action API calls and button clicks.
#![allow(dead_code)]

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use slack_sim::PostedMessage;

use crate::common::{ALICE, WEBHOOK_TOKEN, World};

/// The header Looker's legacy webhooks authenticate with.
pub const WEBHOOK_HEADER: &str = "x-looker-webhook-token";

/// A status and the JSON it came with (the raw text as a JSON string when the body is not JSON).
pub type Answer = (StatusCode, Value);

/// POSTs `body` (no body at all when `None`) to the bot with `headers`, and reads the JSON answer.
pub async fn post(world: &World, path: &str, body: Option<&Value>, headers: &[(&str, &str)]) -> Answer {
    let mut request = world.http.post(format!("{}{path}", world.url));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    read(request.send().await.unwrap()).await
}

/// POSTs `body` as Looker does, with the right webhook token.
pub async fn push(world: &World, path: &str, body: &Value) -> Answer {
    post(world, path, Some(body), &[(WEBHOOK_HEADER, WEBHOOK_TOKEN)]).await
}

async fn read(response: reqwest::Response) -> Answer {
    let status = response.status();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, json)
}

/// A webhook body around `plan`, shaped like Looker's (`form_params` empty, `data` null).
pub fn with_plan(plan: Value) -> Value {
    json!({"type": "query", "scheduled_plan": plan, "attachment": null, "data": null, "form_params": {}})
}

/// The sandbox's real-shaped webhook for a scheduled Look, delivered as CSV.
pub fn look_webhook(world: &World, look_id: &str) -> Value {
    world
        .sandbox
        .scheduled_look_webhook(look_id, "csv")
        .expect("the sandbox has this Look")
}

/// `{success: false, reason}`, the scheduled-delivery refusal.
/// Sends Look `look_id`'s scheduled webhook to `#general`, as Looker does, and asserts it was accepted.
pub async fn schedule_look_to_general(world: &World, look_id: &str) {
    let (status, body) = push(world, "/slack/post/channel/general", &look_webhook(world, look_id)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

pub fn refused(reason: &str) -> Value {
    json!({"success": false, "reason": reason})
}

/// Waits until the simulator holds a message that `wanted` accepts, and returns it.
pub async fn message_where(world: &World, wanted: impl Fn(&PostedMessage) -> bool) -> PostedMessage {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let messages = world.sim.messages();
        if let Some(found) = messages.iter().find(|m| wanted(m)) {
            return found.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the awaited message never came; Slack received {messages:#?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until `done` holds (at most 15 s).
pub async fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A data-action button the bot put in a message: its label and value.
#[derive(Debug, Clone, PartialEq)]
pub struct PostedButton {
    pub label: String,
    pub value: String,
}

/// Every button in the message's blocks.
pub fn buttons(message: &PostedMessage) -> Vec<PostedButton> {
    let mut found = Vec::new();
    if let Some(blocks) = &message.blocks {
        collect_buttons(blocks, &mut found);
    }
    found
}

fn collect_buttons(value: &Value, out: &mut Vec<PostedButton>) {
    match value {
        Value::Object(map) if map.get("type") == Some(&json!("button")) => out.push(PostedButton {
            label: value["text"]["text"].as_str().unwrap_or_default().to_string(),
            value: value["value"].as_str().unwrap_or_default().to_string(),
        }),
        Value::Object(map) => map.values().for_each(|v| collect_buttons(v, out)),
        Value::Array(items) => items.iter().for_each(|v| collect_buttons(v, out)),
        _ => {}
    }
}

/// Slack's `block_actions` payload for Alice clicking a button carrying `value` in `channel`; replies to the click
/// go to `response_url`.
pub fn block_actions(value: &str, channel: &str, response_url: &str) -> Value {
    json!({
        "type": "block_actions",
        "team": {"id": "T0SIM", "domain": "sim"},
        "user": {"id": ALICE, "username": "alice", "team_id": "T0SIM"},
        "api_app_id": "A0SIM",
        "token": "unused",
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": channel, "is_ephemeral": false},
        "trigger_id": "1.2.3",
        "channel": {"id": channel, "name": "somewhere"},
        "message": {"bot_id": "B0SIMBOT", "type": "message", "text": "Total Revenue", "user": "UBOT", "ts": "1700000000.000100"},
        "response_url": response_url,
        "actions": [{
            "action_id": "looker-action-0", "block_id": "actions", "type": "button", "value": value,
            "text": {"type": "plain_text", "text": "Run", "emoji": true}, "action_ts": "1700000001.000200"
        }]
    })
}

/// Alice clicks a button carrying `value` in `channel`, as Slack posts it to `path` (`/slack/action` or
/// `/slack/receive`); returns the response and the click's `response_url`.
pub async fn click(world: &World, path: &str, value: &str, channel: &str, id: &str) -> (StatusCode, String) {
    let response_url = world.sim.response_url_in(id, channel);
    let payload = block_actions(value, channel, &response_url);
    let form = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    let response = world.post_signed(path, "application/x-www-form-urlencoded", form).await;
    (response.status(), response_url)
}

/// The answer posted to a click's `response_url`.
pub async fn click_answer(world: &World, channel: &str) -> PostedMessage {
    message_where(world, |m| m.method == "response_url" && m.channel == channel).await
}

/// A count as Looker formats it: `1006` -> `1,006`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
