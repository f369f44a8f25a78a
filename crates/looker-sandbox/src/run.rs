//! Running queries into result formats, and render tasks.

use std::collections::HashMap;

use serde_json::json;

use crate::api::{Call, Reply, error, not_found, validation_error};
use crate::chart::{self, ChartKind};
use crate::content::Dashboard;
use crate::detail;
use crate::query::{QueryDef, QueryError};
use crate::render_tasks::{Target, TaskResult};
use crate::state::State;
use crate::users::User;

const DEFAULT_IMAGE_WIDTH: u32 = 800;
const DEFAULT_IMAGE_HEIGHT: u32 = 600;

/// A PNG answer, or an empty body when the `EmptyImage` fault is injected, or one padded to the `Oversized` fault's
/// size (a private ancillary chunk before the end, so it is still a valid PNG).
fn image_reply(mut bytes: Vec<u8>, call: &Call) -> Reply {
    if call.empty_image {
        bytes.clear();
    } else if let Some(size) = call.oversized.filter(|size| *size > bytes.len() + 24) {
        const IEND_CHUNK: usize = 12;
        let end = bytes.split_off(bytes.len().saturating_sub(IEND_CHUNK));
        let padding = size - bytes.len() - IEND_CHUNK - 12;
        bytes.extend_from_slice(&u32::try_from(padding).unwrap_or(u32::MAX).to_be_bytes());
        let chunk_start = bytes.len();
        bytes.extend_from_slice(b"paDd");
        bytes.resize(bytes.len() + padding, 0);
        let crc = crc32(&bytes[chunk_start..]);
        bytes.extend_from_slice(&crc.to_be_bytes());
        bytes.extend_from_slice(&end);
    }
    Reply::Bytes {
        status: 200,
        content_type: "image/png",
        bytes,
    }
}

/// A query the database refused, answered 200 with the error in the body as Looker does.
fn query_failed(format: &str, message: &str) -> Reply {
    match format {
        "json" => Reply::Json(200, json!([{"looker_error": message}])),
        "json_detail" => Reply::Json(
            200,
            json!({"status": "error", "data": [{"looker_error": message}], "errors": [{"message": message, "level": "error"}], "sql": ""}),
        ),
        _ => Reply::Bytes {
            status: 200,
            content_type: "text/plain",
            bytes: format!("looker_error\n{message}\n").into_bytes(),
        },
    }
}

/// Runs a query in a result format. A query that cannot run (bad filter, unknown field) answers 200 with the error
/// in the body, as Looker does for SQL errors: `[{"looker_error": ...}]` for `json`, a `looker_error` row and an
/// `errors` list for `json_detail`, a `looker_error` line for text formats; image and `sql` formats answer 400.
pub fn run(state: &State, def: &QueryDef, format: &str, call: &Call) -> Reply {
    let Some(def) = &state.runnable(call.user, def) else {
        return not_found();
    };
    let formatted = call.param::<bool>("apply_formatting").unwrap_or(false);
    let text = |content_type, body: String| Reply::Bytes {
        status: 200,
        content_type,
        bytes: body.into_bytes(),
    };
    if format == "sql" {
        return match crate::query::sql_for(def, state.today) {
            Ok(sql) => text("text/plain", sql),
            Err(e) => error(400, e.0),
        };
    }
    if format == "png" {
        let width = call.param("image_width").unwrap_or(DEFAULT_IMAGE_WIDTH);
        let height = call.param("image_height").unwrap_or(DEFAULT_IMAGE_HEIGHT);
        return match state.chart(def, width, height) {
            Ok(bytes) => image_reply(bytes, call),
            Err(e) => error(400, e.0),
        };
    }
    if !matches!(format, "json" | "json_detail" | "csv" | "txt") {
        let why = if format == "jpg" {
            "The Looker sandbox renders images as png only; ask for png".to_owned()
        } else {
            format!("Unsupported result format '{format}' (the sandbox serves json, json_detail, csv, txt, sql, png)")
        };
        return error(400, why);
    }
    if let Some(message) = call.query_error {
        return query_failed(format, message);
    }
    let results = match state.results(def, call.param("limit"), call.param("cache").unwrap_or(true)) {
        Ok(results) => results,
        Err(e) => return query_failed(format, &e.0),
    };
    let result = &results.executed;
    match format {
        "json" => Reply::Json(200, result.to_json_rows(formatted)),
        "json_detail" => {
            let drill = call.param::<bool>("generate_drill_links").unwrap_or(true);
            let mut detail = detail::json_detail(&results, &state.web_url, drill);
            if let Some(rows) = call.oversized {
                repeat_rows(&mut detail, rows);
            }
            Reply::Json(200, detail)
        }
        "csv" => text("text/csv", result.to_delimited(',', formatted)),
        _ => text("text/plain", result.to_delimited('\t', formatted)),
    }
}

/// `create_{query,look,dashboard}_render_task`: png only, 1..=4000 pixels each side.
pub fn create_render_task(state: &State, operation_id: &str, call: &Call) -> Reply {
    let format = call.path("result_format");
    if format != "png" {
        return error(400, format!("The Looker sandbox renders png only, not '{format}'"));
    }
    let (width, height) = (call.param("width").unwrap_or(0), call.param("height").unwrap_or(0));
    if width == 0 || height == 0 || width > chart::MAX_SIDE || height > chart::MAX_SIDE {
        let body = validation_error("width", "invalid", "width and height must be between 1 and 4000");
        return Reply::Json(422, body);
    }
    if !call.user.access_data {
        return not_found();
    }
    let target = match operation_id {
        "create_query_render_task" => {
            let id = call.path("query_id");
            state.query(id).map(|_| Target::Query(id.to_owned()))
        }
        "create_look_render_task" => {
            let id = call.path("look_id");
            (state.content.look(id))
                .filter(|l| call.user.sees_folder(l.folder_id))
                .map(|_| Target::Look(id.to_owned()))
        }
        _ => {
            let id = call.path("dashboard_id");
            (state.content.dashboard(id))
                .filter(|d| call.user.sees_folder(d.folder_id))
                .map(|_| Target::Dashboard {
                    id: id.to_owned(),
                    filters: call.body["dashboard_filters"].as_str().unwrap_or_default().to_owned(),
                    style: call.body["dashboard_style"].as_str().unwrap_or("tiled").to_owned(),
                })
        }
    };
    let Some(target) = target else {
        return not_found();
    };
    // Rendered now, handed out when the task reaches its last status; a query that cannot run makes it fail.
    let outcome = render_target(state, call.user, &target, width, height).map_err(|e| e.0);
    let task = state.render_tasks.create(target, format, width, height, outcome);
    Reply::Json(200, task)
}

fn render_target(state: &State, user: &User, target: &Target, width: u32, height: u32) -> Result<Vec<u8>, QueryError> {
    let missing = || QueryError("The content of this render task no longer exists".into());
    let chart = |def: &QueryDef| {
        let def = state.runnable(user, def).ok_or_else(missing)?;
        state.chart(&def, width, height)
    };
    match target {
        Target::Query(id) => chart(&state.query(id).ok_or_else(missing)?.def),
        Target::Look(id) => {
            let look = state.content.look(id).ok_or_else(missing)?;
            chart(&state.query(&look.query_id).ok_or_else(missing)?.def)
        }
        Target::Dashboard { id, filters, .. } => render_dashboard(
            state,
            user,
            state.content.dashboard(id).ok_or_else(missing)?,
            filters,
            width,
            height,
        ),
    }
}

/// The image of a finished task; 202 until then. A failed task's results answer 400 with the reason.
pub fn render_task_results(state: &State, call: &Call) -> Reply {
    match state.render_tasks.result(call.path("render_task_id")) {
        None => not_found(),
        Some(TaskResult::NotReady) => Reply::NotReady,
        Some(TaskResult::Image(bytes)) => image_reply(bytes.to_vec(), call),
        Some(TaskResult::Failed(reason)) => error(400, reason),
    }
}

/// Renders a dashboard's tiles in a grid, applying `filters` (URL query format, e.g. `State=Texas`), or the
/// filters' defaults, to the fields that listen to them.
pub fn render_dashboard(
    state: &State,
    user: &User,
    d: &Dashboard,
    filters: &str,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, QueryError> {
    let values: HashMap<String, String> = serde_urlencoded::from_str(filters).unwrap_or_default();
    let mut tiles = Vec::new();
    for tile in &d.tiles {
        let Some(mut q) = state.query(&tile.query_id) else {
            continue;
        };
        for (filter_name, field) in &tile.listens {
            // A filter not in the URL takes its default, as the dashboard would show it.
            let value = values.get(*filter_name).map(String::as_str).or_else(|| {
                d.filters
                    .iter()
                    .find(|f| f.name == *filter_name)
                    .map(|f| f.default_value)
            });
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                q.def.filters.insert(field.to_string(), value.to_owned());
            }
        }
        let def = state
            .runnable(user, &q.def)
            .ok_or_else(|| QueryError("No access to the dashboard's data".into()))?;
        let (_, series) = state.run(&def, None)?.chart_series();
        tiles.push((ChartKind::for_vis(q.def.vis_type()), series));
    }
    Ok(chart::render_grid(&tiles, width, height))
}

/// Repeats the rows of a `json_detail` result until there are `count` (the `Oversized` fault).
fn repeat_rows(detail: &mut serde_json::Value, count: usize) {
    let Some(rows) = detail["data"].as_array_mut().filter(|rows| !rows.is_empty()) else {
        return;
    };
    let originals = rows.clone();
    rows.extend(
        originals
            .iter()
            .cycle()
            .take(count.saturating_sub(originals.len()))
            .cloned(),
    );
}

/// The CRC-32 PNG chunks carry (ISO 3309), bit by bit: only the padding of test images needs it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
