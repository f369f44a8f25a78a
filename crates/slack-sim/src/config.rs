//! Simulator configuration.

use std::time::Duration;

pub use crate::limits::{HistoryLimits, PostRate};

/// Bot token the simulator accepts unless configured otherwise.
pub const DEFAULT_BOT_TOKEN: &str = "xoxb-sim-bot";
/// App-level token (for `apps.connections.open`) the simulator accepts unless configured otherwise.
pub const DEFAULT_APP_TOKEN: &str = "xapp-sim-app";
/// Signing secret used by [`crate::SlackSim::sign`] unless configured otherwise.
pub const DEFAULT_SIGNING_SECRET: &str = "sim-signing-secret";

/// How a simulator instance behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Delay added before answering every HTTP call.
    pub latency: Duration,
    pub bot_token: String,
    pub app_token: String,
    pub signing_secret: String,
    /// Bot scopes the token was granted. Reported in the `X-OAuth-Scopes` header; a method whose documented bot
    /// scopes are all missing answers `missing_scope`.
    pub scopes: Vec<String>,
    /// chat.postMessage's per-channel rate; past it HTTP 429 with `Retry-After`. `None` turns the limit off (for
    /// benchmarks that measure the bot, not Slack's limit).
    pub post_rate: Option<PostRate>,
    /// conversations.history's rate and page size (Tier 3 by default).
    pub history: HistoryLimits,
    /// Posts a `response_url` takes, and for how long after its first post.
    pub response_url_uses: u32,
    pub response_url_lifetime: Duration,
    /// Largest file files.getUploadURLExternal accepts (Slack's limit is 1 GB).
    pub max_upload_bytes: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            latency: Duration::ZERO,
            bot_token: DEFAULT_BOT_TOKEN.to_owned(),
            app_token: DEFAULT_APP_TOKEN.to_owned(),
            signing_secret: DEFAULT_SIGNING_SECRET.to_owned(),
            scopes: default_bot_scopes(),
            post_rate: Some(PostRate::SLACK),
            history: HistoryLimits::TIER_3,
            response_url_uses: 5,
            response_url_lifetime: Duration::from_secs(30 * 60),
            max_upload_bytes: 1_000_000_000,
        }
    }
}

/// The bot scopes lookerbot needs: messaging, DMs, slash commands, mentions, unfurls, uploads and lookups.
pub fn default_bot_scopes() -> Vec<String> {
    [
        "app_mentions:read",
        "channels:history",
        "channels:read",
        "chat:write",
        "commands",
        "files:write",
        "groups:history",
        "groups:read",
        "im:history",
        "im:read",
        "im:write",
        "links:read",
        "links:write",
        "mpim:history",
        "mpim:read",
        "team:read",
        "users:read",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}
