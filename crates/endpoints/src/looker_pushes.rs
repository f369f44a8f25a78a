//! What Looker pushes: scheduled deliveries (`/slack/post/...`), the Action Hub (`POST /`, `/data_actions/form`,
//! `/data_actions`, `/slack/post_from_query_action`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::marker::PhantomData;

use bot::delivery::{Delivery, Refusal, Target, WebhookPayload, read_webhook};
use queue::QueueError;
use serde_json::{Value, json};

use crate::auth::PushAuth;
use crate::routes::AppState;

/// The reason given when a delivery is queued.
const ACCEPTED: &str = "Accepted for delivery.";

/// The answer shapes Looker reads, one per kind of push.
pub trait Shape {
    /// The body for an outcome.
    fn body(success: bool, message: &str) -> Value;

    /// The body for a request whose token was missing or wrong.
    fn unauthorized() -> Value {
        Self::body(false, "Invalid webhook token.")
    }
}

/// A scheduled delivery's `{success, reason}`.
pub struct Plan;

impl Shape for Plan {
    fn body(success: bool, message: &str) -> Value {
        json!({ "success": success, "reason": message })
    }
}

/// The Action API's `{looker: {success, message}}`.
pub struct Action;

impl Shape for Action {
    fn body(success: bool, message: &str) -> Value {
        json!({ "looker": { "success": success, "message": message } })
    }

    fn unauthorized() -> Value {
        json!({ "looker": { "success": false }, "reason": "Invalid authorization headers." })
    }
}

/// A query action: the scheduled-delivery shape (as the original answered) together with the Action API's, which
/// is what Looker reads.
pub struct QueryAction;

impl Shape for QueryAction {
    fn body(success: bool, message: &str) -> Value {
        json!({ "success": success, "reason": message, "looker": { "success": success, "message": message } })
    }

    fn unauthorized() -> Value {
        Action::unauthorized()
    }
}

/// A push taken: 200 with what happens next, in the endpoint's shape.
pub struct Accepted<S>(String, PhantomData<S>);

impl<S> Accepted<S> {
    fn new(message: impl Into<String>) -> Self {
        Accepted(message.into(), PhantomData)
    }
}

impl<S: Shape> IntoResponse for Accepted<S> {
    fn into_response(self) -> Response {
        (StatusCode::OK, Json(S::body(true, &self.0))).into_response()
    }
}

/// A push not taken: the status and the reason Looker shows its admin, in the endpoint's shape. Nothing was done.
pub struct Refused<S> {
    status: StatusCode,
    /// `None` for a missing or wrong token, which has its own words.
    reason: Option<String>,
    shape: PhantomData<S>,
}

impl<S> Refused<S> {
    fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Refused {
            status,
            reason: Some(reason.into()),
            shape: PhantomData,
        }
    }

    fn bad_request(reason: impl Into<String>) -> Self {
        Refused::new(StatusCode::BAD_REQUEST, reason)
    }

    fn unauthorized() -> Self {
        Refused {
            status: StatusCode::UNAUTHORIZED,
            reason: None,
            shape: PhantomData,
        }
    }
}

impl<S: Shape> IntoResponse for Refused<S> {
    fn into_response(self) -> Response {
        let body = match &self.reason {
            Some(reason) => S::body(false, reason),
            None => S::unauthorized(),
        };
        (self.status, Json(body)).into_response()
    }
}

impl<S> From<Refusal> for Refused<S> {
    fn from(refusal: Refusal) -> Self {
        tracing::warn!(reason = %refusal, "refused a delivery");
        Refused::bad_request(refusal.0)
    }
}

/// What every push endpoint answers.
type Answer<S> = Result<Accepted<S>, Refused<S>>;

/// The URL of the payload's plan, which names the Looker whose token must be given (none for an unreadable body,
/// so the request is checked before it is told what is wrong with it).
fn plan_url(payload: &Result<WebhookPayload, String>) -> Option<&str> {
    payload.as_ref().ok()?.scheduled_plan.as_ref()?.url.as_deref()
}

/// Writes the delivery to the durable queue. A destination the chat says does not exist (or the bot is not in) is
/// refused here, where Looker and its admin can see why.
async fn enqueue<S>(state: &AppState, delivery: Delivery) -> Result<(), Refused<S>> {
    if let Err(problem) = state.directory.check_target(delivery.target()).await {
        tracing::warn!(target = ?delivery.target(), %problem, "refused a delivery to a destination it cannot reach");
        return Err(Refused::bad_request(format!("Cannot post there: {problem}.")));
    }
    let target = delivery.target().clone();
    match state.deliveries.enqueue(delivery).await {
        Ok(outcome) => {
            tracing::info!(job = outcome.id(), ?target, "delivery queued");
            Ok(())
        }
        Err(QueueError::Full { capacity }) => Err(Refused::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("The bot has {capacity} deliveries waiting and takes no more for now; try again later."),
        )),
        Err(e @ QueueError::Unavailable(_)) => {
            tracing::error!(error = %e, "could not store a delivery");
            Err(Refused::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The bot cannot reach its queue's database right now; try again later.",
            ))
        }
        Err(e) => {
            tracing::error!(error = %e, "could not store a delivery");
            Err(Refused::new(
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
    Refused::<Plan>::unauthorized().into_response()
}

/// Refuses an Action Hub or data-action call whose headers carry no token this bot knows, before its body is read.
pub async fn refuse_unknown_action_token(State(auth): State<PushAuth>, request: Request, next: Next) -> Response {
    if auth.allows_action(request.headers()) {
        return next.run(request).await;
    }
    tracing::warn!("refused a Looker call with missing or wrong authorization");
    Refused::<Action>::unauthorized().into_response()
}

/// `POST /slack/post/{channel|group|dm}/{name}`.
pub async fn post_scheduled(
    State(state): State<AppState>,
    Path((kind, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer<Plan> {
    let target = match kind.as_str() {
        "channel" => Target::Channel(name),
        "group" => Target::Group(name),
        "dm" => Target::Person(name),
        _ => {
            let reason =
                format!("Unknown destination kind {kind:?}: use /slack/post/channel/NAME, group/NAME or dm/USER.");
            return Err(Refused::new(StatusCode::NOT_FOUND, reason));
        }
    };
    let payload = read_webhook(&body);
    if !state.auth.allows_plan(&headers, plan_url(&payload)) {
        tracing::warn!("refused a scheduled delivery with a missing or wrong webhook token");
        return Err(Refused::unauthorized());
    }
    let payload = payload.map_err(Refused::bad_request)?;
    let delivery = Delivery::from_webhook(state.bot.lookers(), payload, target)?;
    enqueue(&state, delivery).await?;
    Ok(Accepted::new(ACCEPTED))
}

/// `POST /slack/post_from_query_action`: a query sent from Looker's "Send" menu, to `form_params.channel`.
pub async fn post_from_query_action(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer<QueryAction> {
    let payload = read_webhook(&body);
    if !state.auth.allows_plan(&headers, plan_url(&payload)) {
        tracing::warn!("refused a query action with missing or wrong authorization");
        return Err(Refused::unauthorized());
    }
    let payload = payload.map_err(Refused::bad_request)?;
    let channel = match payload.param("channel").map_err(Refused::bad_request)? {
        Some(channel) if !channel.trim().is_empty() => channel,
        _ => return Err(Refused::bad_request("Channel not specified.")),
    };
    let delivery = Delivery::from_webhook(state.bot.lookers(), payload, target_for(&channel))?;
    enqueue(&state, delivery).await?;
    Ok(Accepted::new(ACCEPTED))
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
pub async fn data_action(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Answer<Action> {
    if !state.auth.allows_action(&headers) {
        return Err(Refused::unauthorized());
    }
    let payload = read_webhook(&body).map_err(Refused::bad_request)?;
    // The original's checks, in its order and words: a missing or blank value is "not a string" too.
    let given = |name: &str| payload.param(name).ok().flatten().filter(|v| !v.trim().is_empty());
    let message = given("message").ok_or_else(|| Refused::bad_request("message must be a string."))?;
    let channel = given("channel").ok_or_else(|| Refused::bad_request("channel must be a string."))?;
    let delivery = Delivery::Message {
        target: target_for(&channel),
        text: message,
    };
    enqueue(&state, delivery).await?;
    Ok(Accepted::new(format!("Sending message to {channel}.")))
}

/// `POST /data_actions/form`: the form asking where to send.
pub async fn data_action_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !state.auth.allows_action(&headers) {
        return Refused::<Action>::unauthorized().into_response();
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
        return Refused::<Action>::unauthorized().into_response();
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
