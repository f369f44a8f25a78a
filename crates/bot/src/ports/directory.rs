//! The port to the chat's directory: who and where the bot can post, for the data-action form's channel list and
//! for checking a push's destination before it is accepted. The chat adapter implements it (in Slack,
//! `slack::destinations`), beside its [`crate::sink::ChatSink`].

use async_trait::async_trait;

use crate::delivery::Target;

/// One choice of the form's `channel` select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormOption {
    /// What the bot posts to: a channel id or a user id.
    pub name: String,
    /// What people see: `#channel` or `@person`.
    pub label: String,
}

#[async_trait]
pub trait Directory: Send + Sync {
    /// Public channels the bot is in, then people (no guests, bots or deactivated users), each sorted by label.
    async fn post_targets(&self) -> Result<Vec<FormOption>, String>;

    /// `Err(why)` when the target surely cannot be posted to (no such channel or person, or a channel the bot is
    /// not in), so the push is refused at once rather than failing later. When the chat cannot be asked right
    /// now, `Ok`: the queued delivery will retry and tell.
    async fn check_target(&self, _target: &Target) -> Result<(), String> {
        Ok(())
    }
}
