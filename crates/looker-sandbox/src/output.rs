//! Plain result formats of an executed query: `json` rows, `csv`/`txt` text, and the series charts draw.

use serde_json::{Map, Value};

use crate::model::Field;
use crate::query::{Executed, plain_text};

impl Executed {
    /// The `json` result format: one object per row (pivoted measures become objects keyed by pivot key).
    pub fn to_json_rows(&self, formatted: bool) -> Value {
        let rows = self.rows.iter().map(|row| {
            let mut obj = Map::new();
            for (field, value) in self.dims.iter().zip(&row.dims) {
                obj.insert(field.name.clone(), cell_value(field, value, formatted));
            }
            for (field, values) in self.measures.iter().zip(&row.measures) {
                let cell = if self.pivot_keys.is_empty() {
                    cell_value(field, &values[0], formatted)
                } else {
                    let per_key = self.pivot_keys.iter().zip(values);
                    Value::Object(
                        per_key
                            .map(|(k, v)| (k.key.clone(), cell_value(field, v, formatted)))
                            .collect(),
                    )
                };
                obj.insert(field.name.clone(), cell);
            }
            Value::Object(obj)
        });
        Value::Array(rows.collect())
    }

    /// Delimited text (`csv` or `txt`): a header of field labels, then rendered rows.
    pub fn to_delimited(&self, separator: char, formatted: bool) -> String {
        let escape = |text: String| {
            if separator == ',' && text.contains([',', '"', '\n']) {
                format!("\"{}\"", text.replace('"', "\"\""))
            } else {
                text
            }
        };
        let mut header: Vec<String> = self.dims.iter().map(|f| f.label()).collect();
        for m in &self.measures {
            if self.pivot_keys.is_empty() {
                header.push(m.label());
            } else {
                header.extend(
                    self.pivot_keys
                        .iter()
                        .map(|k| format!("{} {}", m.label(), k.key)),
                );
            }
        }
        let mut lines = vec![
            header
                .into_iter()
                .map(escape)
                .collect::<Vec<_>>()
                .join(&separator.to_string()),
        ];
        for row in &self.rows {
            let mut cells: Vec<String> = self
                .dims
                .iter()
                .zip(&row.dims)
                .map(|(f, v)| text_cell(f, v, formatted))
                .collect();
            for (m, values) in self.measures.iter().zip(&row.measures) {
                cells.extend(values.iter().map(|v| text_cell(m, v, formatted)));
            }
            lines.push(
                cells
                    .into_iter()
                    .map(escape)
                    .collect::<Vec<_>>()
                    .join(&separator.to_string()),
            );
        }
        lines.join("\n") + "\n"
    }

    /// The first dimension's labels and the first measure's values, for charts.
    pub fn chart_series(&self) -> (Vec<String>, Vec<f64>) {
        let labels = self
            .rows
            .iter()
            .map(|r| r.dims.first().map(plain_text).unwrap_or_default())
            .collect();
        let values = self
            .rows
            .iter()
            .map(|r| {
                r.measures
                    .first()
                    .and_then(|m| m.iter().filter_map(Value::as_f64).reduce(|a, b| a + b))
            })
            .map(Option::unwrap_or_default)
            .collect();
        (labels, values)
    }
}

fn cell_value(field: &Field, value: &Value, formatted: bool) -> Value {
    match (formatted, crate::format::rendered(field, value)) {
        (true, Some(text)) => Value::String(text),
        _ => value.clone(),
    }
}

fn text_cell(field: &Field, value: &Value, formatted: bool) -> String {
    plain_text(&cell_value(field, value, formatted))
}
