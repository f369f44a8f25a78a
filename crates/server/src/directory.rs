//! Who and where the bot can post, for the data-action form's channel list (the chat adapter provides it).

use async_trait::async_trait;

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
}
