//! The Block Kit and text limits Slack enforces on messages, so the bot meets them in tests (Slack's Block Kit
//! reference: blocks per message, text lengths per block and element, the table block's rows, columns and one table
//! per message).

use serde_json::Value;

use crate::args::Args;

/// At most this many blocks per message.
pub const MAX_BLOCKS: usize = 50;
/// A section's text may hold at most this many characters.
pub const MAX_SECTION_TEXT: usize = 3000;
/// Message text over this many characters is refused with `msg_too_long`.
pub const MAX_TEXT: usize = 40_000;
/// A header block's text.
pub const MAX_HEADER_TEXT: usize = 150;
/// A section's `fields`: how many, and the text of each.
pub const MAX_FIELDS: usize = 10;
pub const MAX_FIELD_TEXT: usize = 2000;
/// A context block's elements.
pub const MAX_CONTEXT_ELEMENTS: usize = 10;
/// An actions block's elements, and a button's text.
pub const MAX_ACTIONS_ELEMENTS: usize = 25;
pub const MAX_BUTTON_TEXT: usize = 75;
/// An image block's alt text.
pub const MAX_ALT_TEXT: usize = 2000;
/// A table block: rows (the header row included) and cells per row; one table per message.
pub const MAX_TABLE_ROWS: usize = 100;
pub const MAX_TABLE_COLUMNS: usize = 20;

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
    let mut tables = 0;
    for (i, block) in blocks.iter().enumerate() {
        let Some(kind) = block.get("type").and_then(Value::as_str) else {
            return Err(Refusal::new(
                "invalid_blocks",
                format!("missing required field: type [json-pointer:/blocks/{i}]"),
            ));
        };
        if kind == "table" {
            tables += 1;
            if tables > 1 {
                return Err(Refusal::new(
                    "invalid_blocks",
                    format!("only one table block is allowed per message [json-pointer:/blocks/{i}]"),
                ));
            }
        }
        check_block(kind, block).map_err(|(pointer, problem)| {
            Refusal::new(
                "invalid_blocks",
                format!("{problem} [json-pointer:/blocks/{i}{pointer}]"),
            )
        })?;
    }
    Ok(value)
}

/// A block's own limits: `Err((json-pointer below the block, what is wrong))`.
fn check_block(kind: &str, block: &Value) -> Result<(), (String, String)> {
    let text_at = |pointer: &str| block.pointer(pointer).and_then(Value::as_str);
    let longest = |pointer: &str, max: usize| match text_at(pointer) {
        Some(text) if text.chars().count() > max => {
            Err((pointer.to_string(), format!("must be less than {} characters", max + 1)))
        }
        _ => Ok(()),
    };
    let items = |key: &str| block.get(key).and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let at_most = |key: &str, max: usize| {
        if items(key).len() > max {
            Err((format!("/{key}"), format!("no more than {max} items allowed")))
        } else {
            Ok(())
        }
    };
    match kind {
        "section" => {
            longest("/text/text", MAX_SECTION_TEXT)?;
            at_most("fields", MAX_FIELDS)?;
            for f in 0..items("fields").len() {
                longest(&format!("/fields/{f}/text"), MAX_FIELD_TEXT)?;
            }
        }
        "header" => longest("/text/text", MAX_HEADER_TEXT)?,
        "context" => at_most("elements", MAX_CONTEXT_ELEMENTS)?,
        "actions" => {
            at_most("elements", MAX_ACTIONS_ELEMENTS)?;
            for e in 0..items("elements").len() {
                longest(&format!("/elements/{e}/text/text"), MAX_BUTTON_TEXT)?;
            }
        }
        "image" => longest("/alt_text", MAX_ALT_TEXT)?,
        "table" => {
            at_most("rows", MAX_TABLE_ROWS)?;
            for (r, row) in items("rows").iter().enumerate() {
                if row.as_array().is_none_or(|cells| cells.len() > MAX_TABLE_COLUMNS) {
                    return Err((
                        format!("/rows/{r}"),
                        format!("a row must be an array of at most {MAX_TABLE_COLUMNS} cells"),
                    ));
                }
            }
            at_most("column_settings", MAX_TABLE_COLUMNS)?;
        }
        _ => {}
    }
    Ok(())
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

    fn refused(blocks: Value) -> String {
        let refusal = content(json!({ "blocks": blocks })).unwrap_err();
        assert_eq!(refusal.error, "invalid_blocks");
        refusal.detail
    }

    #[test]
    fn refuses_what_each_block_kind_cannot_hold() {
        let row = |cells: usize| Value::Array(vec![json!({"type": "raw_text", "text": "x"}); cells]);
        let table = |rows: usize, cells: usize| json!({"type": "table", "rows": vec![row(cells); rows]});
        assert!(refused(json!([table(101, 1)])).contains("/blocks/0/rows"));
        assert!(refused(json!([table(2, 21)])).contains("/blocks/0/rows/0"));
        assert!(refused(json!([table(2, 2), {"type": "divider"}, table(2, 2)])).contains("only one table"));
        assert!(content(json!({ "blocks": [table(100, 20)] })).is_ok());
        let header = json!([{"type": "header", "text": {"type": "plain_text", "text": "h".repeat(151)}}]);
        assert!(refused(header).contains("/blocks/0/text/text"));
        let field = json!({"type": "mrkdwn", "text": "f"});
        assert!(refused(json!([{"type": "section", "fields": vec![field; 11]}])).contains("/fields"));
        let long_field = json!({"type": "mrkdwn", "text": "f".repeat(2001)});
        assert!(refused(json!([{"type": "section", "fields": [long_field]}])).contains("/fields/0/text"));
        let element = json!({"type": "mrkdwn", "text": "c"});
        assert!(refused(json!([{"type": "context", "elements": vec![element; 11]}])).contains("/elements"));
        let button = json!({"type": "button", "text": {"type": "plain_text", "text": "b".repeat(76)}, "value": "v"});
        assert!(refused(json!([{"type": "actions", "elements": [button]}])).contains("/elements/0/text/text"));
        let image = json!({"type": "image", "image_url": "https://x.example/i.png", "alt_text": "a".repeat(2001)});
        assert!(refused(json!([image])).contains("/alt_text"));
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
