//! Block Kit's objects as the renderer writes them. Typed, so that a message is written straight into its post's
//! body: built as `serde_json::Value` trees, every key of every object was a string and a map node of its own, and
//! the tree was walked again to be written (a scheduled Look's table, callgrind). Each serializes to the JSON Block
//! Kit's reference gives, with `type` first.

use serde::Serialize;

/// A top-level block.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum KitBlock {
    /// A text section, or a section of fields (two columns).
    Section {
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<Text>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        fields: Vec<Text>,
    },
    Context {
        elements: Vec<Text>,
    },
    Divider,
    Table {
        rows: Vec<Vec<TableCell>>,
        column_settings: Vec<ColumnSetting>,
    },
    Image {
        image_url: String,
        alt_text: String,
        title: Text,
    },
    Actions {
        elements: Vec<Button>,
    },
}

impl KitBlock {
    /// A section of one mrkdwn text (escaped already).
    pub fn section(mrkdwn: String) -> KitBlock {
        KitBlock::Section {
            text: Some(Text::Mrkdwn { text: mrkdwn }),
            fields: Vec::new(),
        }
    }

    /// A context block of one mrkdwn text (escaped already).
    pub fn context(mrkdwn: String) -> KitBlock {
        KitBlock::Context {
            elements: vec![Text::Mrkdwn { text: mrkdwn }],
        }
    }
}

/// A text object: mrkdwn, which Slack parses, or plain text, which it does not.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Text {
    Mrkdwn {
        text: String,
    },
    PlainText {
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        emoji: Option<bool>,
    },
}

/// A table cell: raw text, or rich text (links, emphasis, emoji).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TableCell {
    RawText { text: String },
    RichText { elements: Vec<RichTextSection> },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename = "rich_text_section")]
pub struct RichTextSection {
    pub elements: Vec<RichElement>,
}

/// A piece of rich text. Slack parses none of it as markup.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RichElement {
    Emoji {
        name: &'static str,
    },
    Text {
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        style: Option<Style>,
    },
    Link {
        url: String,
        text: String,
    },
}

/// Rich text's style: the members set are on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Style {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bold: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub italic: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ColumnSetting {
    pub align: Align,
    pub is_wrapped: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename = "button")]
pub struct Button {
    pub action_id: String,
    pub text: Text,
    pub value: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_object_is_written_as_block_kit_spells_it() {
        let cases = [
            (
                serde_json::to_value(KitBlock::section("*a*".into())).unwrap(),
                json!({ "type": "section", "text": { "type": "mrkdwn", "text": "*a*" } }),
            ),
            (
                serde_json::to_value(KitBlock::Section {
                    text: None,
                    fields: vec![Text::Mrkdwn { text: "f".into() }],
                })
                .unwrap(),
                json!({ "type": "section", "fields": [{ "type": "mrkdwn", "text": "f" }] }),
            ),
            (
                serde_json::to_value(KitBlock::Divider).unwrap(),
                json!({ "type": "divider" }),
            ),
            (
                serde_json::to_value(KitBlock::Table {
                    rows: vec![vec![
                        TableCell::RawText { text: "x".into() },
                        TableCell::RichText {
                            elements: vec![RichTextSection {
                                elements: vec![
                                    RichElement::Emoji { name: "warning" },
                                    RichElement::Text {
                                        text: "b".into(),
                                        style: Some(Style {
                                            bold: Some(true),
                                            ..Style::default()
                                        }),
                                    },
                                    RichElement::Link {
                                        url: "https://x.example/".into(),
                                        text: "l".into(),
                                    },
                                ],
                            }],
                        },
                    ]],
                    column_settings: vec![ColumnSetting {
                        align: Align::Right,
                        is_wrapped: false,
                    }],
                })
                .unwrap(),
                json!({
                    "type": "table",
                    "rows": [[
                        { "type": "raw_text", "text": "x" },
                        { "type": "rich_text", "elements": [{ "type": "rich_text_section", "elements": [
                            { "type": "emoji", "name": "warning" },
                            { "type": "text", "text": "b", "style": { "bold": true } },
                            { "type": "link", "url": "https://x.example/", "text": "l" },
                        ] }] },
                    ]],
                    "column_settings": [{ "align": "right", "is_wrapped": false }],
                }),
            ),
            (
                serde_json::to_value(KitBlock::Actions {
                    elements: vec![Button {
                        action_id: "a".into(),
                        text: Text::PlainText {
                            text: "Go".into(),
                            emoji: Some(true),
                        },
                        value: "v".into(),
                    }],
                })
                .unwrap(),
                json!({ "type": "actions", "elements": [{
                    "type": "button", "action_id": "a", "text": { "type": "plain_text", "text": "Go", "emoji": true },
                    "value": "v",
                }] }),
            ),
        ];
        for (written, expected) in cases {
            assert_eq!(written, expected);
        }
    }
}
