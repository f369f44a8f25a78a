//! What the simulator saw, kept for tests to assert on.

use std::time::Instant;

use serde_json::Value;

/// One Web API call, with the simulator's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCall {
    pub method: String,
    /// Query, form and JSON arguments merged; the token is not included (see `token`).
    pub args: Value,
    pub token: Option<String>,
    pub http_status: u16,
    /// The JSON answer, or a JSON string holding the text body of an injected failure.
    pub response: Value,
}

/// A message as the bot sent it. `method` is `chat.postMessage`, `chat.update` (the message was edited; the
/// entry holds its current state), `chat.postEphemeral`, `chat.unfurl` (`blocks` holds the `unfurls` object) or
/// `response_url`.
#[derive(Debug, Clone, PartialEq)]
pub struct PostedMessage {
    pub method: String,
    /// Channel id; empty for a `response_url` post whose URL was made without a channel.
    pub channel: String,
    pub ts: String,
    pub thread_ts: Option<String>,
    pub text: Option<String>,
    pub blocks: Option<Value>,
    /// Recipient of an ephemeral message.
    pub user: Option<String>,
    pub response_type: Option<String>,
    pub replace_original: Option<bool>,
    /// The message's metadata (`event_type` and `event_payload`), as chat.postMessage stored it.
    pub metadata: Option<Value>,
}

/// A file whose upload was completed with `files.completeUploadExternal`.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadedFile {
    pub id: String,
    pub title: Option<String>,
    pub filename: String,
    pub bytes: Vec<u8>,
    pub channel: Option<String>,
    pub thread_ts: Option<String>,
    pub initial_comment: Option<String>,
}

impl PostedMessage {
    /// A message with only its identity set; callers fill in the content.
    pub(crate) fn new(method: &str, channel: impl Into<String>, ts: impl Into<String>) -> PostedMessage {
        PostedMessage {
            method: method.to_owned(),
            channel: channel.into(),
            ts: ts.into(),
            thread_ts: None,
            text: None,
            blocks: None,
            user: None,
            response_type: None,
            replace_original: None,
            metadata: None,
        }
    }
}

/// One HTTP call, from the moment its request reached the simulator until its answer was ready: a benchmark
/// subtracts this time from the bot's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerSpan {
    /// The Web API method, `response_url`, `file_upload`, or the path of anything else.
    pub name: String,
    pub start: Instant,
    pub end: Instant,
}
