//! The Web API endpoint `/api/{method}`: fault injection, authentication, scope and argument checks from the
//! method reference, then the method itself. Every call is recorded.

mod chat;
mod connect;
mod conversations;
mod cursor;
mod files;
mod history;
mod target;
mod users;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::args::{self, Args, ParsedCall};
use crate::faults::Fault;
use crate::records::RecordedCall;
use crate::shared::{Shared, lock};
use crate::spec::{self, MethodSpec};

/// A Web API error answer: `{"ok":false,"error":...}` plus optional extra fields.
#[derive(Debug)]
pub struct ApiError {
    pub error: &'static str,
    pub extra: Map<String, Value>,
}

impl ApiError {
    pub fn new(error: &'static str) -> ApiError {
        ApiError {
            error,
            extra: Map::new(),
        }
    }

    /// Adds a human-readable explanation in `response_metadata.messages`, as Slack does for argument errors.
    pub fn detail(mut self, message: impl std::fmt::Display) -> ApiError {
        self.extra.insert(
            "response_metadata".into(),
            json!({ "messages": [format!("[ERROR] {message}")] }),
        );
        self
    }

    fn into_body(self) -> Value {
        let mut body = Map::from_iter([("ok".to_owned(), json!(false)), ("error".to_owned(), json!(self.error))]);
        body.extend(self.extra);
        Value::Object(body)
    }
}

impl From<crate::blocks::Refusal> for ApiError {
    fn from(refusal: crate::blocks::Refusal) -> ApiError {
        ApiError::new(refusal.error).detail(refusal.detail)
    }
}

/// The fields of a successful answer (without `ok`).
pub type ApiResult = Result<Map<String, Value>, ApiError>;

type Handler = fn(&Shared, &Args) -> ApiResult;

/// The implementation of each method that has a reference description in `data/methods/`.
fn handler(method: &str) -> Option<Handler> {
    let handler: Handler = match method {
        "auth.test" => users::auth_test,
        "users.info" => users::info,
        "users.list" => users::list,
        "team.info" => users::team_info,
        "chat.postMessage" => chat::post_message,
        "chat.update" => chat::update,
        "chat.postEphemeral" => chat::post_ephemeral,
        "chat.unfurl" => chat::unfurl,
        "conversations.list" => conversations::list,
        "conversations.info" => conversations::info,
        "conversations.open" => conversations::open,
        "conversations.history" => history::history,
        "files.getUploadURLExternal" => files::get_upload_url,
        "files.completeUploadExternal" => files::complete_upload,
        "apps.connections.open" => connect::apps_connections_open,
        "rtm.connect" => connect::rtm_connect,
        _ => return None,
    };
    Some(handler)
}

/// An answer before it becomes an HTTP response; also what gets recorded.
struct Answer {
    status: StatusCode,
    body: Value,
    headers: Vec<(header::HeaderName, String)>,
}

impl Answer {
    fn json(body: Value) -> Answer {
        Answer {
            status: StatusCode::OK,
            body,
            headers: Vec::new(),
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = match &self.body {
            Value::String(text) => (self.status, text.clone()).into_response(),
            body => (self.status, axum::Json(body)).into_response(),
        };
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

/// `ANY /api/{method}`.
pub async fn endpoint(
    State(shared): State<Arc<Shared>>,
    Path(method): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.apply_latency().await;
    let parsed = args::parse_call(&headers, uri.query(), &body);
    let (recorded_args, token) = match &parsed {
        Ok(call) => (Value::Object(call.args.0.clone()), call.token.clone()),
        Err(_) => (Value::Null, None),
    };
    let late = shared.take_late_answer(&method);
    let answer = match shared.take_fault(&method) {
        Some(fault) => fault_answer(fault, &method),
        None => match over_rate(&shared, &method, &parsed) {
            Some(fault) => fault_answer(fault, &method),
            None => answer_call(&shared, &method, parsed),
        },
    };
    lock(&shared.records).calls.push(RecordedCall {
        method,
        args: recorded_args,
        token,
        http_status: answer.status.as_u16(),
        response: answer.body.clone(),
    });
    // The call took effect above; a client that stops waiting meanwhile does not undo it.
    if let Some(delay) = late {
        tokio::time::sleep(delay).await;
    }
    answer.into_response()
}

/// A 429 for a `chat.postMessage` past its channel's rate, or a conversations.history past its tier, with the
/// whole seconds until a call is free again.
fn over_rate(shared: &Shared, method: &str, parsed: &Result<ParsedCall, args::BodyError>) -> Option<Fault> {
    let wait = match method {
        "chat.postMessage" => {
            let channel = parsed.as_ref().ok()?.args.str("channel")?;
            shared.post_limiter.take(&channel).err()?
        }
        "conversations.history" => shared.history_limiter.take(method).err()?,
        _ => return None,
    };
    Some(Fault::RateLimited {
        retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
    })
}

/// The response for an injected failure; also used by the upload and response_url endpoints.
pub fn fault_response(fault: Fault, what: &str) -> Response {
    fault_answer(fault, what).into_response()
}

fn fault_answer(fault: Fault, what: &str) -> Answer {
    match fault {
        Fault::RateLimited { retry_after_secs } => Answer {
            status: StatusCode::TOO_MANY_REQUESTS,
            body: json!({ "ok": false, "error": "ratelimited" }),
            headers: vec![(header::RETRY_AFTER, retry_after_secs.to_string())],
        },
        Fault::Status(status) => Answer {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body: Value::String(format!("slack-sim: injected HTTP {status} for {what}")),
            headers: Vec::new(),
        },
    }
}

fn answer_call(shared: &Shared, method: &str, parsed: Result<ParsedCall, args::BodyError>) -> Answer {
    let (Some(spec), Some(handler)) = (spec::method(method), handler(method)) else {
        return Answer::json(
            ApiError::new("unknown_method")
                .detail(format!("slack-sim does not implement {method}"))
                .into_body(),
        );
    };
    let Ok(call) = parsed else {
        return Answer::json(
            ApiError::new("invalid_json")
                .detail("the JSON body must be an object")
                .into_body(),
        );
    };
    let bot_call = call.token.as_deref() == Some(shared.config.bot_token.as_str());
    let outcome = authorize(shared, method, spec, &call)
        .and_then(|()| check_required(spec, &call.args))
        .and_then(|()| handler(shared, &call.args));
    let body = match outcome {
        Ok(fields) => {
            let mut body = Map::from_iter([("ok".to_owned(), json!(true))]);
            body.extend(fields);
            Value::Object(body)
        }
        Err(error) => error.into_body(),
    };
    let mut answer = Answer::json(body);
    if bot_call {
        answer.headers.push((
            header::HeaderName::from_static("x-oauth-scopes"),
            shared.scopes_header(),
        ));
        let accepted = spec.bot_scopes.join(",");
        answer
            .headers
            .push((header::HeaderName::from_static("x-accepted-oauth-scopes"), accepted));
    }
    answer
}

/// Token presence and type, then the method's documented bot scopes.
fn authorize(shared: &Shared, method: &str, spec: &MethodSpec, call: &ParsedCall) -> Result<(), ApiError> {
    let config = &shared.config;
    let wants_app_token = method == "apps.connections.open";
    match call.token.as_deref() {
        None => {
            let error = ApiError::new("not_authed");
            return Err(match call.token_warning {
                Some(warning) => error.detail(warning),
                None => error,
            });
        }
        Some(t) if t == config.app_token && !wants_app_token => {
            return Err(ApiError::new("not_allowed_token_type").detail(format!("{method} needs the bot token")));
        }
        Some(t) if t == config.bot_token && wants_app_token => {
            return Err(
                ApiError::new("not_allowed_token_type").detail("apps.connections.open needs the app-level token")
            );
        }
        Some(t) if t == config.bot_token || t == config.app_token => {}
        Some(_) => return Err(ApiError::new("invalid_auth")),
    }
    if wants_app_token || spec.bot_scopes.is_empty() || spec.bot_scopes.iter().any(|s| shared.has_scope(s)) {
        return Ok(());
    }
    let mut error = ApiError::new("missing_scope");
    error.extra.insert("needed".into(), json!(spec.bot_scopes.join(",")));
    error.extra.insert("provided".into(), json!(shared.scopes_header()));
    Err(error)
}

fn check_required(spec: &MethodSpec, args: &Args) -> Result<(), ApiError> {
    match spec
        .required
        .iter()
        .find(|arg| arg.name != "token" && !args.is_present(&arg.name))
    {
        Some(arg) => {
            Err(ApiError::new(spec.missing_arg_error(arg)).detail(format!("missing required field: {}", arg.name)))
        }
        None => Ok(()),
    }
}

/// Builds the success fields of an answer from a `json!({...})` object literal.
pub fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("a method answer must be a JSON object, got {other}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_described_method_has_a_handler() {
        for method in [
            "auth.test",
            "users.info",
            "users.list",
            "team.info",
            "chat.postMessage",
            "chat.update",
            "chat.postEphemeral",
            "chat.unfurl",
            "conversations.list",
            "conversations.info",
            "conversations.open",
            "conversations.history",
            "files.getUploadURLExternal",
            "files.completeUploadExternal",
            "apps.connections.open",
            "rtm.connect",
        ] {
            assert!(super::handler(method).is_some(), "{method} has a handler");
            assert!(
                crate::spec::method(method).is_some(),
                "{method} has a reference description"
            );
        }
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let items: Vec<u32> = (0..5).collect();
        let (page, next) = super::cursor::page(&items, 0, 2);
        assert_eq!(page, vec![0, 1]);
        let mut args = crate::args::Args::default();
        args.0.insert("cursor".into(), next.into());
        assert_eq!(super::cursor::page_request(&args).unwrap(), (2, 100));
        args.0.insert("cursor".into(), "nonsense!".into());
        assert_eq!(super::cursor::page_request(&args).unwrap_err().error, "invalid_cursor");
        assert_eq!(super::cursor::page(&items, 4, 2).1, "");
    }
}
