//! chat.postMessage, chat.update, chat.postEphemeral and chat.unfurl.

use serde_json::{Map, Value, json};

use super::{ApiError, ApiResult, fields, target};
use crate::args::Args;
use crate::blocks::MessageContent;
use crate::records::PostedMessage;
use crate::shared::{Shared, lock};
use crate::workspace::{APP_ID, BOT_ID, BOT_USER_ID, BOT_USER_NAME, TEAM_ID};

/// Reads and validates the message content; an empty message is `no_text`.
fn content(args: &Args) -> Result<MessageContent, ApiError> {
    let content = MessageContent::from_args(args)?;
    if content.is_empty() {
        return Err(ApiError::new("no_text").detail("give text, blocks or attachments"));
    }
    Ok(content)
}

/// Reads `metadata`: a JSON object (in a form, a JSON string) with a string `event_type` and an object
/// `event_payload`, as chat.postMessage documents it.
fn metadata(args: &Args) -> Result<Option<Value>, ApiError> {
    let value = match args.json("metadata") {
        None => return Ok(None),
        Some(Err(())) => {
            return Err(ApiError::new("invalid_metadata_format").detail("metadata is not valid JSON"));
        }
        Some(Ok(value)) => value,
    };
    let well_formed = value["event_type"].as_str().is_some_and(|t| !t.is_empty())
        && value["event_payload"].is_object()
        && value.as_object().is_some_and(|o| o.len() == 2);
    if !well_formed {
        return Err(ApiError::new("invalid_metadata_schema")
            .detail("metadata must be an object with event_type (text) and event_payload (an object)"));
    }
    Ok(Some(value))
}

/// The message object Slack echoes back for a message the bot posted.
pub(super) fn message_json(content: &MessageContent, ts: &str, thread_ts: Option<&str>) -> Value {
    let mut message = Map::new();
    message.insert("type".into(), json!("message"));
    message.insert("text".into(), json!(content.text.clone().unwrap_or_default()));
    message.insert("user".into(), json!(BOT_USER_ID));
    message.insert("bot_id".into(), json!(BOT_ID));
    message.insert("app_id".into(), json!(APP_ID));
    message.insert("team".into(), json!(TEAM_ID));
    message.insert("ts".into(), json!(ts));
    message.insert(
        "bot_profile".into(),
        json!({ "id": BOT_ID, "app_id": APP_ID, "name": BOT_USER_NAME, "team_id": TEAM_ID, "deleted": false }),
    );
    if let Some(blocks) = &content.blocks {
        message.insert("blocks".into(), blocks.clone());
    }
    if let Some(Value::Array(attachments)) = &content.attachments {
        message.insert("attachments".into(), numbered(attachments));
    }
    if let Some(thread_ts) = thread_ts {
        message.insert("thread_ts".into(), json!(thread_ts));
    }
    Value::Object(message)
}

/// Slack numbers a message's attachments (`id` 1, 2, ...) when it stores them.
fn numbered(attachments: &[Value]) -> Value {
    let numbered = attachments.iter().zip(1..).map(|(attachment, id)| {
        let mut attachment = attachment.clone();
        if let Some(fields) = attachment.as_object_mut() {
            fields.entry("id").or_insert(json!(id));
        }
        attachment
    });
    Value::Array(numbered.collect())
}

pub fn post_message(shared: &Shared, args: &Args) -> ApiResult {
    let channel = target::postable(
        shared,
        &mut lock(&shared.workspace),
        &args.str("channel").unwrap_or_default(),
    )?;
    let content = content(args)?;
    let metadata = metadata(args)?;
    let thread_ts = args.str("thread_ts");
    let ts = shared.next_ts();
    // Slack echoes a posted message without its metadata; only conversations.history shows it, when asked.
    let message = message_json(&content, &ts, thread_ts.as_deref());
    shared.record_message(PostedMessage {
        thread_ts,
        text: content.text,
        blocks: content.blocks,
        metadata,
        ..PostedMessage::new("chat.postMessage", &channel.id, &ts)
    });
    Ok(fields(json!({ "channel": channel.id, "ts": ts, "message": message })))
}

pub fn update(shared: &Shared, args: &Args) -> ApiResult {
    let channel_id = args.str("channel").unwrap_or_default();
    let ts = args.str("ts").unwrap_or_default();
    target::visible_by_id(&lock(&shared.workspace), &channel_id)?;
    let content = content(args)?;
    let mut records = lock(&shared.records);
    let message = records
        .messages
        .iter_mut()
        .find(|m| {
            m.channel == channel_id && m.ts == ts && matches!(m.method.as_str(), "chat.postMessage" | "chat.update")
        })
        .ok_or_else(|| ApiError::new("message_not_found").detail(format!("no message {ts} in {channel_id}")))?;
    message.method = "chat.update".into();
    message.text = content.text.clone();
    if content.blocks.is_some() {
        message.blocks = content.blocks.clone();
    }
    let echoed = MessageContent {
        blocks: message.blocks.clone(),
        ..content
    };
    let text = echoed.text.clone().unwrap_or_default();
    Ok(fields(json!({
        "channel": channel_id,
        "ts": ts,
        "text": text,
        "message": message_json(&echoed, &ts, message.thread_ts.as_deref()),
    })))
}

pub fn post_ephemeral(shared: &Shared, args: &Args) -> ApiResult {
    let user = args.str("user").unwrap_or_default();
    let channel = {
        let mut ws = lock(&shared.workspace);
        if ws.user(&user).is_none_or(|u| u.deleted) {
            // The reference documents no user_not_found here; an unknown user is simply not in the channel.
            return Err(ApiError::new("user_not_in_channel").detail(format!("no active user {user}")));
        }
        target::postable(shared, &mut ws, &args.str("channel").unwrap_or_default())?
    };
    if !channel.has_member(&user) {
        return Err(ApiError::new("user_not_in_channel").detail(format!("{user} is not a member of {}", channel.id)));
    }
    let content = content(args)?;
    let ts = shared.next_ts();
    shared.record_message(PostedMessage {
        thread_ts: args.str("thread_ts"),
        text: content.text,
        blocks: content.blocks,
        user: Some(user),
        ..PostedMessage::new("chat.postEphemeral", channel.id, &ts)
    });
    Ok(fields(json!({ "message_ts": ts })))
}

/// Either `channel` + `ts` or `unfurl_id` + `source` identify the message; `unfurls` is a JSON object.
pub fn unfurl(shared: &Shared, args: &Args) -> ApiResult {
    let (channel, ts) = match args.str("unfurl_id") {
        Some(unfurl_id) => {
            args.str("source").ok_or_else(|| ApiError::new("missing_source"))?;
            (args.str("channel").unwrap_or_default(), unfurl_id)
        }
        None => {
            let channel = args.str("channel").ok_or_else(|| ApiError::new("missing_channel"))?;
            let ts = args.str("ts").ok_or_else(|| ApiError::new("missing_ts"))?;
            if lock(&shared.workspace).find_visible(&channel).is_none() {
                return Err(ApiError::new("cannot_find_channel").detail(format!("no conversation {channel}")));
            }
            (channel, ts)
        }
    };
    let unfurls = match args.json("unfurls") {
        None => return Err(ApiError::new("missing_unfurls")),
        Some(Ok(value @ Value::Object(_))) => value,
        Some(_) => {
            return Err(ApiError::new("invalid_unfurls_format").detail("unfurls must be a JSON object keyed by URL"));
        }
    };
    shared.record_message(PostedMessage {
        blocks: Some(unfurls),
        ..PostedMessage::new("chat.unfurl", channel, ts)
    });
    Ok(Map::new())
}
