//! Slack traffic to the bot core: checks who is asking, picks where the answer goes (the channel, a slash
//! command's `response_url`, or a link unfurl), and hands the event to [`bot::Bot`].

use std::sync::Arc;

use async_trait::async_trait;
use bot::Bot;
use bot::event::{ChatEvent, Origin};
use bot::failure::Failure;
use bot::reply::Reply;
use bot::sink::{ChatSink, Destination, PostedMessage, ReplyLimits};
use tracing::Instrument;

use crate::access::{AccessControl, AccessDecision};
use crate::inbound::{InboundEvent, InboundHandler, UnfurlTarget};
use crate::sink::SlackSink;

/// Wraps every reply sink, e.g. to put chart images into a store first.
pub type SinkDecorator = Arc<dyn Fn(Arc<dyn ChatSink>) -> Arc<dyn ChatSink> + Send + Sync>;

/// The [`InboundHandler`] every Slack transport feeds.
pub struct BotHandler {
    pub bot: Bot,
    pub sink: SlackSink,
    pub access: AccessControl,
    pub decorate: Option<SinkDecorator>,
}

#[async_trait]
impl InboundHandler for BotHandler {
    /// Everything logged while an event is handled carries the Slack user and channel ids (ids, never names or
    /// text), so that one person's trouble can be followed in the logs.
    async fn handle(&self, inbound: InboundEvent) {
        let (user, channel) = match &inbound.event {
            ChatEvent::Message(m) => (&m.sender.user_id, &m.conversation.channel_id),
            ChatEvent::ButtonClick(c) => (&c.sender.user_id, &c.conversation.channel_id),
        };
        let span = tracing::info_span!("slack_event", slack_user = %user, slack_channel = %channel);
        self.handle_as_asker(inbound).instrument(span).await
    }
}

impl BotHandler {
    async fn handle_as_asker(&self, mut inbound: InboundEvent) {
        let (sender, conversation, silent) = match &inbound.event {
            ChatEvent::Message(m) => (
                m.sender.user_id.clone(),
                m.conversation.clone(),
                matches!(m.origin, Origin::ChannelMessage | Origin::LinkShared),
            ),
            ChatEvent::ButtonClick(c) => (c.sender.user_id.clone(), c.conversation.clone(), false),
        };
        let sink = self.sink_for(&inbound);
        match self.access.check(&sender).await {
            Ok(AccessDecision::Allowed) => {}
            Ok(AccessDecision::Refused(text)) => {
                tracing::info!(user = %sender, "refused a person the access policy does not allow");
                if !silent {
                    let to = Destination::Conversation {
                        conversation,
                        asker: Some(sender),
                    };
                    let _ = sink.post(&to, &Reply::text(text).only_asker()).await;
                }
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "could not look up who is asking; not answering");
                if !silent {
                    let to = Destination::Conversation {
                        conversation,
                        asker: Some(sender),
                    };
                    let warning = Reply::warning(format!("I could not check who you are: {e}")).only_asker();
                    let _ = sink.post(&to, &warning).await;
                }
                return;
            }
        }
        inbound.event.sender_mut().email = self.access.email(&sender);
        self.bot.handle(inbound.event, sink).await;
    }

    fn sink_for(&self, inbound: &InboundEvent) -> Arc<dyn ChatSink> {
        let sink = self.plain_sink_for(inbound);
        match &self.decorate {
            Some(decorate) => decorate(sink),
            None => sink,
        }
    }

    fn plain_sink_for(&self, inbound: &InboundEvent) -> Arc<dyn ChatSink> {
        if let Some(target) = &inbound.context.unfurl {
            return Arc::new(UnfurlSink {
                sink: self.sink.clone(),
                target: target.clone(),
            });
        }
        let channel = match &inbound.event {
            ChatEvent::Message(m) if m.origin == Origin::SlashCommand => Some(&m.conversation.channel_id),
            ChatEvent::ButtonClick(c) => Some(&c.conversation.channel_id),
            ChatEvent::Message(_) => None,
        };
        match (channel, &inbound.context.response_url) {
            (Some(channel), Some(url)) => Arc::new(self.sink.with_response_url(channel.clone(), url.clone())),
            _ => Arc::new(self.sink.clone()),
        }
    }
}

/// Answers a `link_shared` event: each reply that expands a link becomes that link's preview.
struct UnfurlSink {
    sink: SlackSink,
    target: UnfurlTarget,
}

#[async_trait]
impl ChatSink for UnfurlSink {
    async fn post(&self, _to: &Destination, reply: &Reply) -> Result<Option<PostedMessage>, Failure> {
        match &reply.source_link {
            Some(url) => self
                .sink
                .unfurl(&self.target, &[(url.clone(), reply.clone())])
                .await
                .map(|_| None),
            None => Ok(None),
        }
    }

    fn limits(&self) -> ReplyLimits {
        self.sink.limits()
    }

    async fn replace(&self, _posted: &PostedMessage, _reply: &Reply) -> Result<(), Failure> {
        Ok(())
    }
}
