//! A local stand-in for slack.com, used by tests, benchmarks and the demo.
//!
//! [`SlackSim::start`] binds an HTTP server on 127.0.0.1 that answers the Web API methods the bot uses
//! (`{api_url}{method}`), accepts file uploads and `response_url` posts, and serves the Socket Mode and RTM
//! WebSocket endpoints. Slack's documented limits are on by default (`chat.postMessage` per channel with 429 and
//! `Retry-After`, 5 posts per `response_url` in 30 minutes, Block Kit and text limits, upload size; see
//! [`SimConfig`]). Every call is recorded so tests can assert on what the bot sent, and faults
//! (HTTP 429 with `Retry-After`, HTTP 5xx, latency, answers that come late after the call took effect, dropped
//! sockets) can be injected on demand. Message metadata is stored with a post and shown by conversations.history
//! only when asked for (`include_all_metadata`), whose rate tier and page size are enforced too.
//!
//! Argument rules come from the slack-api-ref method descriptions in `data/methods/`, not from hand-typed lists.
//!
//! Endpoints (all on `base_url`):
//! - `/api/{method}`: GET query, POST form, multipart or JSON (token as `Authorization: Bearer` or a `token`
//!   query/form field; Slack ignores a token inside a JSON body, and so does the simulator).
//! - `/upload/{file_id}`: the `upload_url` of files.getUploadURLExternal (raw bytes or multipart).
//! - `/response/{id}`: [`SlackSim::response_url`]; fault name `response_url`. The upload endpoint's is
//!   `file_upload`.
//! - `/link/?ticket=..` (Socket Mode) and `/rtm/?ticket=..` (RTM): one-time URLs from apps.connections.open and
//!   rtm.connect. Latency does not apply to WebSocket traffic.
//!
//! Seeded workspace: team `T0SIM` "Sim Team" (domain `sim`). Channels: `C0GENERAL` #general and `C0ALERTS`
//! #alerts (bot member), `C0RANDOM` #random (bot not a member: `not_in_channel`), `G0PRIVATE` #secret-plans
//! (private, bot member), `C0ARCHIVED` #old-project (archived, bot member: `is_archived`). Users: `U0ALICE`
//! (admin), `U0BOB`, `U0GUEST` (restricted), `U0ULTRA` (ultra restricted, only in #alerts), `U0HELPER` (bot),
//! `U0GONE` (deleted), `U0OTHER` (team `T0OTHER`), `U0APP` (an app user), `W0GRID` (Enterprise Grid member: team
//! `E0SIM`, teams `T0ELSEWHERE` and `T0SIM`), `U0STRANGER` (`is_stranger`, team `T0OTHER`) and the bot `UBOT`. DMs opened with conversations.open, or
//! by posting to a user id, get ids like `D0ALICE`; group DMs `G0MPIM1`, ...

mod api;
mod args;
mod blocks;
mod config;
mod error;
mod faults;
mod limits;
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
    DEFAULT_APP_TOKEN, DEFAULT_BOT_TOKEN, DEFAULT_SIGNING_SECRET, HistoryLimits, PostRate, SimConfig,
    default_bot_scopes,
};
pub use error::SimError;
pub use records::{HandlerSpan, PostedMessage, RecordedCall, UploadedFile};
pub use sim::SlackSim;
pub use workspace::{
    APP_ID, BOT_ID, BOT_USER_ID, BOT_USER_NAME, Conversation, ConversationKind, TEAM_DOMAIN, TEAM_ID, TEAM_NAME, User,
};
