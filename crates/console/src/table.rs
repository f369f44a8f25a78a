//! Query results as an aligned text table.

use bot::reply::{Cell, Inline, Table};

use crate::text::{self, Align, Lines};

/// The widest a column gets; longer cells are cut with `…` so one long value does not push the rest off-screen.
pub(crate) const MAX_COLUMN_WIDTH: usize = 40;

/// Space between columns.
const GAP: &str = "  ";

/// Lines of the table: header, a separator of dashes, then one line per row. `bold` styles the header.
pub(crate) fn render_table(table: &Table, bold: impl Fn(&str) -> String) -> Vec<String> {
    let header: Vec<String> = table.header.iter().map(|h| cell_text_of(h)).collect();
    let rows: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|row| row.iter().map(cell_text).collect())
        .collect();
    let columns = rows.iter().map(Vec::len).fold(header.len(), usize::max);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            std::iter::once(&header)
                .chain(&rows)
                .filter_map(|row| row.get(c))
                .map(|cell| text::width(cell))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let align = |c: usize| match table.numeric.get(c) {
        Some(true) => Align::Right,
        _ => Align::Left,
    };
    let line = |cells: &[String], style: &dyn Fn(&str) -> String| {
        let padded: Vec<String> = (0..columns)
            .map(|c| {
                let cell = cells.get(c).map(String::as_str).unwrap_or("");
                let shown = if cell.is_empty() { String::new() } else { style(cell) };
                text::pad_styled(cell, shown, widths[c], align(c))
            })
            .collect();
        padded.join(GAP).trim_end().to_string()
    };
    let plain = |s: &str| s.to_string();
    let mut lines = vec![line(&header, &bold)];
    let separator: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    lines.push(line(&separator, &plain));
    lines.extend(rows.iter().map(|row| line(row, &plain)));
    lines
}

/// A cell on one line, cut to the column limit. Links show their text only: drill URLs would swamp the table.
fn cell_text(cell: &Cell) -> String {
    let joined: String = cell
        .iter()
        .map(|inline| match inline {
            Inline::Icon(tone) => format!("{} ", text::tone_symbol(*tone)),
            Inline::Text(t) | Inline::Bold(t) | Inline::Italic(t) => t.clone(),
            Inline::Code(t) => format!("`{t}`"),
            Inline::Link { text, .. } => text.clone(),
        })
        .collect();
    cell_text_of(&joined)
}

fn cell_text_of(raw: &str) -> String {
    text::truncate(&text::clean(raw, Lines::Single), MAX_COLUMN_WIDTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_cell(t: &str) -> Cell {
        vec![Inline::Text(t.into())]
    }

    #[test]
    fn columns_align_by_display_width_and_numbers_align_right() {
        let table = Table {
            header: vec!["City".into(), "Orders".into()],
            rows: vec![
                vec![text_cell("東京"), text_cell("1,234")],
                vec![
                    text_cell("Zürich"),
                    vec![Inline::Link {
                        text: "7".into(),
                        url: "https://looker.example/drill".into(),
                    }],
                ],
            ],
            numeric: vec![false, true],
        };
        let lines = render_table(&table, |s| s.to_string());
        assert_eq!(
            lines,
            vec!["City    Orders", "------  ------", "東京     1,234", "Zürich       7",]
        );
    }

    #[test]
    fn long_cells_are_cut_and_missing_cells_left_blank() {
        let long = "x".repeat(MAX_COLUMN_WIDTH + 10);
        let table = Table {
            header: vec!["A".into(), "B".into()],
            rows: vec![vec![text_cell(&long)], vec![text_cell("a"), text_cell("b")]],
            numeric: vec![],
        };
        let lines = render_table(&table, |s| s.to_string());
        assert_eq!(text::width(&lines[2]), MAX_COLUMN_WIDTH);
        assert!(lines[2].ends_with('…'));
        assert_eq!(lines[3], format!("a{}b", " ".repeat(MAX_COLUMN_WIDTH + 1)));
    }

    #[test]
    fn the_header_is_styled_without_changing_alignment() {
        let table = Table {
            header: vec!["N".into(), "Name".into()],
            rows: vec![vec![text_cell("10"), text_cell("x")]],
            numeric: vec![true, false],
        };
        let lines = render_table(&table, |s| format!("<{s}>"));
        assert_eq!(lines[0], " <N>  <Name>");
        assert_eq!(lines[2], "10  x");
    }
}
