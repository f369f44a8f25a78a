//! A local stand-in for slack.com, used by tests, benchmarks and the demo.
//!
//! [`SlackSim::start`] binds an HTTP server on 127.0.0.1 that answers the Web API methods the bot uses
//! (`{api_url}{method}`), accepts file uploads and `response_url` posts, and serves the Socket Mode and RTM
//! WebSocket endpoints. Every call is recorded so tests can assert on what the bot sent, and faults
//! (HTTP 429 with `Retry-After`, HTTP 5xx, latency, dropped sockets) can be injected on demand.
//!
//! Argument rules come from the slack-api-ref method descriptions in `data/methods/`, not from hand-typed lists.

mod api;
mod args;
mod blocks;
mod config;
mod error;
mod faults;
mod multipart;
mod records;
mod response_url;
mod server;
mod shared;
mod signing;
mod sim;
mod socket;
mod spec;
mod upload;
mod workspace;

pub use config::{
    DEFAULT_APP_TOKEN, DEFAULT_BOT_TOKEN, DEFAULT_SIGNING_SECRET, SimConfig, default_bot_scopes,
};
pub use error::SimError;
pub use records::{PostedMessage, RecordedCall, UploadedFile};
pub use sim::SlackSim;
pub use workspace::{
    APP_ID, BOT_ID, BOT_USER_ID, BOT_USER_NAME, Conversation, ConversationKind, TEAM_DOMAIN,
    TEAM_ID, TEAM_NAME, User,
};
