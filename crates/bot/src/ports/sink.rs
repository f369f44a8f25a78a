//! How the core hands replies to a chat platform.

use async_trait::async_trait;

use crate::event::Conversation;
use crate::failure::Failure;
use crate::reply::Reply;

/// A message the sink posted, so that it can be replaced later (loading message -> result). The references are the
/// chat platform's own, opaque to the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedMessage {
    pub channel_id: String,
    /// The message itself.
    pub message: String,
    /// The thread the message is in, so that what replaces it (and the images that come with it) stays there.
    pub thread: Option<String>,
}

/// Where a reply goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A conversation, as an answer to someone in it. `asker` is needed for private (ephemeral) replies.
    Conversation {
        conversation: Conversation,
        asker: Option<String>,
    },
    /// A channel by name or id, for scheduled deliveries and data actions (`#name`, `name`, or an id).
    Channel(String),
    /// A person by user name or id, in a direct message.
    Person(String),
}

/// One delivery across its attempts, for a sink that can look whether an earlier attempt already posted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryMark {
    /// The same on every attempt of the delivery and different for every other delivery.
    pub id: String,
    /// When the delivery was stored: anything an attempt posted is younger.
    pub stored_at: std::time::SystemTime,
    /// An earlier attempt may have posted it: it ended without knowing whether its post arrived, or never ended
    /// (the process died).
    pub look_first: bool,
}

/// How much one reply can hold where it goes. The core shapes results to fit (and asks Looker for no more rows than
/// a table can show), so a renderer never cuts data without saying so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyLimits {
    /// Rows of one table, a totals row included (the header row not counted).
    pub table_rows: usize,
    /// Columns of one table.
    pub table_columns: usize,
    /// Bytes of text one button can carry back when clicked.
    pub button_value: usize,
}

impl Default for ReplyLimits {
    /// What a person reads in one message: a screenful of rows, a page's width of columns.
    fn default() -> Self {
        ReplyLimits {
            table_rows: 99,
            table_columns: 20,
            button_value: 2000,
        }
    }
}

/// The core's only way out to a chat. Implemented by the Slack sender and by the terminal console.
#[async_trait]
pub trait ChatSink: Send + Sync {
    /// Posts a reply; returns the posted message when it can be replaced later (not for private replies).
    async fn post(&self, to: &Destination, reply: &Reply) -> Result<Option<PostedMessage>, Failure>;

    /// Posts a delivery's reply, once where the chat allows it: the message carries `mark.id`, and when
    /// `mark.look_first` nothing is posted if the destination already has a message carrying it (the one found is
    /// returned). A sink that cannot look posts as [`ChatSink::post`] does.
    async fn post_delivery(
        &self,
        to: &Destination,
        reply: &Reply,
        mark: &DeliveryMark,
    ) -> Result<Option<PostedMessage>, Failure> {
        let _ = mark;
        self.post(to, reply).await
    }

    /// How much one reply can hold on this chat.
    fn limits(&self) -> ReplyLimits {
        ReplyLimits::default()
    }

    /// Replaces a message posted earlier (used to swap a loading message for its result).
    async fn replace(&self, posted: &PostedMessage, reply: &Reply) -> Result<(), Failure>;

    /// Sends what the sink held back, once all replies to a message are in (a chat that limits how many answers
    /// one command gets folds the last ones together). Sinks that hold nothing need not implement it.
    async fn flush(&self) -> Result<(), Failure> {
        Ok(())
    }
}
