//! The bot core: what lookerbot does, independent of how people reach it.
//!
//! Chat adapters (Slack Socket Mode, Events API, RTM, the terminal console) turn traffic into [`event`]s; the core
//! asks Looker through the one typed client of the `looker` crate and answers with neutral [`reply`]s, which
//! renderers turn into Block Kit or terminal text and a [`sink::ChatSink`] delivers. Nothing here knows Slack's wire
//! format or HTTP.

pub mod event;
pub mod reply;
pub mod sink;
