//! [`ChatSink`] for Slack: renders replies to Block Kit, resolves where they go, uploads images, posts.

use std::sync::Arc;

use async_trait::async_trait;
use bot::event::Conversation;
use bot::failure::Failure;
use bot::reply::{Reply, Visibility};
use bot::sink::{ChatSink, DeliveryMark, Destination, PostedMessage, ReplyLimits};
use serde_json::{Value, json};

use crate::directory::Directory;
use crate::error::SlackError;
use crate::inbound::UnfurlTarget;
use crate::render::kit::KitBlock;
use crate::render::{PendingUpload, RenderedMessage, render};
use crate::response_url::{Budget, Route, is_not_postable};
use crate::web::{CompleteUpload, MarkSearch, MessageBody, SlackWeb};

/// The `event_type` of the metadata a delivery's message carries; its `event_payload` is `{"delivery": id}`.
pub const DELIVERY_EVENT_TYPE: &str = "lookerbot_delivery";

/// How far before a delivery was stored its message is looked for: the bot's clock and Slack's may differ.
const CLOCK_SKEW: std::time::Duration = std::time::Duration::from_secs(120);

/// Delivers replies through the Web API. Clone it per request with [`SlackSink::with_response_url`] to answer a
/// slash command through its `response_url`.
#[derive(Clone)]
pub struct SlackSink {
    web: SlackWeb,
    directory: Arc<Directory>,
    /// A slash command's answer channel: replies to its channel go to its `response_url` (so they work where the
    /// bot is not a member) within Slack's limit of uses; see [`crate::response_url`].
    response_url: Option<Budget>,
}

/// Where one reply goes, resolved to Slack ids.
struct Target {
    channel_id: String,
    thread_ts: Option<String>,
    /// Set for a private (ephemeral) reply.
    only_for: Option<String>,
    /// How the person named the channel, for error advice.
    label: String,
}

impl SlackSink {
    pub fn new(web: SlackWeb, directory: Arc<Directory>) -> Self {
        SlackSink {
            web,
            directory,
            response_url: None,
        }
    }

    /// This sink, answering replies to `channel_id` through a slash command's `response_url`.
    pub fn with_response_url(&self, channel_id: impl Into<String>, url: impl Into<String>) -> Self {
        SlackSink {
            response_url: Some(Budget::new(url.into(), channel_id.into())),
            ..self.clone()
        }
    }

    pub fn web(&self) -> &SlackWeb {
        &self.web
    }

    /// Attaches previews to shared links (`chat.unfurl`); `previews` maps each URL to its reply.
    pub async fn unfurl(&self, target: &UnfurlTarget, previews: &[(String, Reply)]) -> Result<(), Failure> {
        let mut unfurls = serde_json::Map::new();
        for (url, reply) in previews {
            let rendered = render(reply);
            unfurls.insert(url.clone(), json!({ "blocks": rendered.blocks }));
        }
        let unfurls = Value::Object(unfurls);
        let result = match (&target.unfurl_id, &target.source) {
            (Some(id), Some(source)) if target.ts.is_empty() || source == "composer" => {
                self.web.unfurl_by_id(id, source, &unfurls).await
            }
            _ => self.web.unfurl(&target.channel, &target.ts, &unfurls).await,
        };
        result.map_err(sink_error)
    }

    async fn resolve(&self, to: &Destination, visibility: Visibility) -> Result<Target, SlackError> {
        match to {
            Destination::Conversation {
                conversation:
                    Conversation {
                        channel_id,
                        thread: thread_ts,
                    },
                asker,
            } => {
                let only_for = match visibility {
                    Visibility::Public => None,
                    Visibility::OnlyAsker => match asker {
                        Some(asker) => Some(asker.clone()),
                        // A direct message is already private.
                        None if channel_id.starts_with('D') => None,
                        None => {
                            return Err(SlackError::Invalid(
                                "a private reply needs the asker's user id; not posting it publicly".into(),
                            ));
                        }
                    },
                };
                Ok(Target {
                    channel_id: channel_id.clone(),
                    thread_ts: thread_ts.clone(),
                    only_for,
                    label: channel_id.clone(),
                })
            }
            Destination::Channel(name) => {
                let channel = self.directory.channel(name).await?;
                Ok(Target {
                    channel_id: channel.id,
                    thread_ts: None,
                    only_for: None,
                    label: channel.name,
                })
            }
            Destination::Person(name) => {
                let user = self.directory.person(name).await?;
                let channel_id = self.web.conversations_open(&user).await?;
                Ok(Target {
                    channel_id,
                    thread_ts: None,
                    only_for: None,
                    label: format!("@{}", name.trim_start_matches('@')),
                })
            }
        }
    }

    /// Posts into the conversation, or through `response_url` when given.
    async fn deliver(
        &self,
        target: &Target,
        rendered: RenderedMessage,
        response_url: Option<&str>,
    ) -> Result<Option<PostedMessage>, SlackError> {
        self.deliver_marked(target, rendered, response_url, None).await
    }

    /// [`SlackSink::deliver`], the message posted in the channel carrying `metadata` when given.
    async fn deliver_marked(
        &self,
        target: &Target,
        rendered: RenderedMessage,
        response_url: Option<&str>,
        metadata: Option<&Value>,
    ) -> Result<Option<PostedMessage>, SlackError> {
        let label = target.label.clone();
        self.upload_images(target, &rendered.uploads)
            .await
            .map_err(|e| e.in_channel(label.clone()))?;
        if rendered.blocks.is_empty() && !rendered.uploads.is_empty() {
            return Ok(None);
        }
        let body = MessageBody {
            channel: target.channel_id.clone(),
            text: rendered.text,
            blocks: rendered.blocks,
            thread_ts: target.thread_ts.clone(),
        };
        if let Some(url) = response_url {
            let response_type = if target.only_for.is_some() {
                "ephemeral"
            } else {
                "in_channel"
            };
            let payload = ResponseUrlMessage {
                response_type,
                replace_original: false,
                text: &body.text,
                blocks: &body.blocks,
            };
            self.web.post_response_url(url, &payload).await?;
            return Ok(None);
        }
        if let Some(user) = &target.only_for {
            self.web
                .post_ephemeral(&body, user)
                .await
                .map_err(|e| e.in_channel(label))?;
            return Ok(None);
        }
        let posted = match metadata {
            Some(metadata) => self.web.post_marked_message(&body, metadata).await,
            None => self.web.post_message(&body).await,
        };
        posted.map(Some).map_err(|e| e.in_channel(label))
    }

    /// Whether an earlier attempt of the delivery `mark` names already posted it in the target's conversation. A
    /// history Slack will not show (a missing `*:history` scope, a conversation the bot is not in) is logged, and
    /// the delivery is posted again: at least once. A history Slack cannot show now is a failure to retry, still not
    /// knowing whether the earlier post arrived.
    async fn already_delivered(&self, target: &Target, mark: &DeliveryMark) -> Result<Option<PostedMessage>, Failure> {
        let oldest = mark.stored_at.checked_sub(CLOCK_SKEW).unwrap_or(mark.stored_at);
        let search = self
            .web
            .find_marked_message(&target.channel_id, DELIVERY_EVENT_TYPE, &mark.id, oldest)
            .await;
        match search {
            Ok(MarkSearch::Found { ts }) => {
                tracing::info!(
                    delivery = %mark.id,
                    channel = %target.label,
                    "an earlier attempt of this delivery was posted after all; not posting it again"
                );
                metrics::counter!("lookerbot_delivery_repeats_avoided_total").increment(1);
                Ok(Some(PostedMessage {
                    channel_id: target.channel_id.clone(),
                    message: ts,
                    thread: None,
                }))
            }
            Ok(MarkSearch::Absent) => Ok(None),
            Ok(MarkSearch::TooMany) => {
                tracing::warn!(
                    delivery = %mark.id,
                    channel = %target.label,
                    "too many messages since this delivery was stored to look for an earlier attempt's post; \
                     posting it, so it may show twice"
                );
                Ok(None)
            }
            Err(error) if error.is_retryable() => Err(sink_error(error)
                .within("could not look whether an earlier attempt of this delivery was posted")
                .still_unknown()),
            Err(error) => {
                let error = error.in_channel(target.label.clone());
                tracing::warn!(
                    delivery = %mark.id,
                    %error,
                    "cannot read the conversation to see whether an earlier attempt of this delivery was posted; \
                     posting it, so it may show twice (give the app the channels:history, groups:history, \
                     im:history and mpim:history scopes and reinstall it)"
                );
                Ok(None)
            }
        }
    }

    /// Uploads PNGs and shares them into the conversation, one after the other, before the message is posted.
    /// Private replies get their images in a direct message instead, so nobody else sees them.
    async fn upload_images(&self, target: &Target, uploads: &[PendingUpload]) -> Result<(), SlackError> {
        if uploads.is_empty() {
            return Ok(());
        }
        let (channel_id, thread_ts) = match &target.only_for {
            Some(user) => (self.web.conversations_open(user).await?, None),
            None => (target.channel_id.clone(), target.thread_ts.clone()),
        };
        for upload in uploads {
            let ticket = self
                .web
                .get_upload_url_external(&upload.filename, upload.png.len())
                .await?;
            self.web.upload_to_url(&ticket.upload_url, upload.png.clone()).await?;
            let complete = CompleteUpload {
                file_id: ticket.file_id,
                title: upload.title.clone(),
                channel_id: channel_id.clone(),
                thread_ts: thread_ts.clone(),
                initial_comment: None,
            };
            self.web.complete_upload_external(&complete).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl ChatSink for SlackSink {
    /// Block Kit's: a table block's rows (its header row is one of them), columns and a button's value.
    fn limits(&self) -> ReplyLimits {
        ReplyLimits {
            table_rows: crate::render::MAX_TABLE_ROWS - 1,
            table_columns: crate::render::MAX_TABLE_COLUMNS,
            button_value: crate::render::MAX_BUTTON_VALUE,
        }
    }

    async fn post(&self, to: &Destination, reply: &Reply) -> Result<Option<PostedMessage>, Failure> {
        let target = self.resolve(to, reply.visibility).await.map_err(sink_error)?;
        let Some(budget) = self.response_url.as_ref().filter(|b| b.channel_id == target.channel_id) else {
            return self.deliver(&target, render(reply), None).await.map_err(sink_error);
        };
        match budget.route() {
            Route::ResponseUrl => self.deliver(&target, render(reply), Some(&budget.url)).await,
            Route::Channel => match self.deliver(&target, render(reply), None).await {
                Err(e) if is_not_postable(&e) => {
                    budget.set_can_post(false);
                    budget.hold(reply.clone(), target.only_for.as_deref());
                    Ok(None)
                }
                delivered => {
                    budget.set_can_post(delivered.is_ok());
                    delivered
                }
            },
            Route::Hold => {
                budget.hold(reply.clone(), target.only_for.as_deref());
                Ok(None)
            }
        }
        .map_err(sink_error)
    }

    /// Posts the delivery's message with `mark.id` in its metadata; when `mark.look_first`, first looks in the
    /// conversation's history for a message carrying it and posts nothing if there is one. A post whose answer never
    /// came is a failure the next attempt looks after ([`Failure::outcome_unknown`]).
    async fn post_delivery(
        &self,
        to: &Destination,
        reply: &Reply,
        mark: &DeliveryMark,
    ) -> Result<Option<PostedMessage>, Failure> {
        let target = self.resolve(to, reply.visibility).await.map_err(sink_error)?;
        if target.only_for.is_some() || self.response_url.is_some() {
            return self.post(to, reply).await;
        }
        if mark.look_first
            && let Some(posted) = self.already_delivered(&target, mark).await?
        {
            return Ok(Some(posted));
        }
        let metadata = json!({ "event_type": DELIVERY_EVENT_TYPE, "event_payload": { "delivery": mark.id } });
        self.deliver_marked(&target, render(reply), None, Some(&metadata))
            .await
            .map_err(|error| match error.may_have_landed() {
                true => Failure::outcome_unknown(error),
                false => sink_error(error),
            })
    }

    async fn flush(&self) -> Result<(), Failure> {
        let Some(budget) = &self.response_url else {
            return Ok(());
        };
        let Some((folded, asker)) = budget.take_folded() else {
            return Ok(());
        };
        let target = Target {
            channel_id: budget.channel_id.clone(),
            thread_ts: None,
            only_for: asker,
            label: budget.channel_id.clone(),
        };
        self.deliver(&target, render(&folded), Some(&budget.url))
            .await
            .map(drop)
            .map_err(sink_error)
    }

    async fn replace(&self, posted: &PostedMessage, reply: &Reply) -> Result<(), Failure> {
        let rendered = render(reply);
        let target = Target {
            channel_id: posted.channel_id.clone(),
            thread_ts: posted.thread.clone(),
            only_for: None,
            label: posted.channel_id.clone(),
        };
        self.upload_images(&target, &rendered.uploads)
            .await
            .map_err(sink_error)?;
        let body = MessageBody {
            channel: posted.channel_id.clone(),
            text: rendered.text,
            blocks: rendered.blocks,
            thread_ts: None,
        };
        self.web
            .update_message(&posted.message, &body)
            .await
            .map_err(sink_error)
    }
}

/// A Slack error as the core sees it: the advice text and whether to try again.
pub fn sink_error(error: SlackError) -> Failure {
    match &error {
        SlackError::RateLimited { retry_after, .. } => Failure::retry_after(error.to_string(), *retry_after),
        _ if error.is_retryable() => Failure::retryable(error.to_string()),
        _ => Failure::permanent(error.to_string()),
    }
}

/// An answer through a slash command's `response_url`.
#[derive(serde::Serialize)]
struct ResponseUrlMessage<'a> {
    response_type: &'static str,
    replace_original: bool,
    text: &'a str,
    #[serde(skip_serializing_if = "<[KitBlock]>::is_empty")]
    blocks: &'a [KitBlock],
}
