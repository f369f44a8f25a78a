//! Helpers for `slack_paths.rs` and `results.rs`: Slack's own payloads (from `tests/fixtures/slack/`) rewritten
//! with the simulator's ids, pushed through every door the bot has, and ways to read what Slack received.
#![allow(dead_code)]

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use slack_sim::{PostedMessage, RecordedCall};

use crate::common::{ALICE, ALICE_DM, GENERAL, World, all_text};

/// The simulated workspace's team id.
pub const TEAM: &str = slack_sim::TEAM_ID;
/// The bot's user id in the simulator.
pub const BOT: &str = slack_sim::BOT_USER_ID;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh number, unique in this test process (event ids, timestamps).
pub fn unique() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::SeqCst)
}

/// A payload from `tests/fixtures/slack/`, e.g. `events/app_mention.event_callback.json`.
pub fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/slack")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What an inner event says, put into a fixture's shape.
#[derive(Debug, Clone)]
pub struct Said<'a> {
    pub user: &'a str,
    pub channel: &'a str,
    pub text: &'a str,
}

impl<'a> Said<'a> {
    pub fn new(user: &'a str, channel: &'a str, text: &'a str) -> Self {
        Said { user, channel, text }
    }

    /// Alice in her DM with the bot.
    pub fn alice_dm(text: &'a str) -> Self {
        Said::new(ALICE, ALICE_DM, text)
    }

    /// Alice in #general.
    pub fn alice_general(text: &'a str) -> Self {
        Said::new(ALICE, GENERAL, text)
    }
}

/// Puts the simulator's ids into an Events API body: team, event id, and the inner event's user, channel, text
/// and timestamps. Returns the event id.
pub fn rewrite_callback(body: &mut Value, said: &Said) -> String {
    let n = unique();
    let event_id = format!("EvSP{n:08}");
    let ts = format!("1700000100.{n:06}");
    body["team_id"] = json!(TEAM);
    body["api_app_id"] = json!(slack_sim::APP_ID);
    body["event_id"] = json!(event_id);
    if let Some(authorizations) = body["authorizations"].as_array_mut() {
        for a in authorizations {
            a["team_id"] = json!(TEAM);
            a["user_id"] = json!(BOT);
            a["is_bot"] = json!(true);
        }
    }
    let event = &mut body["event"];
    event["user"] = json!(said.user);
    event["channel"] = json!(said.channel);
    event["text"] = json!(said.text);
    event["ts"] = json!(ts);
    event["event_ts"] = json!(ts);
    if event.get("team").is_some() {
        event["team"] = json!(TEAM);
    }
    if event["type"] == "message" {
        let kind = if said.channel.starts_with('D') { "im" } else { "channel" };
        event["channel_type"] = json!(kind);
    }
    event_id
}

/// The Events API body of a fixture with the simulator's ids.
pub fn callback(fixture_name: &str, said: &Said) -> (Value, String) {
    let mut body = fixture(fixture_name);
    let id = rewrite_callback(&mut body, said);
    (body, id)
}

/// An `event_callback` around any inner event (for message subtypes the fixtures do not hold).
pub fn callback_around(event: Value) -> Value {
    let mut body = fixture("events/message_im.event_callback.json");
    body["event"] = event;
    body["team_id"] = json!(TEAM);
    body["event_id"] = json!(format!("EvSP{:08}", unique()));
    body
}

/// A Look's URL on the sandbox.
pub fn look_url(world: &World, id: &str) -> String {
    format!("{}/looks/{id}", world.sandbox.web_url())
}

/// Posts an Events API body, signed, to `path`, optionally as Slack's redelivery number `retry`.
pub async fn post_event(world: &World, path: &str, body: &Value, retry: Option<u32>) -> reqwest::Response {
    let text = body.to_string();
    let timestamp = chrono::Utc::now().timestamp();
    let mut request = world
        .http
        .post(format!("{}{path}", world.url))
        .header("content-type", "application/json")
        .header("x-slack-request-timestamp", timestamp.to_string())
        .header("x-slack-signature", world.sim.sign(timestamp, text.as_bytes()));
    if let Some(n) = retry {
        request = request
            .header("x-slack-retry-num", n.to_string())
            .header("x-slack-retry-reason", "http_timeout");
    }
    request.body(text).send().await.unwrap()
}

/// Posts an interactive payload as Slack does: a form with one field `payload` holding the JSON.
pub async fn post_interactive(world: &World, path: &str, payload: &Value) -> reqwest::Response {
    let form = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    world.post_signed(path, "application/x-www-form-urlencoded", form).await
}

/// Messages Slack received after the first `skip`, once they stopped arriving.
pub async fn new_messages(world: &World, skip: usize) -> Vec<PostedMessage> {
    world.settled().await.into_iter().skip(skip).collect()
}

/// Waits until Slack received a message whose text contains `needle`, and returns it.
pub async fn message_containing(world: &World, needle: &str) -> PostedMessage {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(m) = world.sim.messages().into_iter().find(|m| all_text(m).contains(needle)) {
            return m;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no message containing {needle:?}; Slack received {:#?}",
            world.sim.messages()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the simulator recorded a call to `method`, and returns the calls to it.
pub async fn calls_to(world: &World, method: &str) -> Vec<RecordedCall> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let calls = world.sim.calls_to(method);
        if !calls.is_empty() {
            return calls;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no call to {method}; calls: {:?}",
            world.sim.calls().iter().map(|c| &c.method).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Web API calls that post or change messages (anything a person would see).
pub fn visible_calls(world: &World) -> Vec<RecordedCall> {
    world
        .sim
        .calls()
        .into_iter()
        .filter(|c| c.method.starts_with("chat.") || c.method.starts_with("files."))
        .collect()
}

/// Asserts that Slack saw nothing a person could see, after giving the bot time to (wrongly) answer.
pub async fn assert_silent(world: &World, why: &str) {
    world.settled().await;
    let visible = visible_calls(world);
    assert!(visible.is_empty(), "{why}: expected no message, Slack got {visible:#?}");
    assert!(world.sim.messages().is_empty(), "{why}: {:#?}", world.sim.messages());
}

/// The blocks of a message (panics when it has none).
pub fn blocks(message: &PostedMessage) -> &Vec<Value> {
    message
        .blocks
        .as_ref()
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("a message without blocks: {message:#?}"))
}

/// The one block of `kind` in a message.
pub fn block_of<'m>(message: &'m PostedMessage, kind: &str) -> &'m Value {
    let found: Vec<&Value> = blocks(message).iter().filter(|b| b["type"] == kind).collect();
    assert_eq!(found.len(), 1, "one {kind} block expected in {:#?}", message.blocks);
    found[0]
}

/// A table block's rows as the text each cell shows (raw text, or rich text runs joined).
pub fn table_rows(table: &Value) -> Vec<Vec<String>> {
    table["rows"]
        .as_array()
        .expect("table rows")
        .iter()
        .map(|row| row.as_array().unwrap().iter().map(cell_text).collect())
        .collect()
}

/// What one table cell shows.
pub fn cell_text(cell: &Value) -> String {
    match cell["type"].as_str() {
        Some("raw_text") => cell["text"].as_str().unwrap_or_default().to_string(),
        Some("rich_text") => {
            let mut out = String::new();
            for section in cell["elements"].as_array().into_iter().flatten() {
                for element in section["elements"].as_array().into_iter().flatten() {
                    out.push_str(element["text"].as_str().unwrap_or_default());
                }
            }
            out
        }
        other => panic!("unknown cell type {other:?}: {cell}"),
    }
}

/// The links in a rich-text table cell.
pub fn cell_links(cell: &Value) -> Vec<String> {
    let mut links = Vec::new();
    for section in cell["elements"].as_array().into_iter().flatten() {
        for element in section["elements"].as_array().into_iter().flatten() {
            if element["type"] == "link" {
                links.push(element["url"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    links
}

/// Every mrkdwn/plain text in a message's blocks, in order.
pub fn block_texts(message: &PostedMessage) -> Vec<String> {
    let mut out = Vec::new();
    for block in blocks(message) {
        collect_texts(block, &mut out);
    }
    out
}

fn collect_texts(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if matches!(map.get("type").and_then(Value::as_str), Some("mrkdwn" | "plain_text"))
                && let Some(Value::String(text)) = map.get("text")
            {
                out.push(text.clone());
            }
            map.values().for_each(|v| collect_texts(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_texts(v, out)),
        _ => {}
    }
}

/// `1234567` as Looker formats counts: `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Asserts what Slack requires of every message the bot sent: a `text` fallback, at most 50 blocks, and no text
/// object over 3000 characters.
pub fn assert_within_slack_limits(messages: &[PostedMessage]) {
    for m in messages {
        if m.method == "chat.unfurl" {
            continue;
        }
        assert!(
            m.text.as_deref().is_some_and(|t| !t.trim().is_empty()),
            "a message without its text fallback: {m:#?}"
        );
        if let Some(blocks) = m.blocks.as_ref().and_then(Value::as_array) {
            assert!(blocks.len() <= 50, "{} blocks", blocks.len());
        }
        if m.blocks.is_some() {
            for text in block_texts(m) {
                assert!(
                    text.chars().count() <= 3000,
                    "a text of {} characters",
                    text.chars().count()
                );
            }
        }
    }
}
