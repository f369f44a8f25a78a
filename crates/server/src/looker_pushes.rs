//! What Looker pushes: scheduled deliveries (`/slack/post/...`), the Action Hub (`POST /`, `/data_actions/form`,
//! `/data_actions`, `/slack/post_from_query_action`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bot::delivery::{Delivery, Target, WebhookPayload, read_webhook};
use queue::QueueError;
use serde_json::{Value, json};

use crate::auth::PushAuth;
use crate::routes::AppState;

/// The reason given when a delivery is queued.
const ACCEPTED: &str = "Accepted for delivery.";

/// A scheduled-delivery answer: `{success, reason}` with a status.
fn plan_answer(status: StatusCode, success: bool, reason: impl Into<String>) -> Response {
    (status, Json(json!({ "success": success, "reason": reason.into() }))).into_response()
}

/// An Action API answer: `{looker: {success, message}}`.
fn action_answer(status: StatusCode, success: bool, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({ "looker": { "success": success, "message": message.into() } })),
    )
        .into_response()
}

fn action_unauthorized() -> Response {
    let body = json!({ "looker": { "success": false }, "reason": "Invalid authorization headers." });
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

/// The URL of the payload's plan, which names the Looker whose token must be given (none for an unreadable body,
/// so the request is checked before it is told what is wrong with it).
fn plan_url(payload: &Result<WebhookPayload, String>) -> Option<&str> {
    payload.as_ref().ok()?.scheduled_plan.as_ref()?.url.as_deref()
}

/// Writes the delivery to the durable queue; the answer says whether it was accepted. A destination the chat
/// says does not exist (or the bot is not in) is refused here, where Looker and its admin can see why.
async fn enqueue(state: &AppState, delivery: Delivery) -> Result<(), (StatusCode, String)> {
    if let Err(problem) = state.directory.check_target(delivery.target()).await {
        tracing::warn!(target = ?delivery.target(), %problem, "refused a delivery to a destination it cannot reach");
        return Err((StatusCode::BAD_REQUEST, format!("Cannot post there: {problem}.")));
    }
    let target = delivery.target().clone();
    match state.deliveries.enqueue(delivery).await {
        Ok(outcome) => {
            tracing::info!(job = outcome.id(), ?target, "delivery queued");
            Ok(())
        }
        Err(QueueError::Full { capacity }) => Err((
            StatusCode::SERVICE_UNAVAILABLE,
            format!("The bot has {capacity} deliveries waiting and takes no more for now; try again later."),
        )),
        Err(e @ QueueError::Unavailable(_)) => {
            tracing::error!(error = %e, "could not store a delivery");
            Err((
                StatusCode::SERVICE_UNAVAILABLE,
                "The bot cannot reach its queue's database right now; try again later.".to_owned(),
            ))
        }
        Err(e) => {
            tracing::error!(error = %e, "could not store a delivery");
            Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("The delivery could not be stored: {e}"),
            ))
        }
    }
}

/// Refuses a scheduled delivery whose headers carry no token this bot knows, before its body is read. The handler
/// then checks the token against the Looker the plan names.
pub async fn refuse_unknown_plan_token(State(auth): State<PushAuth>, request: Request, next: Next) -> Response {
    if auth.allows_action(request.headers()) {
        return next.run(request).await;
    }
    tracing::warn!("refused a scheduled delivery with a missing or wrong webhook token");
    plan_answer(StatusCode::UNAUTHORIZED, false, "Invalid webhook token.")
}

/// Refuses an Action Hub or data-action call whose headers carry no token this bot knows, before its body is read.
pub async fn refuse_unknown_action_token(State(auth): State<PushAuth>, request: Request, next: Next) -> Response {
    if auth.allows_action(request.headers()) {
        return next.run(request).await;
    }
    tracing::warn!("refused a Looker call with missing or wrong authorization");
    action_unauthorized()
}

/// `POST /slack/post/{channel|group|dm}/{name}`.
pub async fn post_scheduled(
    State(state): State<AppState>,
    Path((kind, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = match kind.as_str() {
        "channel" => Target::Channel(name),
        "group" => Target::Group(name),
        "dm" => Target::Person(name),
        _ => {
            let reason =
                format!("Unknown destination kind {kind:?}: use /slack/post/channel/NAME, group/NAME or dm/USER.");
            return plan_answer(StatusCode::NOT_FOUND, false, reason);
        }
    };
    let payload = read_webhook(&body);
    if !state.auth.allows_plan(&headers, plan_url(&payload)) {
        tracing::warn!("refused a scheduled delivery with a missing or wrong webhook token");
        return plan_answer(StatusCode::UNAUTHORIZED, false, "Invalid webhook token.");
    }
    match payload {
        Ok(payload) => accept_plan(&state, &payload, target).await,
        Err(reason) => plan_answer(StatusCode::BAD_REQUEST, false, reason),
    }
}

async fn accept_plan(state: &AppState, payload: &WebhookPayload, target: Target) -> Response {
    let delivery = match Delivery::from_webhook(state.bot.lookers(), payload, target) {
        Ok(delivery) => delivery,
        Err(refusal) => {
            tracing::warn!(reason = %refusal, "refused a scheduled delivery");
            return plan_answer(StatusCode::BAD_REQUEST, false, refusal.0);
        }
    };
    match enqueue(state, delivery).await {
        Ok(()) => plan_answer(StatusCode::OK, true, ACCEPTED),
        Err((status, reason)) => plan_answer(status, false, reason),
    }
}

/// `POST /slack/post_from_query_action`: a query sent from Looker's "Send" menu, to `form_params.channel`.
/// Answers the scheduled-delivery `{success, reason}` (as the original did) together with the Action API's
/// `{looker: {success, message}}`, which is what Looker reads.
pub async fn post_from_query_action(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let payload = read_webhook(&body);
    if !state.auth.allows_plan(&headers, plan_url(&payload)) {
        tracing::warn!("refused a query action with missing or wrong authorization");
        return action_unauthorized();
    }
    let payload = match payload {
        Ok(payload) => payload,
        Err(reason) => return query_action_answer(StatusCode::BAD_REQUEST, false, reason),
    };
    let channel = match payload.param("channel") {
        Ok(Some(channel)) if !channel.trim().is_empty() => channel,
        Ok(_) => return query_action_answer(StatusCode::BAD_REQUEST, false, "Channel not specified."),
        Err(reason) => return query_action_answer(StatusCode::BAD_REQUEST, false, reason),
    };
    let (status, success, reason) = match Delivery::from_webhook(state.bot.lookers(), &payload, target_for(&channel)) {
        Ok(delivery) => match enqueue(&state, delivery).await {
            Ok(()) => (StatusCode::OK, true, ACCEPTED.to_string()),
            Err((status, reason)) => (status, false, reason),
        },
        Err(refusal) => {
            tracing::warn!(reason = %refusal, "refused a query action");
            (StatusCode::BAD_REQUEST, false, refusal.0)
        }
    };
    query_action_answer(status, success, reason)
}

fn query_action_answer(status: StatusCode, success: bool, reason: impl Into<String>) -> Response {
    let reason = reason.into();
    let body = json!({
        "success": success,
        "reason": reason,
        "looker": { "success": success, "message": reason },
    });
    (status, Json(body)).into_response()
}

/// A form's channel value: a user id or `@name` means a DM, anything else a channel.
fn target_for(channel: &str) -> Target {
    let is_user_id = channel.len() > 1
        && (channel.starts_with('U') || channel.starts_with('W'))
        && channel.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    match channel.strip_prefix('@') {
        Some(name) => Target::Person(name.to_string()),
        None if is_user_id => Target::Person(channel.to_string()),
        None => Target::Channel(channel.to_string()),
    }
}

/// `POST /data_actions`: posts `message` to `channel` (each from `form_params`, else `data`).
pub async fn data_action(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !state.auth.allows_action(&headers) {
        return action_unauthorized();
    }
    let payload = match read_webhook(&body) {
        Ok(payload) => payload,
        Err(reason) => return action_answer(StatusCode::BAD_REQUEST, false, reason),
    };
    // The original's checks, in its order and words: a missing or blank value is "not a string" too.
    let given = |name: &str| payload.param(name).ok().flatten().filter(|v| !v.trim().is_empty());
    let Some(message) = given("message") else {
        return action_answer(StatusCode::BAD_REQUEST, false, "message must be a string.");
    };
    let Some(channel) = given("channel") else {
        return action_answer(StatusCode::BAD_REQUEST, false, "channel must be a string.");
    };
    let delivery = Delivery::Message {
        target: target_for(&channel),
        text: message,
    };
    match enqueue(&state, delivery).await {
        Ok(()) => action_answer(StatusCode::OK, true, format!("Sending message to {channel}.")),
        Err((status, reason)) => action_answer(status, false, reason),
    }
}

/// `POST /data_actions/form`: the form asking where to send.
pub async fn data_action_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !state.auth.allows_action(&headers) {
        return action_unauthorized();
    }
    match state.directory.post_targets().await {
        Ok(options) => {
            let options: Vec<Value> = options
                .iter()
                .map(|o| json!({ "name": o.name, "label": o.label }))
                .collect();
            Json(json!([{
                "name": "channel",
                "label": "Share In",
                "type": "select",
                "required": true,
                "description": "Channels need the bot as a member; people get a direct message.",
                "options": options,
            }]))
            .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "could not list channels and people for the data action form");
            let body = json!({ "fields": [], "error": format!("Slack's channel list could not be read: {e}") });
            (StatusCode::BAD_GATEWAY, Json(body)).into_response()
        }
    }
}

/// `POST /`: the Action Hub's integration list, with URLs pointing back at this server.
pub async fn action_list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !state.auth.allows_action(&headers) {
        return action_unauthorized();
    }
    let base = state.public_base(&headers);
    Json(json!({
        "label": "Lookerbot",
        "integrations": [{
            "name": "post",
            "label": "Slack",
            "description": "Send data to Slack with Lookerbot.",
            "url": format!("{base}/slack/post_from_query_action"),
            "form_url": format!("{base}/data_actions/form"),
            "supported_action_types": ["query"],
            "supported_formats": ["inline_json"],
            "supported_formattings": ["formatted"],
            "supported_visualization_formattings": ["apply"],
            "supported_download_settings": ["push"],
            "uses_oauth": false,
            "params": [],
        }]
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_channels_map_to_targets() {
        assert_eq!(target_for("C0GENERAL"), Target::Channel("C0GENERAL".into()));
        assert_eq!(target_for("#alerts"), Target::Channel("#alerts".into()));
        assert_eq!(target_for("U0ALICE"), Target::Person("U0ALICE".into()));
        assert_eq!(target_for("@alice"), Target::Person("alice".into()));
        assert_eq!(target_for("general"), Target::Channel("general".into()));
    }
}
