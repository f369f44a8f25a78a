//! What Looker would POST to a webhook destination for a scheduled Look (a `DataWebhookPayload`), so tests of a
//! webhook receiver can use payloads with real data. Looker's own ids in this payload are numbers, not strings.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::detail;
use crate::resources;
use crate::state::State;

/// Image size of `wysiwyg_png` attachments.
const IMAGE_SIZE: (u32, u32) = (800, 600);

/// The payload for Look `look_id` delivered in `format` (`wysiwyg_png`, `csv`, `txt`, `json`, `json_detail`,
/// `inline_json`); `None` for an unknown Look or format, or a query that cannot run.
pub fn scheduled_look_payload(state: &State, look_id: &str, format: &str) -> Option<Value> {
    let look = state.content.look(look_id)?;
    let query = state.query(&look.query_id)?;
    let results = state.results(&query.def, None, true).ok()?;
    let result = &results.executed;
    let (mimetype, extension, data) = match format {
        "wysiwyg_png" => {
            let png = state.chart(&query.def, IMAGE_SIZE.0, IMAGE_SIZE.1).ok()?;
            ("image/png;base64", "png", base64_lines(&png))
        }
        "csv" => ("text/csv", "csv", result.to_delimited(',', true)),
        "txt" => ("text/plain", "txt", result.to_delimited('\t', true)),
        "json" | "inline_json" => ("application/json", "json", result.to_json_rows(false).to_string()),
        "json_detail" => {
            let body = detail::json_detail(&results, &state.web_url, true);
            ("application/json", "json", body.to_string())
        }
        _ => return None,
    };
    let number = |id: &str| id.parse::<u64>().map(Value::from).unwrap_or(Value::Null);
    Some(json!({
        "type": "query",
        "scheduled_plan": {
            "scheduled_plan_id": 42,
            "title": look.title,
            "type": "Look",
            "url": format!("{}/looks/{}", state.web_url, look.id),
            "query_id": number(&query.id),
            "query": resources::query_json(&query, &state.web_url),
            "filters_differ_from_look": false,
            "download_url": null,
        },
        "attachment": {"mimetype": mimetype, "extension": extension, "data": data},
        "data": null,
        "form_params": {},
    }))
}

/// Base64 with a line break every 60 characters, as Looker sends it.
fn base64_lines(bytes: &[u8]) -> String {
    let text = STANDARD.encode(bytes);
    text.as_bytes()
        .chunks(60)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}
