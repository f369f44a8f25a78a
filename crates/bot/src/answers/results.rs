//! Turning a Looker query result into a reply: a single value, a record, a table, or "No results."

use looker::models::{Cell, Query, QueryResult, ResultField, Row};
use serde_json::Value;

use crate::reply::{Block, Button, Inline, Table};
use crate::sink::ReplyLimits;

/// Rows Looker is asked for: what a table reply can show (the sink's [`ReplyLimits`]), plus one to know there are
/// more. Asking for no more keeps a reply's cost independent of how many rows the query has.
pub fn rows_asked(limits: &ReplyLimits) -> u32 {
    u32::try_from(limits.table_rows).unwrap_or(u32::MAX).saturating_add(1)
}

/// The `limit` to run `query` with: [`rows_asked`], or the query's own limit when that is smaller.
pub fn rows_to_ask(query: &Query, limits: &ReplyLimits) -> u32 {
    let asked = rows_asked(limits);
    own_limit(query).map_or(asked, |own| own.min(asked))
}

fn own_limit(query: &Query) -> Option<u32> {
    query.limit.as_deref().and_then(|limit| limit.trim().parse().ok())
}

/// What people see for a null value.
pub const NULL_VALUE: &str = "∅";
/// The first cell of the totals row, and the header suffix of row-total columns.
pub const TOTAL_LABEL: &str = "Total";
/// The key Looker gives a pivoted measure's row total.
const ROW_TOTAL_KEY: &str = "$$$_row_total_$$$";

/// How a query's result is shown, from its visualization type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presentation {
    SingleValue,
    Record,
    Table,
    /// Any other visualization: a chart image.
    Chart,
}

impl Presentation {
    pub fn of(query: &Query) -> Presentation {
        match query.vis_type() {
            None | Some("table") | Some("looker_grid") => Presentation::Table,
            Some("single_value") => Presentation::SingleValue,
            Some("looker_single_record") => Presentation::Record,
            Some(_) => Presentation::Chart,
        }
    }
}

/// What a result reply needs besides the data.
pub struct ResultView<'a> {
    pub query: &'a Query,
    pub result: &'a QueryResult,
    /// Where "open in Looker" goes.
    pub link: Option<String>,
    /// The Looker web URL, to make relative drill links absolute.
    pub looker_base: &'a str,
    /// Data-action buttons on single values, when offered.
    pub buttons: bool,
    /// How much the reply can hold where it goes.
    pub limits: ReplyLimits,
}

/// A column of the result: a field, or a (measure, pivot) pair in a pivoted result.
struct Column<'a> {
    field: &'a ResultField,
    pivot: Option<(&'a str, String)>,
    measure: bool,
}

impl ResultView<'_> {
    /// The blocks that show the data (without a title).
    pub fn blocks(&self) -> Vec<Block> {
        if self.result.data.is_empty() {
            return vec![Block::Paragraph(
                self.with_link(vec![Inline::Text("No results.".into())]),
            )];
        }
        let columns = self.columns();
        let presentation = Presentation::of(self.query);
        match presentation {
            Presentation::SingleValue => self.single_value(&columns),
            Presentation::Record => self.record(&columns),
            _ if self.result.data.len() == 1 && self.result.pivots.is_empty() => self.record(&columns),
            _ => self.table(&columns),
        }
    }

    fn with_link(&self, mut inlines: Vec<Inline>) -> Vec<Inline> {
        if let Some(url) = &self.link {
            inlines.push(Inline::Text(" ".into()));
            inlines.push(Inline::Link {
                text: "Open in Looker".into(),
                url: url.clone(),
            });
        }
        inlines
    }

    /// Full labels ("Orders Count") only when the visualization asks for them, as in Looker's tables; short
    /// labels ("Count") otherwise.
    fn show_view_names(&self) -> bool {
        vis_bool(self.query, "show_view_names").unwrap_or(false)
    }

    fn hidden_fields(&self) -> Vec<String> {
        self.query
            .vis_config
            .as_ref()
            .and_then(|v| v.get("hidden_fields"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default()
    }

    fn columns(&self) -> Vec<Column<'_>> {
        let hidden = self.hidden_fields();
        let visible = |f: &&ResultField| !hidden.contains(&f.name) && f.hidden != Some(true);
        let fields = &self.result.fields;
        let mut columns: Vec<Column> = fields
            .dimensions
            .iter()
            .filter(visible)
            .map(|field| Column {
                field,
                pivot: None,
                measure: false,
            })
            .collect();
        let measures = fields.measures.iter().chain(&fields.table_calculations).filter(visible);
        if self.result.pivots.is_empty() {
            columns.extend(measures.map(|field| Column {
                field,
                pivot: None,
                measure: true,
            }));
        } else {
            for field in measures {
                for pivot in &self.result.pivots {
                    columns.push(Column {
                        field,
                        pivot: Some((pivot.key.as_str(), pivot_label(pivot))),
                        measure: true,
                    });
                }
                if self.has_row_total(field) {
                    columns.push(Column {
                        field,
                        pivot: Some((ROW_TOTAL_KEY, TOTAL_LABEL.to_string())),
                        measure: true,
                    });
                }
            }
        }
        columns
    }

    /// Whether a pivoted measure carries a row total (the query asked for `row_total`).
    fn has_row_total(&self, field: &ResultField) -> bool {
        self.result
            .data
            .first()
            .and_then(|row| row.get(&field.name))
            .is_some_and(|entry| entry.cell(Some(ROW_TOTAL_KEY)).is_some())
    }

    /// The totals row (`total: true`): "Total" under the first column, each measure's total under it.
    fn totals_row(&self, columns: &[Column]) -> Option<Vec<Vec<Inline>>> {
        let totals = self.result.totals_data.as_ref().filter(|t| !t.is_empty())?;
        let row = columns
            .iter()
            .enumerate()
            .map(|(index, column)| {
                if !column.measure {
                    let label = if index == 0 { TOTAL_LABEL } else { "" };
                    return vec![Inline::Bold(label.to_string())];
                }
                let total = self.value(totals, column).and_then(Cell::display);
                vec![Inline::Bold(total.unwrap_or_default())]
            })
            .collect();
        Some(row)
    }

    fn header(&self, column: &Column) -> String {
        let label = column.field.display_label(self.show_view_names());
        match &column.pivot {
            Some((_, pivot)) => format!("{label} · {pivot}"),
            None => label,
        }
    }

    /// A column's cell in a row (or in the totals), looked up through its pivot key.
    fn value<'r>(&self, row: &'r Row, column: &Column) -> Option<&'r Cell> {
        let pivot = column.pivot.as_ref().map(|(key, _)| *key);
        row.get(&column.field.name)?.cell(pivot)
    }

    fn cell(&self, row: &Row, column: &Column) -> Vec<Inline> {
        let empty = Cell::default();
        let cell = self.value(row, column).unwrap_or(&empty);
        let text = cell.display().unwrap_or_else(|| NULL_VALUE.to_string());
        match measure_drill(cell) {
            Some(url) if column.measure && cell.value != Value::Null => {
                vec![Inline::Link {
                    text,
                    url: absolute(self.looker_base, url),
                }]
            }
            _ => vec![Inline::Text(text)],
        }
    }

    fn single_value(&self, columns: &[Column]) -> Vec<Block> {
        let row = &self.result.data[0];
        let Some(column) = columns.iter().find(|c| c.measure).or(columns.first()) else {
            return vec![Block::Paragraph(vec![Inline::Text("No results.".into())])];
        };
        let empty = Cell::default();
        let cell = row
            .get(&column.field.name)
            .and_then(|entry| entry.cell(None))
            .unwrap_or(&empty);
        let value = cell.display().unwrap_or_else(|| NULL_VALUE.to_string());
        let mut blocks = vec![Block::Paragraph(self.with_link(vec![Inline::Bold(value)]))];
        if self.buttons {
            let buttons = action_buttons(cell, self.looker_base, self.limits.button_value);
            if !buttons.is_empty() {
                blocks.push(Block::Buttons(buttons));
            }
        }
        blocks
    }

    fn record(&self, columns: &[Column]) -> Vec<Block> {
        let row = &self.result.data[0];
        let fields = columns.iter().map(|c| (self.header(c), self.cell(row, c))).collect();
        let mut blocks = vec![Block::Fields(fields)];
        if let Some(url) = &self.link {
            blocks.push(Block::Context(vec![Inline::Link {
                text: "Open in Looker".into(),
                url: url.clone(),
            }]));
        }
        blocks
    }

    fn table(&self, columns: &[Column]) -> Vec<Block> {
        let shown_columns = &columns[..columns.len().min(self.limits.table_columns)];
        let totals = self.totals_row(shown_columns);
        let room = self.limits.table_rows.saturating_sub(usize::from(totals.is_some()));
        let mut rows: Vec<_> = self
            .result
            .data
            .iter()
            .take(room)
            .map(|row| shown_columns.iter().map(|c| self.cell(row, c)).collect())
            .collect();
        rows.extend(totals);
        let table = Table {
            header: shown_columns.iter().map(|c| self.header(c)).collect(),
            numeric: shown_columns
                .iter()
                .map(|c| c.measure || c.field.is_numeric == Some(true))
                .collect(),
            rows,
        };
        let mut notes = Vec::new();
        let hidden_rows = self.result.data.len().saturating_sub(room);
        // Only `rows_asked` rows were asked for: when that many came, how many more there are is unknown.
        let asked = rows_asked(&self.limits);
        let cut_by_the_bot =
            self.result.data.len() >= asked as usize && own_limit(self.query).is_none_or(|own| own > asked);
        if cut_by_the_bot {
            notes.push("More rows not shown.".to_string());
        } else if hidden_rows > 0 {
            notes.push(format!("{hidden_rows} more rows not shown."));
        }
        let hidden_columns = columns.len() - shown_columns.len();
        if hidden_columns > 0 {
            notes.push(format!("{hidden_columns} more columns not shown."));
        }
        let mut context = vec![Inline::Text(notes.join(" "))];
        if notes.is_empty() {
            context.clear();
        }
        if let Some(url) = &self.link {
            if !context.is_empty() {
                context.push(Inline::Text(" ".into()));
            }
            let text = if notes.is_empty() {
                "Open in Looker"
            } else {
                "See all in Looker"
            };
            context.push(Inline::Link {
                text: text.into(),
                url: url.clone(),
            });
        }
        let mut blocks = vec![Block::Table(table)];
        if !context.is_empty() {
            blocks.push(Block::Context(context));
        }
        blocks
    }
}

fn vis_bool(query: &Query, key: &str) -> Option<bool> {
    query.vis_config.as_ref()?.get(key)?.as_bool()
}

fn pivot_label(pivot: &looker::models::PivotValue) -> String {
    let values: Vec<String> = pivot
        .data
        .values()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            Value::Null => NULL_VALUE.to_string(),
            other => other.to_string(),
        })
        .collect();
    if values.is_empty() {
        pivot.key.clone()
    } else {
        values.join(", ")
    }
}

/// The link behind a measure's value: Looker marks a measure's own drill `measure_default` (the real `json_detail`
/// does); a plain `drill` is taken when there is none.
fn measure_drill(cell: &Cell) -> Option<&str> {
    ["measure_default", "drill"]
        .iter()
        .find_map(|kind| cell.links.iter().find(|link| link.kind.as_deref() == Some(*kind)))
        .and_then(|link| link.url.as_deref())
}

/// Makes a Looker link absolute (drill links are relative to the Looker web URL).
pub fn absolute(base: &str, url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        url.to_string()
    } else {
        format!("{}/{}", base.trim_end_matches('/'), url.trim_start_matches('/'))
    }
}

/// Buttons for a cell's data actions: only actions without a form, as a form cannot be filled in from a button.
fn action_buttons(cell: &Cell, looker_base: &str, max_value: usize) -> Vec<Button> {
    cell.links
        .iter()
        .filter(|l| l.kind.as_deref() == Some("action") && l.form_url.is_none() && l.form.is_none())
        .filter_map(|link| {
            let value = crate::answers::actions::ButtonValue {
                looker_url: looker_base.to_string(),
                action: link.raw.clone(),
            };
            let encoded = value.encode(max_value)?;
            Some(Button {
                label: link.label.clone().unwrap_or_else(|| "Run action".into()),
                value: encoded,
            })
        })
        .collect()
}
