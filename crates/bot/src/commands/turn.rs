//! One message being answered: what a command sees.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use looker::{ChatContext, LookerClient};

use crate::answers::AnswerSettings;
use crate::commands::Usage;
use crate::commands::catalog::{Catalog, CatalogStore};
use crate::commands::replier::Replier;
use crate::event::{Message, Origin};
use crate::lookers::identity::Acting;
use crate::lookers::{Looker, Lookers};
use crate::reply::Reply;
use crate::settings::BotSettings;

pub struct Turn<'a> {
    pub message: &'a Message,
    pub lookers: &'a Lookers,
    /// The custom commands as they were when the message arrived.
    pub catalog: Arc<Catalog>,
    pub catalog_store: &'a CatalogStore,
    pub settings: &'a BotSettings,
    /// Built-in commands' help lines.
    pub usages: Vec<Usage>,
    pub(crate) replier: Replier,
    /// Whom this message runs as in each Looker.
    pub acting: Acting,
    /// How many of Looker's refusals of the asker a reply has told of so far.
    pub(crate) refusals_told: AtomicUsize,
}

impl Turn<'_> {
    /// The Looker client for this message, acting as the asker in identity `user`: its calls carry the hashed
    /// chat ids in the User-Agent.
    pub fn client(&self, looker: &Looker) -> LookerClient {
        self.acting.client(looker).for_chat(&ChatContext {
            user_id: Some(self.message.sender.user_id.clone()),
            team_id: self.message.sender.team_id.clone(),
            channel_id: Some(self.message.conversation.channel_id.clone()),
        })
    }

    pub fn answer_settings(&self) -> AnswerSettings {
        AnswerSettings {
            render: self.settings.render,
            buttons: self.settings.data_action_buttons,
            limits: self.replier.limits(),
        }
    }

    /// Whether the person spoke to the bot (rather than the bot reading along for links).
    pub fn addressed(&self) -> bool {
        matches!(
            self.message.origin,
            Origin::DirectMessage | Origin::Mention | Origin::SlashCommand
        )
    }

    /// Shows the loading message, when enabled, before slow work. A slash command's answer cannot replace it, so
    /// there only the asker sees it.
    pub async fn loading(&self) {
        if self.settings.loading_messages && self.addressed() {
            self.replier.loading(self.message.origin == Origin::SlashCommand).await;
        }
    }

    pub async fn reply(&self, reply: Reply) {
        self.replier.send(self.private_if_refused(reply)).await;
    }

    /// A reply without data that follows a refusal by Looker of the asker's own account (no access, or the
    /// account is gone) tells of it, so only the asker sees it: others need not learn what someone may not see.
    fn private_if_refused(&self, reply: Reply) -> Reply {
        let refusals = self.acting.journal.refusals();
        let told = self.refusals_told.swap(refusals, Ordering::Relaxed);
        if refusals > told && !reply.carries_data() {
            reply.only_asker()
        } else {
            reply
        }
    }

    /// A reply only the asker sees when they used the slash command (as the original did for help), public
    /// otherwise.
    pub async fn reply_to_asker(&self, reply: Reply) {
        let reply = if self.message.origin == Origin::SlashCommand {
            reply.only_asker()
        } else {
            reply
        };
        self.reply(reply).await;
    }
}
