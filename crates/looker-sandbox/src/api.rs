//! The operations the sandbox serves, by spec operationId. Requests reaching here already match the spec.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::content::Dashboard;
use crate::query::QueryDef;
use crate::resources::{self, StoredQuery};
use crate::state::State;
use crate::users::{self, User};
use crate::{data_actions, field_api, run, search};

pub const DOCS_URL: &str = "https://cloud.google.com/looker/docs/r/api/4.0";

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

pub(crate) fn not_found() -> Reply {
    error(404, "Not found")
}

/// One call's inputs.
pub struct Call<'a> {
    pub path: &'a HashMap<String, String>,
    pub query: &'a HashMap<String, String>,
    pub body: &'a Value,
    pub raw_body: &'a [u8],
    pub authorization: Option<&'a str>,
    /// The user the call's token acts as (the admin for calls that need no token).
    pub user: &'a User,
    /// Whether an `EmptyImage` fault applies to this call.
    pub empty_image: bool,
    /// The message of a `QueryError` fault that applies to this call.
    pub query_error: Option<&'a str>,
    /// The rows or image bytes an `Oversized` fault asks for.
    pub oversized: Option<usize>,
}

impl Call<'_> {
    pub(crate) fn path(&self, name: &str) -> &str {
        self.path.get(name).map(String::as_str).unwrap_or_default()
    }

    pub(crate) fn param<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.query.get(name).and_then(|v| v.parse().ok())
    }
}

/// Runs one operation. Faults, auth and spec checks were applied by the server before.
pub fn dispatch(state: &State, operation_id: &str, call: &Call) -> Reply {
    match operation_id {
        "login" => login(state, call),
        "logout" => {
            state.tokens.revoke(call.authorization);
            Reply::NoContent
        }
        "me" => Reply::Json(200, call.user.json(&state.web_url)),
        "login_user" => login_user(state, call),
        "search_users" => {
            let found = users::search(call.user, state.users.now(), call.query);
            let items = found.iter().map(|u| u.json(&state.web_url)).collect();
            Reply::Json(200, json!(search::paginate(items, call.query)))
        }
        "versions" => Reply::Json(200, versions(&state.web_url)),
        "look" => look(state, call.user, call.path("look_id")),
        "all_looks" => Reply::Json(200, json!(search::search_looks(state, call.user, &HashMap::new()))),
        "search_looks" => Reply::Json(200, json!(search::search_looks(state, call.user, call.query))),
        "run_look" => match state
            .content
            .look(call.path("look_id"))
            .filter(|l| call.user.sees_folder(l.folder_id))
            .and_then(|l| state.query(&l.query_id))
        {
            Some(q) => run::run(state, &q.def, call.path("result_format"), call),
            None => not_found(),
        },
        "dashboard" => match visible_dashboard(state, call) {
            Some(d) => Reply::Json(200, dashboard(state, d)),
            None => not_found(),
        },
        "search_dashboards" => Reply::Json(200, json!(search::search_dashboards(state, call.user, call.query))),
        "dashboard_dashboard_elements" => match visible_dashboard(state, call) {
            Some(d) => Reply::Json(200, dashboard(state, d)["dashboard_elements"].clone()),
            None => not_found(),
        },
        "folder" => match visible_folder(state, call) {
            Some(f) => Reply::Json(200, resources::folder_json(f, &state.content, &state.web_url)),
            None => not_found(),
        },
        "folder_children" | "folder_dashboards" | "folder_looks" => folder_contents(state, operation_id, call),
        "search_folders" => Reply::Json(200, json!(search::search_folders(state, call.user, call.query))),
        "query" => stored_query(state, state.query(call.path("query_id"))),
        "query_for_slug" => stored_query(state, state.query_by_slug(call.path("slug"))),
        "create_query" => {
            let stored = state.save_query(QueryDef::from_json(call.body));
            Reply::Json(200, resources::query_json(&stored, &state.web_url))
        }
        "run_query" => match state.query(call.path("query_id")) {
            Some(q) => run::run(state, &q.def, call.path("result_format"), call),
            None => not_found(),
        },
        "run_inline_query" => run::run(state, &QueryDef::from_json(call.body), call.path("result_format"), call),
        "create_query_render_task" | "create_look_render_task" | "create_dashboard_render_task" => {
            run::create_render_task(state, operation_id, call)
        }
        "render_task" => match state.render_tasks.poll(call.path("render_task_id")) {
            Some(task) => Reply::Json(200, task),
            None => not_found(),
        },
        "render_task_results" => run::render_task_results(state, call),
        "perform_data_action" => {
            let mut users = state.data_action_users.lock().unwrap_or_else(|p| p.into_inner());
            users.push(call.user.id.to_owned());
            drop(users);
            data_actions::perform_data_action(state, call.body)
        }
        "fetch_remote_data_action_form" => Reply::Json(200, data_actions::data_action_form()),
        "lookml_model_explore" => field_api::lookml_model_explore(call),
        "model_fieldname_suggestions" => field_api::model_fieldname_suggestions(state, call),
        other => error(
            404,
            format!("Not found (the Looker sandbox does not implement '{other}')"),
        ),
    }
}

fn login(state: &State, call: &Call) -> Reply {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(call.raw_body).unwrap_or_default();
    let value = |name: &str| form.get(name).or_else(|| call.query.get(name)).map(String::as_str);
    let key = (value("client_id"), value("client_secret"));
    if key == (Some(state.client_id.as_str()), Some(state.client_secret.as_str())) {
        return access_token(state, users::ADMIN_ID);
    }
    // Another user's API key: their own, while they are enabled.
    let owner = state.users.now().into_iter().find(|u| {
        let (id, secret) = state.api_key_of(u.id);
        !u.is_disabled && key == (Some(id.as_str()), Some(secret.as_str()))
    });
    match owner {
        Some(user) => access_token(state, user.id),
        None => not_found(),
    }
}

fn access_token(state: &State, user_id: &str) -> Reply {
    let token = state.tokens.issue(state.token_lifetime, user_id);
    Reply::Json(
        200,
        json!({"access_token": token, "token_type": "Bearer", "expires_in": state.token_lifetime.as_secs(), "refresh_token": null}),
    )
}

/// `POST /login/{user_id}`: an admin gets a token acting as another user; others are refused, as are disabled
/// users (Looker refuses to sudo as them).
fn login_user(state: &State, call: &Call) -> Reply {
    if !call.user.admin {
        return error(403, "Only admins may log in as another user");
    }
    match state.users.user(call.path("user_id")) {
        None => not_found(),
        Some(user) if user.is_disabled => error(403, "The user is disabled"),
        Some(user) => access_token(state, user.id),
    }
}

fn visible_dashboard<'s>(state: &'s State, call: &Call) -> Option<&'s Dashboard> {
    (state.content.dashboard(call.path("dashboard_id"))).filter(|d| call.user.sees_folder(d.folder_id))
}

fn visible_folder<'s>(state: &'s State, call: &Call) -> Option<&'s crate::content::Folder> {
    (state.content.folder(call.path("folder_id"))).filter(|f| call.user.sees_folder(f.id))
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

fn look(state: &State, user: &User, id: &str) -> Reply {
    let Some(look) = state.content.look(id).filter(|l| user.sees_folder(l.folder_id)) else {
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

pub(crate) fn dashboard(state: &State, d: &Dashboard) -> Value {
    resources::dashboard_json(d, &state.content, &|id| state.query(id), &state.web_url)
}

fn folder_contents(state: &State, operation_id: &str, call: &Call) -> Reply {
    let id = call.path("folder_id");
    if visible_folder(state, call).is_none() {
        return not_found();
    }
    let (content, web_url) = (&state.content, state.web_url.as_str());
    let items: Vec<Value> = match operation_id {
        "folder_children" => content
            .folders
            .iter()
            .filter(|f| f.parent_id == Some(id) && call.user.sees_folder(f.id))
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
    Reply::Json(200, json!(search::paginate(items, call.query)))
}

fn stored_query(state: &State, query: Option<StoredQuery>) -> Reply {
    match query {
        Some(q) => Reply::Json(200, resources::query_json(&q, &state.web_url)),
        None => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use crate::spec::spec;

    #[test]
    fn served_operations_exist_in_the_spec() {
        let served = [
            "login",
            "logout",
            "me",
            "versions",
            "look",
            "all_looks",
            "search_looks",
            "run_look",
            "dashboard",
            "search_dashboards",
            "dashboard_dashboard_elements",
            "folder",
            "folder_children",
            "folder_dashboards",
            "folder_looks",
            "search_folders",
            "query",
            "query_for_slug",
            "create_query",
            "run_query",
            "run_inline_query",
            "create_query_render_task",
            "create_look_render_task",
            "create_dashboard_render_task",
            "render_task",
            "render_task_results",
            "perform_data_action",
            "fetch_remote_data_action_form",
            "lookml_model_explore",
            "model_fieldname_suggestions",
            "login_user",
            "search_users",
        ];
        for id in served {
            assert!(spec().operation(id).is_some(), "{id} is not an operation of the spec");
        }
    }
}
