//! The neutral reply model: what the bot says, with no chat platform's markup.
//!
//! Renderers (Block Kit, terminal text) own all escaping: text in this model is always plain, never markup, so data
//! from Looker or a user cannot inject pings or fake links whatever renderer it goes through.

use serde::{Deserialize, Serialize};

/// Who sees a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Visibility {
    /// Everyone in the conversation.
    #[default]
    Public,
    /// Only the person who asked (an ephemeral message in Slack).
    OnlyAsker,
}

/// How a notice feels. Each renderer shows it its own way (an emoji in Slack, a symbol in a terminal), so the core
/// never writes a chat platform's emoji codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Tone {
    /// Work under way ("Looking into that…").
    Progress,
    /// Something the person asked for was done.
    Success,
    /// Something went wrong; the text says what and what to do.
    Warning,
    /// Something was tried and refused or failed for good.
    Failure,
}

/// A run of text inside a paragraph or a cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Inline {
    /// The mark of a [`Tone`], shown before the text it belongs to.
    Icon(Tone),
    Text(String),
    Bold(String),
    Italic(String),
    Code(String),
    Link {
        text: String,
        url: String,
    },
}

/// One table cell: its inlines (usually one).
pub type Cell = Vec<Inline>;

/// A rendered table of query results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Whether each column holds numbers (right-aligned by renderers that align).
    pub numeric: Vec<bool>,
}

/// An image the bot shows: either bytes to upload into the chat, or a URL where it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageSource {
    /// PNG bytes, uploaded by the chat sink (Slack file upload, or a file on disk for the terminal).
    Png(#[serde(with = "serde_bytes_base64")] Vec<u8>),
    /// A URL of an image already stored (S3, Azure, GCS).
    Url(String),
}

/// A button that, when clicked, comes back as a [`crate::event::ButtonClick`] carrying `value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    pub value: String,
}

/// A piece of a reply, in display order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Block {
    /// A title line, optionally linking somewhere (usually Looker).
    Heading {
        text: String,
        link: Option<String>,
    },
    Paragraph(Vec<Inline>),
    /// Label/value pairs (a single record).
    Fields(Vec<(String, Cell)>),
    Table(Table),
    Image {
        source: ImageSource,
        title: String,
        link: Option<String>,
    },
    Buttons(Vec<Button>),
    /// Small print under a result (row counts, "open in Looker").
    Context(Vec<Inline>),
    Divider,
}

/// What the bot says in one message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reply {
    pub blocks: Vec<Block>,
    pub visibility: Visibility,
    /// The Looker link this reply expands, when it answers a pasted link (chat platforms can attach it to the
    /// link itself, as Slack's unfurls do).
    pub source_link: Option<String>,
}

impl Reply {
    pub fn new(blocks: Vec<Block>) -> Self {
        Reply {
            blocks,
            visibility: Visibility::Public,
            source_link: None,
        }
    }

    /// A one-paragraph plain-text reply.
    pub fn text(text: impl Into<String>) -> Self {
        Reply::new(vec![Block::Paragraph(vec![Inline::Text(text.into())])])
    }

    /// A one-paragraph reply marked with `tone`.
    pub fn notice(tone: Tone, text: impl Into<String>) -> Self {
        Reply::new(vec![Block::Paragraph(vec![
            Inline::Icon(tone),
            Inline::Text(text.into()),
        ])])
    }

    /// A failure the person should see: a warning mark and what went wrong and what to do.
    pub fn warning(text: impl Into<String>) -> Self {
        Reply::notice(Tone::Warning, text)
    }

    /// Whether the reply shows results (fields, a table, an image, buttons) rather than only words.
    pub fn carries_data(&self) -> bool {
        self.blocks.iter().any(|b| {
            matches!(
                b,
                Block::Fields(_) | Block::Table(_) | Block::Image { .. } | Block::Buttons(_)
            )
        })
    }

    pub fn only_asker(mut self) -> Self {
        self.visibility = Visibility::OnlyAsker;
        self
    }

    /// The reply as plain text, without markup or tone marks: what logs and tests compare.
    pub fn plain_text(&self) -> String {
        self.plain_text_with(|_| "")
    }

    /// The reply as plain text, each tone shown as `icon` says (a renderer's notification fallback).
    pub fn plain_text_with(&self, icon: impl Fn(Tone) -> &'static str + Copy) -> String {
        let inlines_plain = |inlines: &[Inline]| inlines_plain_with(inlines, icon);
        let mut lines = Vec::new();
        for block in &self.blocks {
            match block {
                Block::Heading { text, .. } => lines.push(text.clone()),
                Block::Paragraph(inlines) | Block::Context(inlines) => lines.push(inlines_plain(inlines)),
                Block::Fields(fields) => {
                    for (label, value) in fields {
                        lines.push(format!("{label}: {}", inlines_plain(value)));
                    }
                }
                Block::Table(table) => {
                    lines.push(table.header.join(" | "));
                    for row in &table.rows {
                        lines.push(row.iter().map(|c| inlines_plain(c)).collect::<Vec<_>>().join(" | "));
                    }
                }
                Block::Image { title, .. } => lines.push(title.clone()),
                Block::Buttons(buttons) => lines.push(
                    buttons
                        .iter()
                        .map(|b| format!("[{}]", b.label))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                Block::Divider => {}
            }
        }
        lines.join("\n")
    }
}

/// Inline runs as plain text (links keep their text only, tone marks are left out).
pub fn inlines_plain(inlines: &[Inline]) -> String {
    inlines_plain_with(inlines, |_| "")
}

/// Inline runs as plain text, each tone mark shown as `icon` says and followed by a space when it shows.
pub fn inlines_plain_with(inlines: &[Inline], icon: impl Fn(Tone) -> &'static str) -> String {
    // Most table cells are one run of text: copied once, not grown into.
    if let [
        Inline::Text(text) | Inline::Bold(text) | Inline::Italic(text) | Inline::Code(text) | Inline::Link { text, .. },
    ] = inlines
    {
        return text.clone();
    }
    let mut out = String::new();
    for inline in inlines {
        match inline {
            Inline::Icon(tone) => {
                let mark = icon(*tone);
                if !mark.is_empty() {
                    out.push_str(mark);
                    out.push(' ');
                }
            }
            Inline::Text(t) | Inline::Bold(t) | Inline::Italic(t) | Inline::Code(t) => out.push_str(t),
            Inline::Link { text, .. } => out.push_str(text),
        }
    }
    out
}

mod serde_bytes_base64 {
    //! Image bytes travel through the durable queue as JSON, so they are stored as base64 text.
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}
