//! The neutral reply model as terminal text.
//!
//! All text from a reply is cleaned of control characters here (see [`crate::text::clean`]); the only escape codes
//! in the output are the ones this module adds for bold, italic and dim when [`Style::color`] is on.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use bot::reply::{Block, Button, Cell, ImageSource, Inline, Reply, Visibility};

use crate::table::render_table;
use crate::text::{self, Align, Lines};

/// What private replies say, since a terminal has no ephemeral messages.
pub const PRIVATE_MARKER: &str = "(only you can see this)";

/// The longest a divider line gets, whatever the terminal width.
const MAX_DIVIDER: usize = 60;

/// How replies are drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    /// Use ANSI escape codes for bold, italic and dim (otherwise `*bold*`, `_italic_`, plain small print).
    pub color: bool,
    /// Terminal columns, for dividers and for putting a long heading's link on its own line.
    pub width: usize,
}

impl Default for Style {
    /// No color, 80 columns: what a pipe or a test gets.
    fn default() -> Self {
        Style {
            color: false,
            width: 80,
        }
    }
}

impl Style {
    /// Color when stdout is a terminal and `NO_COLOR` is unset; width from `COLUMNS`, else 80.
    pub fn for_stdout() -> Self {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok())
            .filter(|w: &usize| *w > 0)
            .unwrap_or(80);
        Style { color, width }
    }

    pub(crate) fn bold(&self, text: &str) -> String {
        self.wrap(text, ("\u{1b}[1m", "\u{1b}[22m"), "*")
    }

    /// Bold on a color terminal, unmarked otherwise (labels and speakers, which need no `*`).
    pub(crate) fn bold_if_color(&self, text: &str) -> String {
        if self.color { self.bold(text) } else { text.to_string() }
    }

    fn italic(&self, text: &str) -> String {
        self.wrap(text, ("\u{1b}[3m", "\u{1b}[23m"), "_")
    }

    fn dim(&self, text: &str) -> String {
        self.wrap(text, ("\u{1b}[2m", "\u{1b}[22m"), "")
    }

    fn wrap(&self, text: &str, (on, off): (&str, &str), plain_mark: &str) -> String {
        if text.is_empty() {
            String::new()
        } else if self.color {
            format!("{on}{text}{off}")
        } else {
            format!("{plain_mark}{text}{plain_mark}")
        }
    }
}

/// The reply as terminal text, without a trailing newline. PNG images show as not saved: use
/// [`render_with_images`] once they are written to disk.
pub fn render(reply: &Reply, style: &Style) -> String {
    render_with_images(reply, style, &[])
}

/// The reply as terminal text, `saved` holding where each PNG image of the reply (in block order) was written.
pub fn render_with_images(reply: &Reply, style: &Style, saved: &[PathBuf]) -> String {
    let mut renderer = Renderer {
        style,
        reply,
        saved: saved.iter(),
        lines: Vec::new(),
    };
    for block in &reply.blocks {
        renderer.block(block);
    }
    if reply.visibility == Visibility::OnlyAsker {
        let marker = style.dim(PRIVATE_MARKER);
        match renderer.lines.as_mut_slice() {
            [only] if !only.contains('\n') => *only = format!("{only} {marker}"),
            _ => renderer.lines.push(marker),
        }
    }
    renderer.lines.join("\n")
}

struct Renderer<'a> {
    style: &'a Style,
    reply: &'a Reply,
    saved: std::slice::Iter<'a, PathBuf>,
    /// Output lines; a paragraph with line breaks is one entry.
    lines: Vec<String>,
}

impl Renderer<'_> {
    fn block(&mut self, block: &Block) {
        match block {
            Block::Heading { text, link } => self.heading(text, link.as_deref()),
            Block::Paragraph(inlines) => {
                let line = self.inlines(inlines, Lines::Multi);
                self.lines.push(line);
            }
            Block::Fields(fields) => self.fields(fields),
            Block::Table(table) => {
                let style = self.style;
                self.lines.extend(render_table(table, |cell| style.bold_if_color(cell)));
            }
            Block::Image { source, title, link } => self.image(source, title, link.as_deref()),
            Block::Buttons(buttons) => self.lines.push(buttons_line(buttons)),
            Block::Context(inlines) => {
                let line = self.inlines(inlines, Lines::Multi);
                let dimmed: Vec<String> = line.split('\n').map(|l| self.style.dim(l)).collect();
                self.lines.push(dimmed.join("\n"));
            }
            Block::Divider => self.lines.push("─".repeat(self.style.width.clamp(3, MAX_DIVIDER))),
        }
    }

    /// A bold title, its link after it in parentheses, or on the next line when that would not fit.
    fn heading(&mut self, title: &str, link: Option<&str>) {
        let title = text::clean(title, Lines::Single);
        let bold = self.style.bold(&title);
        match link.map(|l| text::clean(l, Lines::Single)) {
            None => self.lines.push(bold),
            Some(link) if text::width(&title) + text::width(&link) + 3 <= self.style.width => {
                self.lines.push(format!("{bold} ({link})"))
            }
            Some(link) => {
                self.lines.push(bold);
                self.lines.push(link);
            }
        }
    }

    /// `label: value` lines, values aligned after the longest label.
    fn fields(&mut self, fields: &[(String, Cell)]) {
        let labels: Vec<String> = fields
            .iter()
            .map(|(label, _)| format!("{}:", text::clean(label, Lines::Single)))
            .collect();
        let label_width = labels.iter().map(|l| text::width(l)).max().unwrap_or(0);
        for (label, (_, value)) in labels.iter().zip(fields) {
            let label = text::pad_styled(label, self.style.bold_if_color(label), label_width, Align::Left);
            let value = self.inlines(value, Lines::Single);
            self.lines.push(format!("{label} {value}").trim_end().to_string());
        }
    }

    fn image(&mut self, source: &ImageSource, title: &str, link: Option<&str>) {
        let title = text::clean(title, Lines::Single);
        let whereabouts = match source {
            ImageSource::Png(_) => match self.saved.next() {
                Some(path) => format!("saved to {}", shown_path(path)),
                None => "(not saved)".to_string(),
            },
            ImageSource::Url(url) => format!("<{}>", text::clean(url, Lines::Single)),
        };
        let mut line = format!("[image: {title}] {whereabouts}");
        // A chart usually follows a heading that already links to the same place.
        if let Some(link) = link.filter(|l| !self.heading_links_to(l)) {
            line.push_str(&format!(" ({})", text::clean(link, Lines::Single)));
        }
        self.lines.push(line);
    }

    fn heading_links_to(&self, link: &str) -> bool {
        self.reply
            .blocks
            .iter()
            .any(|b| matches!(b, Block::Heading { link: Some(l), .. } if l == link))
    }

    fn inlines(&self, inlines: &[Inline], lines: Lines) -> String {
        inlines.iter().map(|i| self.inline(i, lines)).collect()
    }

    fn inline(&self, inline: &Inline, lines: Lines) -> String {
        let readable = |t: &str| text::clean(t, lines);
        match inline {
            Inline::Icon(tone) => format!("{} ", text::tone_symbol(*tone)),
            Inline::Text(t) => readable(t),
            Inline::Bold(t) => self.style.bold(&readable(t)),
            Inline::Italic(t) => self.style.italic(&readable(t)),
            Inline::Code(t) => format!("`{}`", text::clean(t, lines)),
            Inline::Link { text: label, url } => {
                let url = text::clean(url, Lines::Single);
                let label = readable(label);
                if label.is_empty() || label == url {
                    format!("<{url}>")
                } else {
                    format!("{label} <{url}>")
                }
            }
        }
    }
}

fn buttons_line(buttons: &[Button]) -> String {
    buttons
        .iter()
        .map(|b| format!("[{}]", text::clean(&b.label, Lines::Single)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A path as printed: cleaned like any text, since a title went into the file name.
fn shown_path(path: &Path) -> String {
    text::clean(&path.display().to_string(), Lines::Single)
}

#[cfg(test)]
mod tests;
