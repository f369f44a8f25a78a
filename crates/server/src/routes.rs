//! The router: every endpoint, its body limit and timeout.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use bot::Bot;
use serde_json::json;
use tokio::sync::Semaphore;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use url::Url;

use crate::auth::PushAuth;
use crate::directory::Directory;
use crate::looker_pushes;

/// Largest scheduled-delivery body: Looker may attach a rendered image as base64.
pub const MAX_WEBHOOK_BODY: usize = 20 * 1024 * 1024;
/// Largest body of every other endpoint.
pub const MAX_BODY: usize = 1024 * 1024;
/// No request is served longer than this (the work behind deliveries happens after the answer).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Most requests served at once. Past it a request is answered 503 at once: bounded memory and sockets rather than a
/// backlog that grows while Looker or Slack is slow (deliveries themselves wait in the durable queue, not here).
pub const MAX_CONCURRENT_REQUESTS: usize = 256;

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

/// All endpoints: Looker's pushes, health, and `slack` (the Slack adapter's own routes, already verified there).
pub fn router(state: AppState, slack: Router) -> Router {
    let webhooks = Router::new()
        .route("/slack/post/{kind}/{name}", post(looker_pushes::post_scheduled))
        .route(
            "/slack/post_from_query_action",
            post(looker_pushes::post_from_query_action),
        )
        .layer(body_limit(MAX_WEBHOOK_BODY));
    let actions = Router::new()
        .route("/", get(index).post(looker_pushes::action_list))
        .route("/data_actions", post(looker_pushes::data_action))
        .route("/data_actions/form", post(looker_pushes::data_action_form))
        .route("/health_check", get(health))
        .layer(body_limit(MAX_BODY));
    let app = Router::new()
        .merge(webhooks)
        .merge(actions)
        .with_state(state)
        .merge(slack.layer(body_limit(MAX_BODY)))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ));
    shed_load(app, MAX_CONCURRENT_REQUESTS)
}

/// Refuses bodies over `max` bytes with 413, also on endpoints that ignore their body: from `Content-Length` before
/// anything is read, and while reading when the length is not announced.
fn body_limit(max: usize) -> (DefaultBodyLimit, RequestBodyLimitLayer) {
    (DefaultBodyLimit::max(max), RequestBodyLimitLayer::new(max))
}

/// Serves at most `max` requests at once; the others get 503 with `Retry-After` at once instead of waiting.
pub fn shed_load(app: Router, max: usize) -> Router {
    let slots = Arc::new(Semaphore::new(max));
    app.layer(middleware::from_fn(move |request: Request, next: Next| {
        let slots = Arc::clone(&slots);
        async move {
            let Ok(_slot) = slots.try_acquire() else {
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
