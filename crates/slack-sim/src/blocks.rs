//! The Block Kit and text limits Slack enforces on messages, so the bot meets them in tests.

use serde_json::Value;

use crate::args::Args;

/// At most this many blocks per message.
pub const MAX_BLOCKS: usize = 50;
/// A section's text may hold at most this many characters.
pub const MAX_SECTION_TEXT: usize = 3000;
/// Message text over this many characters is refused with `msg_too_long`.
pub const MAX_TEXT: usize = 40_000;

/// A refused message: the Slack error code and a message like Slack's `response_metadata.messages`.
#[derive(Debug, PartialEq)]
pub struct Refusal {
    pub error: &'static str,
    pub detail: String,
}

impl Refusal {
    fn new(error: &'static str, detail: impl Into<String>) -> Refusal {
        Refusal {
            error,
            detail: detail.into(),
        }
    }
}

/// The message content of a chat.* call, validated.
#[derive(Debug, Default)]
pub struct MessageContent {
    pub text: Option<String>,
    pub blocks: Option<Value>,
    pub attachments: Option<Value>,
}

impl MessageContent {
    /// Reads `text`, `blocks` and `attachments`; refuses what Slack refuses.
    pub fn from_args(args: &Args) -> Result<MessageContent, Refusal> {
        let text = args.str("text");
        if let Some(text) = &text
            && text.chars().count() > MAX_TEXT
        {
            return Err(Refusal::new(
                "msg_too_long",
                format!("text is longer than {MAX_TEXT} characters"),
            ));
        }
        let blocks = match args.json("blocks") {
            None => None,
            Some(Err(())) => {
                return Err(Refusal::new("invalid_blocks", "blocks is not valid JSON"));
            }
            Some(Ok(value)) => Some(validate_blocks(value)?),
        };
        let attachments = match args.json("attachments") {
            None => None,
            Some(Ok(value @ Value::Array(_))) => Some(value),
            Some(_) => {
                return Err(Refusal::new("invalid_attachments", "attachments must be a JSON array"));
            }
        };
        Ok(MessageContent {
            text,
            blocks,
            attachments,
        })
    }

    /// Whether anything would be shown; Slack answers `no_text` otherwise.
    pub fn is_empty(&self) -> bool {
        let empty_array = |v: &Option<Value>| v.as_ref().and_then(Value::as_array).is_none_or(Vec::is_empty);
        self.text.is_none() && empty_array(&self.blocks) && empty_array(&self.attachments)
    }
}

fn validate_blocks(value: Value) -> Result<Value, Refusal> {
    let Some(blocks) = value.as_array() else {
        return Err(Refusal::new("invalid_blocks", "blocks must be a JSON array"));
    };
    if blocks.len() > MAX_BLOCKS {
        return Err(Refusal::new(
            "invalid_blocks",
            format!("no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]"),
        ));
    }
    for (i, block) in blocks.iter().enumerate() {
        if block.get("type").and_then(Value::as_str).is_none() {
            return Err(Refusal::new(
                "invalid_blocks",
                format!("missing required field: type [json-pointer:/blocks/{i}]"),
            ));
        }
        if block["type"] == "section"
            && let Some(text) = block["text"]["text"].as_str()
            && text.chars().count() > MAX_SECTION_TEXT
        {
            return Err(Refusal::new(
                "invalid_blocks",
                format!(
                    "must be less than {} characters [json-pointer:/blocks/{i}/text/text]",
                    MAX_SECTION_TEXT + 1
                ),
            ));
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn content(args: Value) -> Result<MessageContent, Refusal> {
        MessageContent::from_args(&Args(args.as_object().unwrap().clone()))
    }

    #[test]
    fn refuses_oversized_and_malformed_blocks() {
        let long_section = json!([{"type":"section","text":{"type":"mrkdwn","text":"x".repeat(3001)}}]);
        assert_eq!(
            content(json!({"blocks": long_section})).unwrap_err().error,
            "invalid_blocks"
        );
        let many = Value::Array(vec![json!({"type":"divider"}); 51]);
        assert_eq!(content(json!({"blocks": many})).unwrap_err().error, "invalid_blocks");
        assert_eq!(
            content(json!({"blocks": "{\"type\":\"divider\"}"})).unwrap_err().error,
            "invalid_blocks"
        );
        assert_eq!(
            content(json!({"blocks": "not json"})).unwrap_err().error,
            "invalid_blocks"
        );
        assert_eq!(
            content(json!({"text": "y".repeat(40_001)})).unwrap_err().error,
            "msg_too_long"
        );
    }

    #[test]
    fn accepts_limits_exactly_and_detects_empty_messages() {
        let fifty = Value::Array(vec![
            json!({"type":"section","text":{"type":"mrkdwn","text":"x".repeat(3000)}});
            50
        ]);
        assert!(content(json!({"blocks": fifty.to_string()})).is_ok());
        assert!(content(json!({"blocks": "[]"})).unwrap().is_empty());
        assert!(!content(json!({"text": "hi"})).unwrap().is_empty());
    }
}
