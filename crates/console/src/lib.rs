//! The terminal as a chat with lookerbot, for `lookerbot demo` (against the built-in Looker sandbox) and
//! `lookerbot console` (against a real Looker, so admins can try custom commands without Slack).
//!
//! [`chat::run_chat`] reads lines and hands them to the bot core as direct messages; [`sink::TerminalSink`] prints
//! the answers, rendered by [`render::render`], and saves chart images to a folder.
//!
//! ```no_run
//! # async fn chat(bot: bot::Bot) -> std::io::Result<()> {
//! use std::sync::Arc;
//!
//! let sink = Arc::new(console::TerminalSink::stdout("lookerbot-images"));
//! let stdin = tokio::io::BufReader::new(tokio::io::stdin());
//! console::run_chat(bot, stdin, sink, console::ChatOptions::for_stdin()).await
//! # }
//! ```

pub mod chat;
mod images;
pub mod render;
pub mod sink;
mod table;
mod text;

pub use chat::{ChatOptions, run_chat};
pub use render::{Style, render};
pub use sink::{SharedBuffer, TerminalSink};
pub use text::tone_symbol;

/// The name the bot's lines carry in the transcript.
pub const BOT_NAME: &str = "lookerbot";

/// The user id the console user has in chat events.
pub const CONSOLE_USER: &str = "U0CONSOLE";

/// The conversation id of the console: a direct message between the console user and the bot.
pub const CONSOLE_CHANNEL: &str = "D0CONSOLE";
