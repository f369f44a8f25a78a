//! The router: every endpoint, its body limit and timeout.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use bot::Bot;
use serde_json::json;
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

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub bot: Bot,
    pub queue: Arc<dyn queue::Store>,
    /// Tells the delivery workers there is new work.
    pub wake_workers: Arc<dyn Fn() + Send + Sync>,
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
        .layer(DefaultBodyLimit::max(MAX_WEBHOOK_BODY));
    let actions = Router::new()
        .route("/", get(index).post(looker_pushes::action_list))
        .route("/data_actions", post(looker_pushes::data_action))
        .route("/data_actions/form", post(looker_pushes::data_action_form))
        .route("/health_check", get(health))
        .layer(DefaultBodyLimit::max(MAX_BODY));
    Router::new()
        .merge(webhooks)
        .merge(actions)
        .with_state(state)
        .merge(slack.layer(DefaultBodyLimit::max(MAX_BODY)))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
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
