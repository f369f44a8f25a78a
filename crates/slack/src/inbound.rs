//! Parsing what Slack sends (Events API callbacks, slash commands, interactive payloads, Socket Mode frames, RTM
//! events) into the core's [`ChatEvent`]s, with the Slack-side context a reply needs.

use async_trait::async_trait;
use bot::event::{ButtonClick, ChatEvent, Conversation, Message, Origin, Sender};
use serde::Deserialize;
use serde_json::Value;

/// Receives every event the Slack edge accepted. The lead wires it to the bot core.
#[async_trait]
pub trait InboundHandler: Send + Sync {
    async fn handle(&self, event: InboundEvent);
}

/// How an event reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    #[default]
    Http,
    SocketMode,
    Rtm,
}

/// A chat event plus what Slack needs to answer it.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundEvent {
    pub event: ChatEvent,
    pub context: SlackContext,
}

/// Slack-side facts about an event that the core does not model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlackContext {
    pub transport: Transport,
    /// Where to answer a slash command or a button click (valid 30 minutes, 5 uses).
    pub response_url: Option<String>,
    /// Events API `event_id`, the key for dropping redeliveries.
    pub event_id: Option<String>,
    /// How many times Slack has redelivered this event (`X-Slack-Retry-Num`, Socket Mode `retry_attempt`).
    pub retry_num: Option<u32>,
    /// The workspace the event came through.
    pub team_id: Option<String>,
    /// The `ts` of the message the event is about (the person's message, or the one holding the clicked button).
    pub message_ts: Option<String>,
    /// The slash command used (`/looker`).
    pub command: Option<String>,
    /// For link_shared: where `chat.unfurl` must attach previews.
    pub unfurl: Option<UnfurlTarget>,
}

impl SlackContext {
    /// Whether Slack marked this as a retry of an event it sent before: `X-Slack-Retry-Num` counts from 1, Socket
    /// Mode's `retry_attempt` is 0 on the first delivery.
    pub fn is_redelivery(&self) -> bool {
        self.retry_num.is_some_and(|n| n > 0)
    }
}

/// What `chat.unfurl` needs: `channel` + `ts`, or `unfurl_id` + `source` for links in the message composer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfurlTarget {
    pub channel: String,
    pub ts: String,
    pub unfurl_id: Option<String>,
    pub source: Option<String>,
    pub links: Vec<String>,
}

/// The outcome of parsing one request or frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Event(Box<InboundEvent>),
    /// The Events API handshake: answer with the challenge.
    UrlVerification {
        challenge: String,
    },
    /// Well-formed but not for the bot (its own messages, edits, joins, other apps' events...).
    Ignored(&'static str),
}

/// A Socket Mode frame.
#[derive(Debug, Clone, PartialEq)]
pub enum SocketFrame {
    Hello,
    /// Slack will close (or has closed) this connection; `reason` is `refresh_requested`, `warning`,
    /// `link_disabled`, `too_many_websockets`...
    Disconnect {
        reason: String,
    },
    /// Something to acknowledge with `envelope_id`.
    Envelope {
        envelope_id: String,
        kind: String,
        parsed: Result<Parsed, ParseError>,
    },
    Unknown,
}

/// A body that is not what Slack sends; answered with HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed Slack request: {0}")]
pub struct ParseError(pub String);

/// The fields of a slash command (a form over HTTP, a JSON object in Socket Mode).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SlashCommand {
    pub command: String,
    pub text: String,
    pub user_id: String,
    pub user_name: String,
    pub team_id: String,
    pub channel_id: String,
    pub response_url: String,
    pub token: Option<String>,
    pub trigger_id: String,
}

/// Turns Slack payloads into events. Knows who the bot is, to strip its mention and skip its own messages.
#[derive(Debug, Clone, Default)]
pub struct InboundParser {
    /// The bot's user id (`auth.test` `user_id`).
    pub bot_user_id: Option<String>,
    /// The bot's bot id (`auth.test` `bot_id`).
    pub bot_id: Option<String>,
    /// Pass plain channel messages on (for Looker link expansion).
    pub expand_urls: bool,
}

impl InboundParser {
    pub fn new(bot_user_id: impl Into<String>) -> Self {
        InboundParser {
            bot_user_id: Some(bot_user_id.into()),
            ..Default::default()
        }
    }

    /// A slash command form body (`application/x-www-form-urlencoded`).
    pub fn slash_command_form(&self, body: &[u8]) -> Result<InboundEvent, ParseError> {
        let command: SlashCommand =
            serde_urlencoded::from_bytes(body).map_err(|e| ParseError(format!("slash command form: {e}")))?;
        self.slash_command(&command, Transport::Http)
    }

    pub fn slash_command(&self, command: &SlashCommand, transport: Transport) -> Result<InboundEvent, ParseError> {
        if command.user_id.is_empty() || command.channel_id.is_empty() {
            return Err(ParseError("slash command without user_id or channel_id".into()));
        }
        let message = Message {
            text: clean_text(&command.text, self.bot_user_id.as_deref()),
            sender: Sender {
                user_id: command.user_id.clone(),
                team_id: non_empty(&command.team_id),
                email: None,
            },
            conversation: Conversation {
                channel_id: command.channel_id.clone(),
                thread: None,
            },
            origin: Origin::SlashCommand,
        };
        let context = SlackContext {
            transport,
            response_url: non_empty(&command.response_url),
            team_id: non_empty(&command.team_id),
            command: non_empty(&command.command),
            ..Default::default()
        };
        Ok(InboundEvent {
            event: ChatEvent::Message(message),
            context,
        })
    }

    /// An Events API body (`url_verification` or `event_callback`).
    pub fn events_api(&self, body: &Value, retry_num: Option<u32>, transport: Transport) -> Result<Parsed, ParseError> {
        match str_at(body, "type") {
            Some("url_verification") => {
                let challenge =
                    str_at(body, "challenge").ok_or_else(|| ParseError("url_verification without challenge".into()))?;
                Ok(Parsed::UrlVerification {
                    challenge: challenge.to_string(),
                })
            }
            Some("event_callback") => {
                let event = body
                    .get("event")
                    .filter(|e| e.is_object())
                    .ok_or_else(|| ParseError("event_callback without event".into()))?;
                let mut parsed = self.inner_event(event, str_at(body, "team_id"), transport);
                if let Parsed::Event(inbound) = &mut parsed {
                    inbound.context.event_id = str_at(body, "event_id").map(str::to_string);
                    inbound.context.retry_num = retry_num;
                }
                Ok(parsed)
            }
            Some(_) => Ok(Parsed::Ignored("not an event callback")),
            None => Err(ParseError("JSON body without type".into())),
        }
    }

    /// A form body with one field `payload` holding an interactive payload's JSON.
    pub fn interactive_form(&self, body: &[u8]) -> Result<Parsed, ParseError> {
        let payload = interactive_payload(body)?;
        self.interactive(&payload, Transport::Http)
    }

    /// An interactive payload: button clicks (`block_actions`, legacy `interactive_message`).
    pub fn interactive(&self, payload: &Value, transport: Transport) -> Result<Parsed, ParseError> {
        let kind = str_at(payload, "type").ok_or_else(|| ParseError("interactive payload without type".into()))?;
        let action = match kind {
            "block_actions" | "interactive_message" => payload["actions"].get(0),
            _ => return Ok(Parsed::Ignored("interaction other than a button click")),
        };
        let Some(action) = action else {
            return Ok(Parsed::Ignored("interaction without actions"));
        };
        let value = str_at(action, "value")
            .or_else(|| action["selected_option"]["value"].as_str())
            .or_else(|| action["selected_options"][0]["value"].as_str());
        let Some(value) = value else {
            return Ok(Parsed::Ignored("action without a value"));
        };
        let user_id =
            str_at(&payload["user"], "id").ok_or_else(|| ParseError("interactive payload without user.id".into()))?;
        let team_id = str_at(&payload["user"], "team_id").or_else(|| str_at(&payload["team"], "id"));
        let channel_id = str_at(&payload["channel"], "id")
            .or_else(|| str_at(&payload["container"], "channel_id"))
            .ok_or_else(|| ParseError("interactive payload without a channel".into()))?;
        let message = if kind == "block_actions" {
            &payload["message"]
        } else {
            &payload["original_message"]
        };
        let thread_ts = str_at(&payload["container"], "thread_ts").or_else(|| str_at(message, "thread_ts"));
        let message_ts = str_at(&payload["container"], "message_ts")
            .or_else(|| str_at(payload, "message_ts"))
            .or_else(|| str_at(message, "ts"));
        let click = ButtonClick {
            value: value.to_string(),
            sender: Sender {
                user_id: user_id.to_string(),
                team_id: team_id.map(str::to_string),
                email: None,
            },
            conversation: Conversation {
                channel_id: channel_id.to_string(),
                thread: thread_ts.map(str::to_string),
            },
        };
        let context = SlackContext {
            transport,
            response_url: str_at(payload, "response_url").map(str::to_string),
            team_id: str_at(&payload["team"], "id").map(str::to_string),
            message_ts: message_ts.map(str::to_string),
            ..Default::default()
        };
        Ok(Parsed::Event(Box::new(InboundEvent {
            event: ChatEvent::ButtonClick(click),
            context,
        })))
    }

    /// A Socket Mode frame as received on the WebSocket.
    pub fn socket_frame(&self, frame: &Value) -> SocketFrame {
        let kind = str_at(frame, "type").unwrap_or_default();
        match kind {
            "hello" => return SocketFrame::Hello,
            "disconnect" => {
                return SocketFrame::Disconnect {
                    reason: str_at(frame, "reason").unwrap_or("unknown").to_string(),
                };
            }
            _ => {}
        }
        let Some(envelope_id) = str_at(frame, "envelope_id") else {
            return SocketFrame::Unknown;
        };
        let payload = &frame["payload"];
        let parsed = match kind {
            "events_api" => {
                let retry = frame["retry_attempt"].as_u64().map(|n| n as u32);
                self.events_api(payload, retry, Transport::SocketMode)
            }
            "slash_commands" => SlashCommand::deserialize(payload)
                .map_err(|e| ParseError(format!("slash command payload: {e}")))
                .and_then(|command| self.slash_command(&command, Transport::SocketMode))
                .map(|event| Parsed::Event(Box::new(event))),
            "interactive" => self.interactive(payload, Transport::SocketMode),
            _ => Ok(Parsed::Ignored("unknown envelope type")),
        };
        SocketFrame::Envelope {
            envelope_id: envelope_id.to_string(),
            kind: kind.to_string(),
            parsed,
        }
    }

    /// An RTM event (the inner event object, no wrapper).
    pub fn rtm_event(&self, event: &Value) -> Parsed {
        self.inner_event(event, None, Transport::Rtm)
    }

    fn inner_event(&self, event: &Value, team_id: Option<&str>, transport: Transport) -> Parsed {
        match str_at(event, "type") {
            Some("app_mention") => {
                if self.is_from_a_bot(event) {
                    return Parsed::Ignored("a bot's message");
                }
                self.message(event, team_id, Origin::Mention, transport)
            }
            Some("message") => self.plain_message(event, team_id, transport),
            Some("link_shared") => self.link_shared(event, team_id, transport),
            _ => Parsed::Ignored("event type the bot does not handle"),
        }
    }

    fn plain_message(&self, event: &Value, team_id: Option<&str>, transport: Transport) -> Parsed {
        if event.get("subtype").is_some_and(|s| !s.is_null()) {
            return Parsed::Ignored("message subtype (edit, join, bot message...)");
        }
        if self.is_from_a_bot(event) {
            return Parsed::Ignored("a bot's message");
        }
        let channel = str_at(event, "channel").unwrap_or_default();
        let is_dm = match str_at(event, "channel_type") {
            Some(kind) => kind == "im",
            None => channel.starts_with('D'),
        };
        if is_dm {
            return self.message(event, team_id, Origin::DirectMessage, transport);
        }
        if self.mentions_bot(str_at(event, "text").unwrap_or_default()) {
            // Over the Events API the same message also arrives as app_mention; RTM has no app_mention.
            return if transport == Transport::Rtm {
                self.message(event, team_id, Origin::Mention, transport)
            } else {
                Parsed::Ignored("mention, handled by its app_mention event")
            };
        }
        if self.expand_urls {
            return self.message(event, team_id, Origin::ChannelMessage, transport);
        }
        Parsed::Ignored("channel message without a mention")
    }

    fn message(&self, event: &Value, team_id: Option<&str>, origin: Origin, transport: Transport) -> Parsed {
        let (Some(user), Some(channel)) = (str_at(event, "user"), str_at(event, "channel")) else {
            return Parsed::Ignored("message without user or channel");
        };
        let message = Message {
            text: clean_text(str_at(event, "text").unwrap_or_default(), self.bot_user_id.as_deref()),
            sender: Sender {
                user_id: user.to_string(),
                team_id: sender_team(event, team_id),
                email: None,
            },
            conversation: Conversation {
                channel_id: channel.to_string(),
                thread: str_at(event, "thread_ts").map(str::to_string),
            },
            origin,
        };
        let context = SlackContext {
            transport,
            team_id: team_id.map(str::to_string),
            message_ts: str_at(event, "ts").map(str::to_string),
            ..Default::default()
        };
        Parsed::Event(Box::new(InboundEvent {
            event: ChatEvent::Message(message),
            context,
        }))
    }

    fn link_shared(&self, event: &Value, team_id: Option<&str>, transport: Transport) -> Parsed {
        let links: Vec<String> = event["links"]
            .as_array()
            .map(|links| {
                links
                    .iter()
                    .filter_map(|l| str_at(l, "url"))
                    .map(decode_entities)
                    .collect()
            })
            .unwrap_or_default();
        let (Some(user), Some(channel)) = (str_at(event, "user"), str_at(event, "channel")) else {
            return Parsed::Ignored("link_shared without user or channel");
        };
        if links.is_empty() {
            return Parsed::Ignored("link_shared without links");
        }
        let ts = str_at(event, "message_ts").unwrap_or_default().to_string();
        let message = Message {
            text: links.join(" "),
            sender: Sender {
                user_id: user.to_string(),
                team_id: sender_team(event, team_id),
                email: None,
            },
            conversation: Conversation {
                channel_id: channel.to_string(),
                thread: str_at(event, "thread_ts").map(str::to_string),
            },
            origin: Origin::LinkShared,
        };
        let unfurl = UnfurlTarget {
            channel: channel.to_string(),
            ts: ts.clone(),
            unfurl_id: str_at(event, "unfurl_id").map(str::to_string),
            source: str_at(event, "source").map(str::to_string),
            links,
        };
        let context = SlackContext {
            transport,
            team_id: team_id.map(str::to_string),
            message_ts: Some(ts),
            unfurl: Some(unfurl),
            ..Default::default()
        };
        Parsed::Event(Box::new(InboundEvent {
            event: ChatEvent::Message(message),
            context,
        }))
    }

    fn is_from_a_bot(&self, event: &Value) -> bool {
        event.get("bot_id").is_some_and(|b| !b.is_null())
            || str_at(event, "subtype") == Some("bot_message")
            || (self.bot_user_id.is_some() && str_at(event, "user") == self.bot_user_id.as_deref())
    }

    fn mentions_bot(&self, text: &str) -> bool {
        self.bot_user_id
            .as_deref()
            .is_some_and(|bot| text.contains(&format!("<@{bot}>")) || text.contains(&format!("<@{bot}|")))
    }
}

/// Decodes the `payload` field of an interactive form body.
pub fn interactive_payload(body: &[u8]) -> Result<Value, ParseError> {
    let fields: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|e| ParseError(format!("interactive form: {e}")))?;
    let payload = fields
        .into_iter()
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v)
        .ok_or_else(|| ParseError("interactive form without payload".into()))?;
    serde_json::from_str(&payload).map_err(|e| ParseError(format!("interactive payload is not JSON: {e}")))
}

/// Slack message text as plain text: the bot's own mention removed, links reduced to their URL, other mentions to
/// `@name`/`#name`, entities decoded and curly quotes straightened.
pub fn clean_text(raw: &str, bot_user_id: Option<&str>) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let inner = &after[..close];
        rest = &after[close + 1..];
        if is_mention_of(inner, bot_user_id) {
            // "@bot: do this" / "@bot, do this": the punctuation belonged to the mention.
            rest = rest
                .strip_prefix([':', ','])
                .filter(|r| r.is_empty() || r.starts_with(char::is_whitespace))
                .unwrap_or(rest);
            continue;
        }
        out.push_str(&markup_as_text(inner));
    }
    out.push_str(rest);
    let text = straighten_quotes(&decode_entities(&out));
    let lines: Vec<String> = text
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    lines.join("\n").trim().to_string()
}

fn is_mention_of(inner: &str, bot_user_id: Option<&str>) -> bool {
    let target = inner.split('|').next().unwrap_or(inner);
    bot_user_id.is_some_and(|bot| target.strip_prefix('@') == Some(bot))
}

fn markup_as_text(inner: &str) -> String {
    let (target, label) = match inner.split_once('|') {
        Some((target, label)) => (target, Some(label)),
        None => (inner, None),
    };
    if let Some(user) = target.strip_prefix('@') {
        return format!("@{}", label.unwrap_or(user));
    }
    if let Some(channel) = target.strip_prefix('#') {
        return format!("#{}", label.unwrap_or(channel));
    }
    if let Some(special) = target.strip_prefix('!') {
        let name = special.split('^').next().unwrap_or(special);
        return label.map(str::to_string).unwrap_or_else(|| format!("@{name}"));
    }
    target.to_string()
}

/// Decodes the three entities Slack escapes (`&amp;` last, so `&amp;lt;` stays `&lt;`).
pub fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

fn straighten_quotes(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' => '"',
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' => '\'',
            other => other,
        })
        .collect()
}

fn sender_team(event: &Value, envelope_team: Option<&str>) -> Option<String> {
    str_at(event, "user_team")
        .or_else(|| str_at(event, "team"))
        .or(envelope_team)
        .map(str::to_string)
}

fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_positive_retry_number_marks_a_redelivery() {
        let with = |retry_num| SlackContext {
            retry_num,
            ..SlackContext::default()
        };
        assert!(!with(None).is_redelivery());
        assert!(!with(Some(0)).is_redelivery(), "Socket Mode's first delivery");
        assert!(with(Some(1)).is_redelivery());
    }

    #[test]
    fn clean_text_strips_the_bot_mention_and_markup() {
        let bot = Some("UBOT");
        assert_eq!(clean_text("<@UBOT> show  me", bot), "show me");
        assert_eq!(clean_text("<@UBOT>: run look 42", bot), "run look 42");
        assert_eq!(
            clean_text("see <https://x.looker.com/looks/1?a=1&amp;b=2|my look>", bot),
            "see https://x.looker.com/looks/1?a=1&b=2"
        );
        assert_eq!(clean_text("<https://x.io/a>", bot), "https://x.io/a");
        assert_eq!(
            clean_text("ask <@U123|alice> in <#C1|general> <!here>", bot),
            "ask @alice in #general @here"
        );
        assert_eq!(clean_text("a &lt;b&gt; &amp;amp; c", bot), "a <b> &amp; c");
        assert_eq!(clean_text("\u{201C}quoted\u{201D} it\u{2019}s", bot), "\"quoted\" it's");
        assert_eq!(clean_text("1 < 2", bot), "1 < 2");
        assert_eq!(clean_text("<@UBOT> :wave:", bot), ":wave:");
        assert_eq!(clean_text("<@UBOT>, hi", bot), "hi");
        assert_eq!(
            clean_text("<@UBOT|lookerbot> line one\n  line   two ", bot),
            "line one\nline two"
        );
    }
}
