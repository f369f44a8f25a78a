//! The router: every endpoint, its body limit and timeout.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use bot::Bot;
use serde_json::json;
use tokio::sync::Semaphore;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use url::Url;

use crate::auth::PushAuth;
use crate::looker_pushes;
use bot::directory::Directory;

/// Largest scheduled-delivery body: Looker may attach a rendered image as base64.
pub const MAX_WEBHOOK_BODY: usize = 20 * 1024 * 1024;
/// Largest body of every other endpoint.
pub const MAX_BODY: usize = 1024 * 1024;
/// No request is served longer than this (the work behind deliveries happens after the answer).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Most authenticated requests (Looker's pushes, once their token header checked) served at once. Past it a request
/// is answered 503 at once: bounded memory and sockets rather than a backlog that grows while Looker or Slack is slow
/// (deliveries themselves wait in the durable queue, not here).
pub const MAX_CONCURRENT_REQUESTS: usize = 256;
/// Most requests served at once whose origin cannot be known before their body is read (Slack signs the body): they
/// have slots of their own, so that forgeries sent slowly cannot take the slots of Looker's pushes or of
/// `/health_check`, which is never limited.
pub const MAX_UNVERIFIED_REQUESTS: usize = 64;
/// How long a Slack request waits for one of the [`MAX_UNVERIFIED_REQUESTS`] slots before it is answered 503. Slack
/// waits 3 s for a slash command's acknowledgement and does not send it again, so a burst of real commands queues
/// briefly instead of being refused; forgeries sent slowly still cannot hold anyone longer than this.
pub const UNVERIFIED_SLOT_WAIT: Duration = Duration::from_secs(1);
/// The whole body must arrive within this, counted once its headers are accepted; a slower one gets 408.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub bot: Bot,
    /// Stores deliveries durably and gets them going.
    pub deliveries: crate::Deliveries,
    pub auth: PushAuth,
    pub directory: Arc<dyn Directory>,
    /// `LOOKERBOT_PUBLIC_URL`; when unset, the Host of the request is used.
    pub public_url: Option<Url>,
}

impl AppState {
    /// The URL Looker reaches this server at, for the Action Hub's links.
    pub fn public_base(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.public_url {
            return url.as_str().trim_end_matches('/').to_string();
        }
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let host = header("x-forwarded-host").or(header("host")).unwrap_or("localhost");
        let scheme = header("x-forwarded-proto").unwrap_or("http");
        format!("{scheme}://{host}")
    }
}

/// All endpoints: Looker's pushes, health, and `slack` (the Slack adapter's own routes, verified there, built with
/// [`unverified_stage`]).
///
/// Looker's pushes are checked for a known token in their headers before anything else happens; only then do they
/// take one of the request slots and is their body read (within [`BODY_TIMEOUT`]). Slack's requests take the
/// unverified slots while their body is read and its signature checked.
pub fn router(state: AppState, slack: Router) -> Router {
    let scheduled = with_body_stage(
        Router::new().route("/slack/post/{kind}/{name}", post(looker_pushes::post_scheduled)),
        MAX_WEBHOOK_BODY,
    )
    .route_layer(middleware::from_fn_with_state(
        state.auth.clone(),
        looker_pushes::refuse_unknown_plan_token,
    ));
    let query_action = with_body_stage(
        Router::new().route(
            "/slack/post_from_query_action",
            post(looker_pushes::post_from_query_action),
        ),
        MAX_WEBHOOK_BODY,
    );
    let small_actions = with_body_stage(
        Router::new()
            .route("/", post(looker_pushes::action_list))
            .route("/data_actions", post(looker_pushes::data_action))
            .route("/data_actions/form", post(looker_pushes::data_action_form)),
        MAX_BODY,
    );
    let actions = query_action
        .merge(small_actions)
        .route_layer(middleware::from_fn_with_state(
            state.auth.clone(),
            looker_pushes::refuse_unknown_action_token,
        ));
    let looker = shed_load(scheduled.merge(actions), MAX_CONCURRENT_REQUESTS);
    let public = Router::new()
        .route("/", get(index))
        .route("/health_check", get(health))
        .layer(body_limit(MAX_BODY));
    Router::new()
        .merge(looker)
        .merge(public)
        .with_state(state)
        .merge(slack.layer(body_limit(MAX_BODY)))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
}

/// What Slack's routes go through once their headers are checked (`slack::SlackHttp::router_with`): slots of
/// their own, then the body read within [`BODY_TIMEOUT`] and at most [`MAX_BODY`].
pub fn unverified_stage<S: Clone + Send + Sync + 'static>(routes: Router<S>) -> Router<S> {
    shed_load_after(
        with_body_stage(routes, MAX_BODY),
        MAX_UNVERIFIED_REQUESTS,
        UNVERIFIED_SLOT_WAIT,
    )
}

/// `router` with bodies over `max` refused, and the whole body read within [`BODY_TIMEOUT`] before the handler runs
/// (a handler never waits on a slow sender).
fn with_body_stage<S: Clone + Send + Sync + 'static>(router: Router<S>, max: usize) -> Router<S> {
    router
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            read_whole_body(request, next, max)
        }))
        .layer(body_limit(max))
}

async fn read_whole_body(request: Request, next: Next, max: usize) -> Response {
    let (parts, body) = request.into_parts();
    match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, max)).await {
        Ok(Ok(bytes)) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Ok(Err(error)) if is_too_large(&error) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The request body is larger than {max} bytes."),
        )
            .into_response(),
        Ok(Err(error)) => (
            StatusCode::BAD_REQUEST,
            format!("The request body could not be read: {error}"),
        )
            .into_response(),
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            [(header::CONNECTION, "close")],
            format!("The request body did not arrive within {} s.", BODY_TIMEOUT.as_secs()),
        )
            .into_response(),
    }
}

fn is_too_large(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// Refuses bodies over `max` bytes with 413, also on endpoints that ignore their body: from `Content-Length` before
/// anything is read, and while reading when the length is not announced.
fn body_limit(max: usize) -> (DefaultBodyLimit, RequestBodyLimitLayer) {
    (DefaultBodyLimit::max(max), RequestBodyLimitLayer::new(max))
}

/// `app` serving at most `max` requests at once; past it a request is answered 503 at once.
pub fn shed_load<S: Clone + Send + Sync + 'static>(app: Router<S>, max: usize) -> Router<S> {
    shed_load_after(app, max, Duration::ZERO)
}

/// `app` serving at most `max` requests at once; past it a request waits up to `wait` for a slot, then is answered
/// 503. Waiting requests hold their connection but no body: the body is read only once a slot is taken.
pub fn shed_load_after<S: Clone + Send + Sync + 'static>(app: Router<S>, max: usize, wait: Duration) -> Router<S> {
    let slots = Arc::new(Semaphore::new(max));
    app.layer(middleware::from_fn(move |request: Request, next: Next| {
        let slots = Arc::clone(&slots);
        async move {
            let slot = match slots.clone().try_acquire_owned() {
                Ok(slot) => Some(slot),
                Err(_) if wait.is_zero() => None,
                Err(_) => tokio::time::timeout(wait, slots.acquire_owned())
                    .await
                    .ok()
                    .and_then(Result::ok),
            };
            let Some(_slot) = slot else {
                tracing::warn!("busy: refused a request ({max} are being served)");
                let busy = "The bot is serving too many requests; try again shortly.";
                return (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", "1")], busy).into_response();
            };
            next.run(request).await
        }
    }))
}

async fn health() -> impl IntoResponse {
    axum::Json(json!({ "success": true, "reason": "Healthy" }))
}

async fn index() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Lookerbot</title></head><body>",
        "<h1>Lookerbot is running</h1><p>Lookerbot ",
        env!("CARGO_PKG_VERSION"),
        " connects Slack and Looker. Talk to it in Slack; see <code>/health_check</code> for its status.</p>",
        "</body></html>"
    ))
}
