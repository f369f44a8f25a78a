//! [`Reply`] -> Block Kit. The one place that escapes Slack mrkdwn: every piece of text from the reply model goes
//! through [`escape`] (or a `plain_text`/`raw_text` object, which Slack never parses), so data from Looker or a
//! person cannot ping `<!channel>` or forge links.

use bot::reply::{Block, Button, Cell, ImageSource, Inline, Reply, Table, Tone};

mod http_url;
pub mod kit;
use http_url::http_url;
use kit::{Align, ColumnSetting, KitBlock, RichElement, RichTextSection, Style, TableCell, Text};

/// Slack's limits, from the Block Kit reference.
pub const MAX_BLOCKS: usize = 50;
pub const MAX_SECTION_TEXT: usize = 3000;
pub const MAX_FIELD_TEXT: usize = 2000;
pub const MAX_FIELDS_PER_SECTION: usize = 10;
pub const MAX_TABLE_ROWS: usize = 100;
pub const MAX_TABLE_COLUMNS: usize = 20;
pub const MAX_BUTTON_VALUE: usize = 2000;
pub const MAX_BUTTONS_PER_BLOCK: usize = 25;
pub const MAX_BUTTON_LABEL: usize = 75;
pub const MAX_FALLBACK_TEXT: usize = 40_000;
pub const MAX_CONTEXT_ELEMENTS: usize = 10;

/// A reply in Slack's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedMessage {
    /// The `text` fallback (notifications, screen readers), escaped mrkdwn.
    pub text: String,
    pub blocks: Vec<KitBlock>,
    /// Images given as bytes: the sink uploads them into the conversation before posting `blocks`.
    pub uploads: Vec<PendingUpload>,
}

/// A PNG to upload with `files.getUploadURLExternal` / `files.completeUploadExternal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    pub png: Vec<u8>,
    pub title: String,
    pub filename: String,
}

/// Escapes text for mrkdwn: `&`, `<`, `>` become entities, so nothing in it is read as markup.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` with mrkdwn's formatting marks (`*bold*`, `_italic_`, `~strike~`, `` `code` ``) swapped for look-alikes
/// that Slack does not read as markup (`∗ ˍ ∼ ˋ`): for data in headings (already bold) and the fallback text, where
/// a mark from data would format or break what follows. Emoji codes (`:white_check_mark:`) are kept. Not yet
/// escaped.
pub fn without_formatting(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(emoji) = emoji_code(rest) {
            out.push_str(emoji);
            rest = &rest[emoji.len()..];
            continue;
        }
        out.push(match c {
            '*' => '\u{2217}',
            '_' => '\u{02CD}',
            '~' => '\u{223C}',
            '`' => '\u{02CB}',
            c => c,
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The emoji code (`:name:`) `text` starts with, if any.
fn emoji_code(text: &str) -> Option<&str> {
    let name = text.strip_prefix(':')?;
    let end = name.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-')))?;
    (end > 0 && name[end..].starts_with(':')).then(|| &text[..end + 2])
}

/// A mrkdwn link `<url|text>`, or just the escaped text when the URL is not http(s).
pub fn link(url: &str, text: &str) -> String {
    match safe_url(url) {
        Some(url) if text.is_empty() => format!("<{url}>"),
        Some(url) => format!("<{url}|{}>", escape(text).replace('|', "\u{2758}")),
        None => escape(text),
    }
}

/// An http(s) URL made safe inside `<...|...>`: `|`, `<`, `>` percent-encoded, `&` as an entity.
pub fn safe_url(url: &str) -> Option<String> {
    let url = http_url(url)?;
    let mut text = String::with_capacity(url.len() + 8);
    for c in url.chars() {
        match c {
            '|' => text.push_str("%7C"),
            '<' => text.push_str("%3C"),
            '>' => text.push_str("%3E"),
            '&' => text.push_str("&amp;"),
            c => text.push(c),
        }
    }
    Some(text)
}

/// Renders a reply to blocks and fallback text.
pub fn render(reply: &Reply) -> RenderedMessage {
    let mut renderer = Renderer::default();
    for (index, block) in reply.blocks.iter().enumerate() {
        renderer.block(index, block);
    }
    let mut blocks = renderer.blocks;
    if blocks.len() > MAX_BLOCKS {
        let dropped = blocks.len() - (MAX_BLOCKS - 1);
        blocks.truncate(MAX_BLOCKS - 1);
        blocks.push(context(&format!("\u{2026} {dropped} more blocks not shown")));
    }
    let text = cut(
        &escape(&without_formatting(&reply.plain_text_with(tone_emoji))),
        MAX_FALLBACK_TEXT,
    );
    RenderedMessage {
        text,
        blocks,
        uploads: renderer.uploads,
    }
}

#[derive(Default)]
struct Renderer {
    blocks: Vec<KitBlock>,
    uploads: Vec<PendingUpload>,
    has_table: bool,
}

impl Renderer {
    fn block(&mut self, index: usize, block: &Block) {
        match block {
            Block::Heading { text, link: target } => {
                let text = without_formatting(text);
                let title = match target {
                    Some(url) => link(url, &text),
                    None => escape(&text),
                };
                self.blocks.push(section(&format!("*{title}*")));
            }
            Block::Paragraph(inlines) => {
                if !inlines.is_empty() {
                    self.blocks.push(section(&mrkdwn(inlines)));
                }
            }
            Block::Fields(fields) => self.fields(fields),
            Block::Table(table) => self.table(table),
            Block::Image {
                source,
                title,
                link: target,
            } => self.image(index, source, title, target.as_deref()),
            Block::Buttons(buttons) => self.buttons(index, buttons),
            Block::Context(inlines) => {
                if !inlines.is_empty() {
                    self.blocks.push(context(&mrkdwn(inlines)));
                }
            }
            Block::Divider => self.blocks.push(KitBlock::Divider),
        }
    }

    fn fields(&mut self, fields: &[(String, Cell)]) {
        for chunk in fields.chunks(MAX_FIELDS_PER_SECTION) {
            let fields = chunk
                .iter()
                .map(|(label, value)| Text::Mrkdwn {
                    text: cut(&format!("*{}*\n{}", escape(label), mrkdwn(value)), MAX_FIELD_TEXT),
                })
                .collect();
            self.blocks.push(KitBlock::Section { text: None, fields });
        }
    }

    /// Slack allows one table block per message; further tables become preformatted text.
    fn table(&mut self, table: &Table) {
        if self.has_table {
            self.blocks
                .push(section(&format!("```{}```", escape(&table_as_text(table)))));
            return;
        }
        self.has_table = true;
        let columns = table
            .header
            .len()
            .max(table.rows.iter().map(Vec::len).max().unwrap_or(0));
        let shown_columns = columns.min(MAX_TABLE_COLUMNS);
        let shown_rows = table.rows.len().min(MAX_TABLE_ROWS - 1);
        let mut rows = Vec::with_capacity(shown_rows + 1);
        rows.push(
            (0..shown_columns)
                .map(|i| raw_cell(table.header.get(i).cloned().unwrap_or_default()))
                .collect::<Vec<_>>(),
        );
        for row in &table.rows[..shown_rows] {
            rows.push(
                (0..shown_columns)
                    .map(|i| table_cell(row.get(i).map_or(&[][..], Vec::as_slice)))
                    .collect(),
            );
        }
        let column_settings = (0..shown_columns)
            .map(|i| {
                let numeric = table.numeric.get(i).copied().unwrap_or(false);
                ColumnSetting {
                    align: if numeric { Align::Right } else { Align::Left },
                    is_wrapped: !numeric,
                }
            })
            .collect();
        self.blocks.push(KitBlock::Table { rows, column_settings });
        let mut notes = Vec::new();
        if table.rows.len() > shown_rows {
            notes.push(format!(
                "\u{2026} {} more rows not shown",
                table.rows.len() - shown_rows
            ));
        }
        if columns > shown_columns {
            notes.push(format!("\u{2026} {} more columns not shown", columns - shown_columns));
        }
        if !notes.is_empty() {
            self.blocks.push(context(&notes.join("; ")));
        }
    }

    fn image(&mut self, index: usize, source: &ImageSource, title: &str, target: Option<&str>) {
        match source {
            ImageSource::Url(url) => match safe_url(url) {
                Some(_) => {
                    let alt = cut_plain(if title.is_empty() { "image" } else { title }, 2000);
                    self.blocks.push(KitBlock::Image {
                        image_url: url.trim().to_owned(),
                        title: Text::PlainText {
                            text: cut_plain(&alt, 2000),
                            emoji: None,
                        },
                        alt_text: alt,
                    });
                }
                None => self.blocks.push(context(&escape(title))),
            },
            ImageSource::Png(bytes) => self.uploads.push(PendingUpload {
                png: bytes.clone(),
                title: title.to_string(),
                filename: format!("{}.png", file_stem(title, index)),
            }),
        }
        if let Some(url) = target {
            self.blocks
                .push(context(&link(url, if title.is_empty() { "Open" } else { title })));
        }
    }

    fn buttons(&mut self, index: usize, buttons: &[Button]) {
        let usable: Vec<&Button> = buttons
            .iter()
            .filter(|b| {
                let fits = b.value.chars().count() <= MAX_BUTTON_VALUE;
                if !fits {
                    tracing::warn!(label = %b.label, "button value over 2000 characters; button left out");
                }
                fits
            })
            .collect();
        for (chunk_index, chunk) in usable.chunks(MAX_BUTTONS_PER_BLOCK).enumerate() {
            let elements = chunk
                .iter()
                .enumerate()
                .map(|(i, b)| kit::Button {
                    action_id: format!("lookerbot-{index}-{chunk_index}-{i}"),
                    text: Text::PlainText {
                        text: cut_plain(&b.label, MAX_BUTTON_LABEL),
                        emoji: Some(true),
                    },
                    value: b.value.clone(),
                })
                .collect();
            self.blocks.push(KitBlock::Actions { elements });
        }
    }
}

fn section(text: &str) -> KitBlock {
    KitBlock::section(cut(text, MAX_SECTION_TEXT))
}

fn context(text: &str) -> KitBlock {
    KitBlock::context(cut(text, MAX_SECTION_TEXT))
}

fn mrkdwn(inlines: &[Inline]) -> String {
    inlines.iter().map(inline).collect()
}

/// The emoji Slack shows for a tone.
pub fn tone_emoji(tone: Tone) -> &'static str {
    match tone {
        Tone::Progress => ":hourglass_flowing_sand:",
        Tone::Success => ":white_check_mark:",
        Tone::Warning => ":warning:",
        Tone::Failure => ":x:",
    }
}

fn inline(inline: &Inline) -> String {
    match inline {
        Inline::Icon(tone) => format!("{} ", tone_emoji(*tone)),
        Inline::Text(t) => escape(t),
        Inline::Bold(t) => wrap(t, '*'),
        Inline::Italic(t) => wrap(t, '_'),
        Inline::Code(t) => wrap(&t.replace('`', "'"), '`'),
        Inline::Link { text, url } => link(url, text),
    }
}

fn wrap(text: &str, mark: char) -> String {
    if text.trim().is_empty() {
        escape(text)
    } else {
        format!("{mark}{}{mark}", escape(text))
    }
}

fn raw_cell(text: String) -> TableCell {
    TableCell::RawText { text }
}

/// A table cell: raw text, or rich text when it holds a link or emphasis (rich text elements are structured, so
/// nothing in them needs escaping either).
fn table_cell(cell: &[Inline]) -> TableCell {
    if cell.iter().all(|i| matches!(i, Inline::Text(_))) {
        return raw_cell(bot::reply::inlines_plain(cell));
    }
    let styled = |text: &String, style: Style| RichElement::Text {
        text: text.clone(),
        style: Some(style),
    };
    let on = Some(true);
    let elements = cell
        .iter()
        .map(|i| match i {
            Inline::Icon(tone) => RichElement::Emoji {
                name: tone_emoji(*tone).trim_matches(':'),
            },
            Inline::Text(t) => RichElement::Text {
                text: t.clone(),
                style: None,
            },
            Inline::Bold(t) => styled(
                t,
                Style {
                    bold: on,
                    ..Style::default()
                },
            ),
            Inline::Italic(t) => styled(
                t,
                Style {
                    italic: on,
                    ..Style::default()
                },
            ),
            Inline::Code(t) => styled(
                t,
                Style {
                    code: on,
                    ..Style::default()
                },
            ),
            Inline::Link { text, url } => match http_url(url) {
                Some(url) => RichElement::Link {
                    url: url.into_owned(),
                    text: text.clone(),
                },
                None => RichElement::Text {
                    text: text.clone(),
                    style: None,
                },
            },
        })
        .collect();
    TableCell::RichText {
        elements: vec![RichTextSection { elements }],
    }
}

/// The table as aligned plain text (for a second table in one message).
pub fn table_as_text(table: &Table) -> String {
    let mut lines = vec![table.header.join(" | ")];
    for row in table.rows.iter().take(MAX_TABLE_ROWS) {
        lines.push(
            row.iter()
                .map(|c| bot::reply::inlines_plain(c))
                .collect::<Vec<_>>()
                .join(" | "),
        );
    }
    if table.rows.len() > MAX_TABLE_ROWS {
        lines.push(format!("\u{2026} {} more rows", table.rows.len() - MAX_TABLE_ROWS));
    }
    lines.join("\n")
}

/// Cuts escaped mrkdwn to `max` characters with a note of what was left out, never inside an entity or a link.
pub fn cut(text: &str, max: usize) -> String {
    let total = text.chars().count();
    if total <= max {
        return text.to_string();
    }
    let note_room = 24;
    let mut end = text
        .char_indices()
        .nth(max.saturating_sub(note_room))
        .map_or(text.len(), |(i, _)| i);
    let head = &text[..end];
    if let Some(open) = head.rfind('<').filter(|&open| !head[open..].contains('>')) {
        end = open;
    }
    if let Some(amp) = text[..end].rfind('&').filter(|&amp| !text[amp..end].contains(';')) {
        end = amp;
    }
    let left_out = total - text[..end].chars().count();
    format!("{}\u{2026} {left_out} more", &text[..end])
}

fn cut_plain(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('\u{2026}');
    out
}

fn file_stem(title: &str, index: usize) -> String {
    let stem: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    if stem.trim_matches('_').is_empty() {
        format!("image-{index}")
    } else {
        stem
    }
}

#[cfg(test)]
mod tests;
