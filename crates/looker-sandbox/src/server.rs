//! The HTTP front: `/api/4.0/...` checked against the spec then dispatched by operationId, `/versions` at the
//! root, and small HTML pages for Looker web URLs (`/looks/1`, `/dashboards/3`, `/x/<slug>`, `/explore/...`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::api::{self, Call, Reply};
use crate::faults::{Fault, Violation};
use crate::spec::{Matched, Rejection, spec};
use crate::state::State;
use crate::{quirks, shape, users};

/// Operations that need no token.
const PUBLIC_OPERATIONS: [&str; 2] = ["login", "versions"];

pub fn router(state: Arc<State>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

async fn handle(
    AxumState(state): AxumState<Arc<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let start = Instant::now();
    let (name, response) = answer(&state, &method, &uri, &headers, &body).await;
    state.timings.record(name, start);
    response
}

/// The answer to a request, and the name its time is recorded under.
async fn answer(
    state: &Arc<State>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> (String, Response) {
    let path = uri.path();
    let query: HashMap<String, String> = uri
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    if path == "/api/4.0/swagger.json" && method == Method::GET {
        let spec = ([(header::CONTENT_TYPE, "application/json")], crate::spec::SPEC_TEXT).into_response();
        return (path.to_owned(), spec);
    }
    if let Some(api_path) = path.strip_prefix("/api/4.0") {
        let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        return api_call(state, method.as_str(), api_path, &query, authorization, body).await;
    }
    if path == "/versions" && method == Method::GET {
        return (
            "versions".to_owned(),
            into_response(Reply::Json(200, api::versions(&state.web_url))),
        );
    }
    (path.to_owned(), web_page(state, method, path))
}

async fn api_call(
    state: &Arc<State>,
    method: &str,
    path: &str,
    query: &HashMap<String, String>,
    authorization: Option<&str>,
    body: &[u8],
) -> (String, Response) {
    let violation = |rejection: &Rejection| {
        state.knobs.record_violation(Violation {
            method: method.to_owned(),
            path: format!("/api/4.0{path}"),
            reason: rejection.message.clone(),
        });
        rejection_reply(rejection)
    };
    let matched = match spec().find(method, path) {
        Ok(m) => m,
        Err(rejection) => return (format!("/api/4.0{path}"), into_response(violation(&rejection))),
    };
    let operation_id = matched.operation.id.as_str();
    let response = operation_call(state, &matched, query, authorization, body, violation).await;
    (operation_id.to_owned(), response)
}

/// A call the spec knows: counted, delayed or failed as the knobs say, checked, then dispatched.
async fn operation_call(
    state: &Arc<State>,
    matched: &Matched,
    query: &HashMap<String, String>,
    authorization: Option<&str>,
    body: &[u8],
    violation: impl Fn(&Rejection) -> Reply,
) -> Response {
    let operation_id = matched.operation.id.as_str();
    state.knobs.count(operation_id);
    let latency = state.knobs.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut empty_image = false;
    let mut query_error = None;
    let mut oversized = None;
    match state.knobs.take_fault(operation_id) {
        Some(Fault::Status(401)) => return into_response(unauthenticated()),
        Some(Fault::Status(status)) => {
            return into_response(api::error(status, format!("Injected fault: HTTP {status}")));
        }
        Some(Fault::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::EmptyImage) => empty_image = true,
        Some(Fault::QueryError(message)) => query_error = Some(message),
        Some(Fault::Oversized(bytes)) => oversized = Some(bytes),
        None => {}
    }
    let user = if PUBLIC_OPERATIONS.contains(&operation_id) {
        *users::admin()
    } else {
        match state.tokens.user_of(authorization).and_then(|id| state.users.user(&id)) {
            Some(user) if !user.is_disabled => user,
            _ => return into_response(unauthenticated()),
        }
    };
    if let Err(rejection) = spec().check_params(matched, query) {
        return into_response(violation(&rejection));
    }
    let json_body = match spec().check_json_body(matched, body) {
        Ok(value) => value,
        Err(rejection) => return into_response(violation(&rejection)),
    };
    // Queries and chart drawing are CPU work: keep them off the async workers.
    let (worker_state, path_params, query_params) = (state.clone(), matched.path_params.clone(), query.clone());
    let (raw_body, authorization) = (body.to_vec(), authorization.map(str::to_owned));
    let work = tokio::task::spawn_blocking(move || {
        let call = Call {
            path: &path_params,
            query: &query_params,
            body: &json_body,
            raw_body: &raw_body,
            authorization: authorization.as_deref(),
            user: &user,
            empty_image,
            query_error: query_error.as_deref(),
            oversized,
        };
        api::dispatch(&worker_state, operation_id, &call)
    });
    let mut reply = work
        .await
        .unwrap_or_else(|e| api::error(500, format!("The Looker sandbox failed: {e}")));
    if let Reply::Json(200..=299, value) = &mut reply {
        shape_answer(state, matched, query, value, &violation);
    }
    into_response(reply)
}

/// Makes a successful answer look as Looker's would: every nullable property present (`null` when empty), checked
/// against the operation's response schema (problems are recorded as violations), cut down to the `fields` asked
/// for, then given the quirks a test switched on.
fn shape_answer(
    state: &State,
    matched: &Matched,
    query: &HashMap<String, String>,
    value: &mut Value,
    violation: &impl Fn(&Rejection) -> Reply,
) {
    // Result formats (`run_query` and the like) are a plain string in the spec: only named schemas are checked.
    if let Some(response) = matched.operation.response.as_ref().filter(|r| r.schema.is_some()) {
        shape::complete(value, response, spec());
        for problem in shape::check(value, response, spec()) {
            violation(&Rejection {
                status: 500,
                message: format!("the sandbox's answer breaks the spec: {problem}"),
                field: None,
            });
        }
    }
    let takes_fields = matched.operation.params.iter().any(|p| p.name == "fields");
    if let (Some(fields), true) = (query.get("fields"), takes_fields) {
        keep_fields(value, fields);
    }
    quirks::apply(value, &state.knobs.quirks());
}

fn unauthenticated() -> Reply {
    api::error(401, "Requires authentication.")
}

fn rejection_reply(rejection: &Rejection) -> Reply {
    match (rejection.status, &rejection.field) {
        (422, Some(field)) => Reply::Json(422, api::validation_error(field, "invalid", &rejection.message)),
        (status, _) => api::error(status, rejection.message.clone()),
    }
}

/// The `fields` parameter: keeps only the listed top-level keys (of each element, for arrays).
fn keep_fields(value: &mut Value, fields: &str) {
    let wanted: Vec<&str> = fields.split(',').map(str::trim).filter(|f| !f.is_empty()).collect();
    if wanted.is_empty() {
        return;
    }
    let filter = |v: &mut Value| {
        if let Value::Object(obj) = v {
            obj.retain(|k, _| wanted.contains(&k.as_str()));
        }
    };
    match value {
        Value::Array(items) => items.iter_mut().for_each(filter),
        other => filter(other),
    }
}

fn into_response(reply: Reply) -> Response {
    let status = |code: u16| StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match reply {
        Reply::Json(code, value) => (
            status(code),
            [(header::CONTENT_TYPE, "application/json")],
            value.to_string(),
        )
            .into_response(),
        Reply::Bytes {
            status: code,
            content_type,
            bytes,
        } => (status(code), [(header::CONTENT_TYPE, content_type)], bytes).into_response(),
        Reply::NoContent => StatusCode::NO_CONTENT.into_response(),
        Reply::NotReady => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::ACCEPTED;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    }
}

/// Small HTML pages standing in for the Looker web UI, so links the bot posts can be opened.
fn web_page(state: &State, method: &Method, path: &str) -> Response {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let title = match parts.as_slice() {
        ["looks", id] => state.content.look(id).map(|l| format!("Look: {}", l.title)),
        ["dashboards" | "dashboards-next", id] => {
            state.content.dashboard(id).map(|d| format!("Dashboard: {}", d.title))
        }
        ["x", slug] => state
            .query_by_slug(slug)
            .map(|q| format!("Explore: {}", q.def.fields.join(", "))),
        ["explore", model, view] => Some(format!("Explore {model}::{view}")),
        ["actions", ..] if method == Method::POST => {
            let body = r#"{"looker":{"success":true,"message":"Pinged!","refresh_query":false}}"#;
            return ([(header::CONTENT_TYPE, "application/json")], body).into_response();
        }
        [""] => Some("Looker sandbox".to_owned()),
        _ => None,
    };
    match title {
        Some(title) => {
            let title = html_escape(&title);
            let page =
                format!("<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>");
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
        }
        None => (StatusCode::NOT_FOUND, "Not found in the Looker sandbox").into_response(),
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
