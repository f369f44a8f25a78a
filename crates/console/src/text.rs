//! Making text from replies safe and measurable on a terminal.
//!
//! Reply text comes from Looker data and from people: a stray escape sequence in a dimension value must not be able
//! to recolour, move the cursor or retitle the admin's terminal, so every string is cleaned before it is printed.

use bot::reply::Tone;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// What a cleaned control character becomes, so that something visibly was there.
const REPLACEMENT: char = '\u{FFFD}';

/// Whether a piece of text may span lines (paragraphs) or must stay on one (cells, labels, headings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lines {
    Multi,
    Single,
}

/// Replaces control characters (C0 but newline and tab, DEL, C1) with U+FFFD and drops carriage returns and
/// bidirectional overrides. On a single line, newlines and tabs become spaces.
pub(crate) fn clean(text: &str, lines: Lines) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' if lines == Lines::Single => out.push(' '),
            '\n' | '\t' => out.push(c),
            '\r' => {}
            c if is_bidi_control(c) => {}
            c if c.is_control() => out.push(REPLACEMENT),
            c => out.push(c),
        }
    }
    out
}

/// Embeddings, overrides and isolates can make printed text read in another order than it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The symbol a terminal shows for a tone.
pub fn tone_symbol(tone: Tone) -> &'static str {
    match tone {
        Tone::Progress => "⏳",
        Tone::Success => "✅",
        Tone::Warning => "⚠️",
        Tone::Failure => "❌",
    }
}

/// Columns the text takes on a terminal.
pub(crate) fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// Cuts text to at most `max` columns, ending with `…` when something was cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Where padding goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// Pads `shown` (text wrapped in escape codes) as if it were `text`: escape codes take no columns.
pub(crate) fn pad_styled(text: &str, shown: String, columns: usize, align: Align) -> String {
    let fill = " ".repeat(columns.saturating_sub(width(text)));
    match align {
        Align::Left => format!("{shown}{fill}"),
        Align::Right => format!("{fill}{shown}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_replaced_and_layout_characters_kept_on_multiple_lines() {
        let dirty = "a\u{1b}[31mred\u{7}\r\nb\tc\u{9b}2J\u{202E}x\u{7f}";
        assert_eq!(
            clean(dirty, Lines::Multi),
            "a\u{FFFD}[31mred\u{FFFD}\nb\tc\u{FFFD}2Jx\u{FFFD}"
        );
    }

    #[test]
    fn a_single_line_turns_newlines_and_tabs_into_spaces() {
        assert_eq!(clean("a\nb\tc\r", Lines::Single), "a b c");
    }

    #[test]
    fn truncation_and_padding_count_display_columns() {
        assert_eq!(width("日本"), 4);
        assert_eq!(truncate("日本語です", 5), "日本…");
        assert_eq!(truncate("short", 5), "short");
        assert_eq!(pad_styled("日本", "日本".into(), 6, Align::Left), "日本  ");
        assert_eq!(pad_styled("7", "<7>".into(), 3, Align::Right), "  <7>");
    }
}
