//! conversations.history: a conversation's messages, newest first, between `oldest` and `latest`, a page at a time,
//! with their metadata only when `include_all_metadata` is set. As with Slack, each conversation type needs its own
//! history scope, a bot reads only conversations it is in, and a page holds at most what the tier allows
//! ([`crate::HistoryLimits`]; its rate is enforced before the call gets here).

use serde_json::{Value, json};

use super::chat::message_json;
use super::{ApiError, ApiResult, cursor, fields, target};
use crate::args::Args;
use crate::blocks::MessageContent;
use crate::records::PostedMessage;
use crate::shared::{Shared, lock};
use crate::workspace::{Conversation, ConversationKind};

pub fn history(shared: &Shared, args: &Args) -> ApiResult {
    let conversation = target::visible_by_id(&lock(&shared.workspace), &args.str("channel").unwrap_or_default())?;
    check_scope(shared, &conversation)?;
    if !conversation.bot_is_member() {
        return Err(ApiError::new("not_in_channel").detail(format!(
            "a bot token reads only conversations the bot is in; invite it to {}",
            conversation.id
        )));
    }
    let oldest = bound(args, "oldest", "invalid_ts_oldest")?.unwrap_or((0, 0));
    let latest = bound(args, "latest", "invalid_ts_latest")?;
    let inclusive = args.bool("inclusive").unwrap_or(false);
    let with_metadata = args.bool("include_all_metadata").unwrap_or(false);
    let limits = shared.config.history;
    let (offset, asked) = cursor::page_request(args)?;
    let asked = if args.is_present("limit") {
        asked
    } else {
        limits.default_page
    };
    let page_size = asked.min(limits.max_page);

    let records = lock(&shared.records);
    let mut messages: Vec<&PostedMessage> = records
        .messages
        .iter()
        .filter(|m| m.channel == conversation.id && matches!(m.method.as_str(), "chat.postMessage" | "chat.update"))
        .filter(|m| {
            let Some(ts) = parse_ts(&m.ts) else {
                return false;
            };
            let after_oldest = if inclusive { ts >= oldest } else { ts > oldest };
            let before_latest = latest.is_none_or(|latest| if inclusive { ts <= latest } else { ts < latest });
            after_oldest && before_latest
        })
        .collect();
    messages.sort_by_key(|m| std::cmp::Reverse(parse_ts(&m.ts)));
    let (page, next_cursor) = cursor::page(&messages, offset, page_size);
    let rendered: Vec<Value> = page.iter().map(|m| render(m, with_metadata)).collect();
    Ok(fields(json!({
        "messages": rendered,
        "has_more": !next_cursor.is_empty(),
        "pin_count": 0,
        "channel_actions_ts": null,
        "channel_actions_count": 0,
        "response_metadata": { "next_cursor": next_cursor },
    })))
}

/// The history scope of the conversation's type: a token with only another type's scope is refused.
fn check_scope(shared: &Shared, conversation: &Conversation) -> Result<(), ApiError> {
    let needed = match conversation.kind {
        ConversationKind::PublicChannel => "channels:history",
        ConversationKind::PrivateChannel => "groups:history",
        ConversationKind::Im { .. } => "im:history",
        ConversationKind::Mpim => "mpim:history",
    };
    if shared.has_scope(needed) {
        return Ok(());
    }
    let mut error = ApiError::new("missing_scope");
    error.extra.insert("needed".into(), json!(needed));
    error.extra.insert("provided".into(), json!(shared.scopes_header()));
    Err(error)
}

/// A `seconds.micros` timestamp argument, or the error Slack documents for it.
fn bound(args: &Args, name: &str, error: &'static str) -> Result<Option<(u64, u64)>, ApiError> {
    match args.str(name) {
        None => Ok(None),
        Some(text) => parse_ts(&text)
            .map(Some)
            .ok_or_else(|| ApiError::new(error).detail(format!("{name} {text:?} is not a Slack timestamp"))),
    }
}

/// `1512085950.000216` as (seconds, microseconds); `1512085950` alone is a whole second.
fn parse_ts(text: &str) -> Option<(u64, u64)> {
    let (secs, micros) = text.trim().split_once('.').unwrap_or((text.trim(), "0"));
    if micros.len() > 6 {
        return None;
    }
    let scale = 10u64.pow(6 - micros.len() as u32);
    Some((secs.parse().ok()?, micros.parse::<u64>().ok()? * scale))
}

/// A stored message as history shows it: the message object of the post, its metadata only when asked for.
fn render(message: &PostedMessage, with_metadata: bool) -> Value {
    let content = MessageContent {
        text: message.text.clone(),
        blocks: message.blocks.clone(),
        attachments: None,
    };
    let mut rendered = message_json(&content, &message.ts, message.thread_ts.as_deref());
    if with_metadata && let (Some(metadata), Some(object)) = (&message.metadata, rendered.as_object_mut()) {
        object.insert("metadata".into(), metadata.clone());
    }
    rendered
}

#[cfg(test)]
mod tests {
    use super::parse_ts;

    #[test]
    fn timestamps_compare_as_seconds_and_microseconds() {
        assert_eq!(parse_ts("1512085950.000216"), Some((1_512_085_950, 216)));
        assert_eq!(parse_ts("1512085950.5"), Some((1_512_085_950, 500_000)));
        assert_eq!(parse_ts("1512085950"), Some((1_512_085_950, 0)));
        assert!(parse_ts("1512085950.1").unwrap() > parse_ts("1512085950.000216").unwrap());
        assert_eq!(parse_ts("yesterday"), None);
        assert_eq!(parse_ts("1.1234567"), None);
    }
}
