//! Simulator configuration.

use std::time::Duration;

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
        "mpim:read",
        "team:read",
        "users:read",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}
