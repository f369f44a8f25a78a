//! Two verbs of the `lookerbot` binary, as a library: `check` (is every configured connection working, and what to
//! fix when not) and `manifest` (a Slack app manifest matching what the bot calls).
//!
//! The scopes the bot needs are defined once, in [`scopes`], and used by both.

pub mod check;
pub mod manifest;
pub mod scopes;

pub use check::{CheckLine, Outcome, StoreProbe, exit_code, print, run_checks};
pub use manifest::manifest_yaml;
pub use scopes::{
    bot_events, delivery_history_scopes, required_bot_scopes, required_bot_scopes_for_identity, why_needed,
};
