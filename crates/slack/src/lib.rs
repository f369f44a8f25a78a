//! lookerbot's Slack edge: everything that knows Slack's wire formats.
//!
//! The bot core (`bot` crate) speaks in neutral events and replies; this crate turns Slack traffic (Events API,
//! slash commands, interactive payloads, Socket Mode, RTM) into [`inbound::InboundEvent`]s and delivers
//! [`bot::reply::Reply`]s through the Web API ([`sink::SlackSink`]). The Web API client ([`web::SlackWeb`]) is
//! written by hand on reqwest so that rate limiting, pacing and timeouts follow one policy.

pub mod access;
pub mod app;
pub mod cache;
pub mod dedupe;
pub mod destinations;
pub mod directory;
pub mod error;
pub mod http;
pub mod inbound;
pub mod pace;
pub mod render;
pub mod response_url;
pub mod rtm;
pub mod secret;
pub mod sink;
pub mod socket;
pub mod verify;
pub mod web;
pub mod ws;

pub use error::SlackError;
pub use inbound::{InboundEvent, InboundHandler};
pub use secret::Secret;
pub use ws::{ClientHandle, ReconnectPolicy};
