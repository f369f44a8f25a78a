//! The operations the sandbox serves, by spec operationId. Requests reaching here already match the spec.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::chart::{self, ChartKind};
use crate::content::{self, Dashboard, Listen, title_matches};
use crate::detail;
use crate::query::QueryDef;
use crate::render_tasks::Target;
use crate::resources::{self, StoredQuery};
use crate::state::State;

pub const DOCS_URL: &str = "https://cloud.google.com/looker/docs/r/api/4.0";
const DEFAULT_IMAGE_WIDTH: u32 = 800;
const DEFAULT_IMAGE_HEIGHT: u32 = 600;

/// What an operation answers.
#[derive(Debug)]
pub enum Reply {
    Json(u16, Value),
    Bytes {
        status: u16,
        content_type: &'static str,
        bytes: Vec<u8>,
    },
    NoContent,
    /// 202 with an empty body and `Retry-After: 1` (render results not ready).
    NotReady,
}

/// Looker's `Error` body.
pub fn error(status: u16, message: impl Into<String>) -> Reply {
    Reply::Json(
        status,
        json!({"message": message.into(), "documentation_url": DOCS_URL}),
    )
}

/// Looker's `ValidationError` body with one error.
pub fn validation_error(field: &str, code: &str, message: &str) -> Value {
    json!({
        "message": "Validation Failed",
        "errors": [{"field": field, "code": code, "message": message, "documentation_url": DOCS_URL}],
        "documentation_url": DOCS_URL,
    })
}

fn not_found() -> Reply {
    error(404, "Not found")
}

/// One call's inputs.
pub struct Call<'a> {
    pub path: &'a HashMap<String, String>,
    pub query: &'a HashMap<String, String>,
    pub body: &'a Value,
    pub raw_body: &'a [u8],
    pub authorization: Option<&'a str>,
    /// Whether an `EmptyImage` fault applies to this call.
    pub empty_image: bool,
}

impl Call<'_> {
    fn path(&self, name: &str) -> &str {
        self.path.get(name).map(String::as_str).unwrap_or_default()
    }

    fn param<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.query.get(name).and_then(|v| v.parse().ok())
    }
}

pub fn dispatch(state: &State, operation_id: &str, call: &Call) -> Reply {
    match operation_id {
        "login" => login(state, call),
        "logout" => {
            state.tokens.revoke(call.authorization);
            Reply::NoContent
        }
        "me" => Reply::Json(200, resources::user_json(&state.web_url)),
        "versions" => Reply::Json(200, versions(&state.web_url)),
        "look" => look(state, call.path("look_id")),
        "all_looks" => Reply::Json(200, json!(search_looks(state, &HashMap::new()))),
        "search_looks" => Reply::Json(200, json!(search_looks(state, call.query))),
        "run_look" => match state
            .content
            .look(call.path("look_id"))
            .and_then(|l| state.query(&l.query_id))
        {
            Some(q) => run(state, &q.def, call.path("result_format"), call),
            None => not_found(),
        },
        "dashboard" => match state.content.dashboard(call.path("dashboard_id")) {
            Some(d) => Reply::Json(200, dashboard(state, d)),
            None => not_found(),
        },
        "search_dashboards" => Reply::Json(200, json!(search_dashboards(state, call.query))),
        "dashboard_dashboard_elements" => {
            match state.content.dashboard(call.path("dashboard_id")) {
                Some(d) => Reply::Json(200, dashboard(state, d)["dashboard_elements"].clone()),
                None => not_found(),
            }
        }
        "folder" => match state.content.folder(call.path("folder_id")) {
            Some(f) => Reply::Json(
                200,
                resources::folder_json(f, &state.content, &state.web_url),
            ),
            None => not_found(),
        },
        "folder_children" | "folder_dashboards" | "folder_looks" => {
            folder_contents(state, operation_id, call)
        }
        "search_folders" => Reply::Json(200, json!(search_folders(state, call.query))),
        "query" => stored_query(state, state.query(call.path("query_id"))),
        "query_for_slug" => stored_query(state, state.query_by_slug(call.path("slug"))),
        "create_query" => {
            let stored = state.save_query(QueryDef::from_json(call.body));
            Reply::Json(200, resources::query_json(&stored, &state.web_url))
        }
        "run_query" => match state.query(call.path("query_id")) {
            Some(q) => run(state, &q.def, call.path("result_format"), call),
            None => not_found(),
        },
        "run_inline_query" => run(
            state,
            &QueryDef::from_json(call.body),
            call.path("result_format"),
            call,
        ),
        "create_query_render_task" | "create_look_render_task" | "create_dashboard_render_task" => {
            create_render_task(state, operation_id, call)
        }
        "render_task" => match state.render_tasks.poll(call.path("render_task_id")) {
            Some(task) => Reply::Json(200, task.to_json()),
            None => not_found(),
        },
        "render_task_results" => render_task_results(state, call),
        "perform_data_action" => perform_data_action(state, call.body),
        "fetch_remote_data_action_form" => Reply::Json(200, data_action_form()),
        other => error(
            404,
            format!("Not found (the Looker sandbox does not implement '{other}')"),
        ),
    }
}

fn login(state: &State, call: &Call) -> Reply {
    let form: HashMap<String, String> =
        serde_urlencoded::from_bytes(call.raw_body).unwrap_or_default();
    let value = |name: &str| {
        form.get(name)
            .or_else(|| call.query.get(name))
            .map(String::as_str)
    };
    if value("client_id") != Some(state.client_id.as_str())
        || value("client_secret") != Some(state.client_secret.as_str())
    {
        return not_found();
    }
    let token = state.tokens.issue(state.token_lifetime);
    Reply::Json(
        200,
        json!({"access_token": token, "token_type": "Bearer", "expires_in": state.token_lifetime.as_secs(), "refresh_token": null}),
    )
}

/// The `ApiVersion` resource, served with and without the `/api/4.0` prefix.
pub fn versions(web_url: &str) -> Value {
    let spec = crate::spec::spec();
    let element = json!({
        "version": "4.0",
        "full_version": spec.full_version,
        "status": "current",
        "swagger_url": format!("{web_url}/api/4.0/swagger.json"),
    });
    json!({
        "looker_release_version": spec.looker_release_version,
        "current_version": element,
        "supported_versions": [element],
        "api_server_url": web_url,
        "web_server_url": web_url,
    })
}

fn look(state: &State, id: &str) -> Reply {
    let Some(look) = state.content.look(id) else {
        return not_found();
    };
    match state.query(&look.query_id) {
        Some(q) => Reply::Json(
            200,
            resources::look_with_query_json(look, &q, &state.content, &state.web_url),
        ),
        None => not_found(),
    }
}

/// Whether search parameters `id`, `title`, `description`, `folder_id` (and `name`, `parent_id` for folders) all
/// match; text parameters use Looker's case-insensitive `%` patterns.
fn search_match(params: &HashMap<String, String>, fields: &[(&str, Option<&str>)]) -> bool {
    fields.iter().all(|(name, actual)| match params.get(*name) {
        None => true,
        Some(wanted) if matches!(*name, "title" | "description" | "name") => {
            actual.is_some_and(|a| title_matches(wanted, a))
        }
        Some(wanted) => actual.is_some_and(|a| wanted.split(',').any(|w| w.trim() == a)),
    })
}

/// Applies `limit` and `offset` (or `page` and `per_page`).
fn paginate(items: Vec<Value>, params: &HashMap<String, String>) -> Vec<Value> {
    let num = |name: &str| params.get(name).and_then(|v| v.parse::<usize>().ok());
    let (offset, limit) = match (num("per_page"), num("page")) {
        (Some(per_page), page) => (
            per_page * page.unwrap_or(1).saturating_sub(1),
            Some(per_page),
        ),
        _ => (num("offset").unwrap_or(0), num("limit")),
    };
    items
        .into_iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .collect()
}

fn search_looks(state: &State, params: &HashMap<String, String>) -> Vec<Value> {
    let found = state.content.looks.iter().filter(|l| {
        search_match(
            params,
            &[
                ("id", Some(l.id)),
                ("title", Some(l.title)),
                ("description", Some(l.description)),
                ("folder_id", Some(l.folder_id)),
                ("query_id", Some(&l.query_id)),
            ],
        )
    });
    paginate(
        found
            .map(|l| resources::look_json(l, &state.content, &state.web_url))
            .collect(),
        params,
    )
}

fn dashboard(state: &State, d: &Dashboard) -> Value {
    resources::dashboard_json(d, &state.content, &|id| state.query(id), &state.web_url)
}

fn search_dashboards(state: &State, params: &HashMap<String, String>) -> Vec<Value> {
    let found = state.content.dashboards.iter().filter(|d| {
        let slug = format!("sbxdash{}", d.id);
        search_match(
            params,
            &[
                ("id", Some(d.id)),
                ("title", Some(d.title)),
                ("description", Some(d.description)),
                ("folder_id", Some(d.folder_id)),
                ("slug", Some(&slug)),
            ],
        )
    });
    paginate(found.map(|d| dashboard(state, d)).collect(), params)
}

fn search_folders(state: &State, params: &HashMap<String, String>) -> Vec<Value> {
    let found = state.content.folders.iter().filter(|f| {
        search_match(
            params,
            &[
                ("id", Some(f.id)),
                ("name", Some(f.name)),
                ("parent_id", f.parent_id),
            ],
        )
    });
    paginate(
        found
            .map(|f| resources::folder_json(f, &state.content, &state.web_url))
            .collect(),
        params,
    )
}

fn folder_contents(state: &State, operation_id: &str, call: &Call) -> Reply {
    let id = call.path("folder_id");
    if state.content.folder(id).is_none() {
        return not_found();
    }
    let (content, web_url) = (&state.content, state.web_url.as_str());
    let items: Vec<Value> = match operation_id {
        "folder_children" => content
            .folders
            .iter()
            .filter(|f| f.parent_id == Some(id))
            .map(|f| resources::folder_json(f, content, web_url))
            .collect(),
        "folder_dashboards" => content
            .dashboards
            .iter()
            .filter(|d| d.folder_id == id)
            .map(|d| dashboard(state, d))
            .collect(),
        _ => content
            .looks
            .iter()
            .filter(|l| l.folder_id == id)
            .filter_map(|l| {
                state
                    .query(&l.query_id)
                    .map(|q| resources::look_with_query_json(l, &q, content, web_url))
            })
            .collect(),
    };
    Reply::Json(200, json!(paginate(items, call.query)))
}

fn stored_query(state: &State, query: Option<StoredQuery>) -> Reply {
    match query {
        Some(q) => Reply::Json(200, resources::query_json(&q, &state.web_url)),
        None => not_found(),
    }
}

fn image_reply(bytes: Vec<u8>, call: &Call) -> Reply {
    let bytes = if call.empty_image { Vec::new() } else { bytes };
    Reply::Bytes {
        status: 200,
        content_type: "image/png",
        bytes,
    }
}

/// Runs a query in a result format. A query that cannot run (bad filter, unknown field) answers 200 with the error
/// in the body, as Looker does for SQL errors: `[{"looker_error": ...}]` for `json`, a `looker_error` row and an
/// `errors` list for `json_detail`, a `looker_error` line for text formats; image and `sql` formats answer 400.
fn run(state: &State, def: &QueryDef, format: &str, call: &Call) -> Reply {
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
            format!(
                "Unsupported result format '{format}' (the sandbox serves json, json_detail, csv, txt, sql, png)"
            )
        };
        return error(400, why);
    }
    let result = match state.run(def, call.param("limit")) {
        Ok(result) => result,
        Err(e) => {
            return match format {
                "json" => Reply::Json(200, json!([{"looker_error": e.0}])),
                "json_detail" => Reply::Json(
                    200,
                    json!({"status": "error", "data": [{"looker_error": e.0}], "errors": [{"message": e.0, "level": "error"}], "sql": ""}),
                ),
                _ => text("text/plain", format!("looker_error\n{}\n", e.0)),
            };
        }
    };
    match format {
        "json" => Reply::Json(200, result.to_json_rows(formatted)),
        "json_detail" => {
            let ran_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
            let drill = call.param::<bool>("generate_drill_links").unwrap_or(true);
            Reply::Json(
                200,
                detail::json_detail(&result, &state.web_url, &ran_at, drill),
            )
        }
        "csv" => text("text/csv", result.to_delimited(',', formatted)),
        _ => text("text/plain", result.to_delimited('\t', formatted)),
    }
}

fn create_render_task(state: &State, operation_id: &str, call: &Call) -> Reply {
    let format = call.path("result_format");
    if format != "png" {
        return error(
            400,
            format!("The Looker sandbox renders png only, not '{format}'"),
        );
    }
    let (width, height) = (
        call.param("width").unwrap_or(0),
        call.param("height").unwrap_or(0),
    );
    if width == 0 || height == 0 || width > chart::MAX_SIDE || height > chart::MAX_SIDE {
        let body = validation_error(
            "width",
            "invalid",
            "width and height must be between 1 and 4000",
        );
        return Reply::Json(422, body);
    }
    let target = match operation_id {
        "create_query_render_task" => {
            let id = call.path("query_id");
            state.query(id).map(|_| Target::Query(id.to_owned()))
        }
        "create_look_render_task" => {
            let id = call.path("look_id");
            state.content.look(id).map(|_| Target::Look(id.to_owned()))
        }
        _ => {
            let id = call.path("dashboard_id");
            state.content.dashboard(id).map(|_| Target::Dashboard {
                id: id.to_owned(),
                filters: call.body["dashboard_filters"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                style: call.body["dashboard_style"]
                    .as_str()
                    .unwrap_or("tiled")
                    .to_owned(),
            })
        }
    };
    match target {
        Some(target) => Reply::Json(
            200,
            state
                .render_tasks
                .create(target, format, width, height)
                .to_json(),
        ),
        None => not_found(),
    }
}

fn render_task_results(state: &State, call: &Call) -> Reply {
    let Some(task) = state.render_tasks.get(call.path("render_task_id")) else {
        return not_found();
    };
    if !task.is_done() {
        return Reply::NotReady;
    }
    let rendered = match &task.target {
        Target::Query(id) => state
            .query(id)
            .map(|q| state.chart(&q.def, task.width, task.height)),
        Target::Look(id) => state
            .content
            .look(id)
            .and_then(|l| state.query(&l.query_id))
            .map(|q| state.chart(&q.def, task.width, task.height)),
        Target::Dashboard { id, filters, .. } => state
            .content
            .dashboard(id)
            .map(|d| render_dashboard(state, d, filters, task.width, task.height)),
    };
    match rendered {
        Some(Ok(bytes)) => image_reply(bytes, call),
        Some(Err(e)) => error(400, e.0),
        None => not_found(),
    }
}

/// Renders a dashboard's tiles in a grid, applying `filters` (URL query format, e.g. `State=Texas`) to the tiles
/// that listen to them.
pub fn render_dashboard(
    state: &State,
    d: &Dashboard,
    filters: &str,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, crate::query::QueryError> {
    let values: HashMap<String, String> = serde_urlencoded::from_str(filters).unwrap_or_default();
    let mut tiles = Vec::new();
    for tile in &d.tiles {
        let Some(mut q) = state.query(&tile.query_id) else {
            continue;
        };
        if let Some(value) = values
            .get(content::STATE_FILTER_NAME)
            .filter(|v| !v.is_empty())
            && matches!(tile.listen, Listen::List | Listen::LegacyMap)
        {
            q.def
                .filters
                .insert(content::STATE_FILTER_DIMENSION.into(), value.clone());
        }
        let (_, series) = state.run(&q.def, None)?.chart_series();
        tiles.push((ChartKind::for_vis(q.def.vis_type()), series));
    }
    Ok(chart::render_grid(&tiles, width, height))
}

/// Records the request and answers like a webhook that accepted it. It fails (`success: false` with
/// `validation_errors`) when the action has no `url`, when the action has a `form_url` and the form value `channel`
/// is missing, or when any form value or action param value is the text `fail` (the error names that field).
fn perform_data_action(state: &State, body: &Value) -> Reply {
    state
        .data_actions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(body.clone());
    let action = &body["action"];
    let form = &body["form_values"];
    let failing_param = action["params"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["value"] == "fail")
        .and_then(|p| p["name"].as_str());
    let failing_form = form
        .as_object()
        .into_iter()
        .flatten()
        .find(|(_, v)| *v == "fail")
        .map(|(k, _)| k.as_str());
    let problem = if action["url"].as_str().is_none() {
        Some(("action", "missing", "The action has no url".to_owned()))
    } else if action["form_url"].is_string() && form["channel"].as_str().is_none_or(str::is_empty) {
        Some(("channel", "missing", "Choose a channel".to_owned()))
    } else {
        failing_form.or(failing_param).map(|field| {
            (
                "value",
                "invalid",
                format!("The receiving server rejected '{field}'"),
            )
        })
    };
    let response = match problem {
        Some((field, code, message)) => json!({
            "webhook_id": null, "success": false, "refresh_query": false,
            "validation_errors": validation_error(field, code, &message), "message": null,
        }),
        None => {
            let message = if action["url"].as_str().is_some_and(|u| u.ends_with("/ping")) {
                "Pinged!".to_owned()
            } else {
                format!(
                    "Sent to {}!",
                    form["channel"].as_str().unwrap_or("the channel")
                )
            };
            json!({"webhook_id": null, "success": true, "refresh_query": false, "validation_errors": null, "message": message})
        }
    };
    Reply::Json(200, response)
}

/// The form of the sandbox's "Send to a channel" action.
fn data_action_form() -> Value {
    json!({
        "state": {"data": "", "refresh_time": 0},
        "fields": [
            {"name": "channel", "label": "Channel", "description": "Where to send the value.", "type": "select",
             "default": null, "oauth_url": null, "interactive": false, "required": true,
             "options": [{"name": "C0SANDBOX1", "label": "#general"}, {"name": "C0SANDBOX2", "label": "#sales"}]},
            {"name": "message", "label": "Message", "description": null, "type": "textarea",
             "default": "", "oauth_url": null, "interactive": false, "required": false, "options": []},
        ],
    })
}
