//! What happened in a chat, as the core sees it.

use serde::{Deserialize, Serialize};

/// Where a message came from, which decides how the core answers (privately, in the channel, or silently).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    /// A direct message to the bot: everything is a command; unknown text gets the "couldn't understand" answer.
    DirectMessage,
    /// An @mention of the bot in a channel, with the mention already stripped from the text.
    Mention,
    /// The `/looker` slash command: help is private to the asker, results are posted in the channel.
    SlashCommand,
    /// A plain channel message, read only to expand Looker links (`LOOKER_SLACKBOT_EXPAND_URLS`).
    ChannelMessage,
    /// A link unfurl request: only links are looked at, and refusals are silent.
    LinkShared,
}

/// A person who wrote to the bot, with chat-platform ids kept opaque.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    pub user_id: String,
    pub team_id: Option<String>,
    /// The email of the person's chat profile, when the adapter knows it (needed by identity `user`).
    #[serde(default)]
    pub email: Option<String>,
}

/// Where replies go: a channel (or DM) and optionally a thread. Both are the chat platform's own references,
/// opaque to the core, which only hands them back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Conversation {
    pub channel_id: String,
    #[serde(alias = "thread_ts")]
    pub thread: Option<String>,
}

/// A message addressed to the bot, already decoded into plain text (entities decoded, mention stripped, curly
/// quotes straightened).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub text: String,
    pub sender: Sender,
    pub conversation: Conversation,
    pub origin: Origin,
}

/// A click on a button the core put into a reply. `value` is what [`crate::reply::Button::value`] carried, returned
/// untouched by the chat platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonClick {
    pub value: String,
    pub sender: Sender,
    pub conversation: Conversation,
}

/// Everything the core reacts to from a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChatEvent {
    Message(Message),
    ButtonClick(ButtonClick),
}

impl ChatEvent {
    /// Who caused the event.
    pub fn sender_mut(&mut self) -> &mut Sender {
        match self {
            ChatEvent::Message(m) => &mut m.sender,
            ChatEvent::ButtonClick(c) => &mut c.sender,
        }
    }
}
