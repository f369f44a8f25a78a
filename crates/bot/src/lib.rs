//! The bot core: what lookerbot does, independent of how people reach it.
//!
//! Chat adapters (Slack Socket Mode, Events API, RTM, the terminal console) turn traffic into [`event`]s; the core
//! asks Looker through the one typed client of the `looker` crate and answers with neutral [`reply`]s, which
//! renderers turn into Block Kit or terminal text and a [`sink::ChatSink`] delivers. Nothing here knows Slack's wire
//! format or HTTP.

pub mod answers;
pub mod commands;
pub mod delivery;
pub mod lookers;
pub mod ports;
pub mod settings;

// The ports are the core's public face: adapters name them `bot::reply`, `bot::sink` and so on.
pub use commands::{catalog, replier};
pub use ports::{directory, event, failure, reply, sink};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use answers::actions;
use catalog::{Catalog, CatalogStore};
use commands::AnyCommand;
use commands::turn::Turn;
use delivery::Delivery;
use event::{ButtonClick, ChatEvent, Message, Origin};
use failure::Failure;
use lookers::Lookers;
use lookers::identity;
use replier::Replier;
use reply::Reply;
use settings::BotSettings;
use sink::{ChatSink, Destination};

/// What people get in a DM when nothing matches (the original's words).
pub const NOT_UNDERSTOOD: &str =
    "I couldn't understand that command. You can use `help` to see the list of possible commands.";

/// One audit line per request: who asked (chat user id), whom it ran as in Looker, what kind of request, what it
/// ran in Looker (Looks, dashboards, queries by id) and how it went; never tokens, emails or data.
fn audit(sender: &event::Sender, looker_user: &str, what: &str, ran: &[String], outcome: &str) {
    let ran = if ran.is_empty() {
        "nothing".to_string()
    } else {
        ran.join(", ")
    };
    tracing::info!(
        target: "lookerbot::audit",
        slack_user = %sender.user_id,
        looker_user,
        what,
        ran,
        outcome,
        "request"
    );
}

/// The audit outcome of a request that ran, from how its Looker calls went.
fn outcome_of(acting: &identity::Acting) -> &'static str {
    match acting.journal.outcome() {
        looker::CallsOutcome::Refused => "refused by Looker",
        looker::CallsOutcome::Failed => "failed",
        looker::CallsOutcome::Succeeded => "answered",
    }
}

/// Chat events worked on at once. More wait their turn in arrival order (Slack was already answered): a burst of a
/// thousand slash commands then costs a thousand small waiting events, not a thousand requests in flight to Looker
/// and Slack with their buffers and answers.
pub const EVENTS_AT_ONCE: usize = 64;

/// The bot. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Bot {
    inner: Arc<Inner>,
}

struct Inner {
    lookers: Lookers,
    settings: BotSettings,
    catalog: CatalogStore,
    commands: Vec<Box<dyn AnyCommand>>,
    known_users: identity::KnownUsers,
    /// One permit per chat event being worked on ([`EVENTS_AT_ONCE`]).
    at_once: tokio::sync::Semaphore,
}

impl Bot {
    pub fn new(lookers: Lookers, settings: BotSettings) -> Bot {
        Bot {
            inner: Arc::new(Inner {
                lookers,
                settings,
                catalog: CatalogStore::default(),
                commands: commands::all(),
                known_users: identity::KnownUsers::new(identity::USERS_KEPT_FOR),
                at_once: tokio::sync::Semaphore::new(EVENTS_AT_ONCE),
            }),
        }
    }

    pub fn lookers(&self) -> &Lookers {
        &self.inner.lookers
    }

    pub fn settings(&self) -> &BotSettings {
        &self.inner.settings
    }

    /// Reloads the custom commands from every Looker.
    pub async fn refresh_commands(&self) -> Arc<Catalog> {
        self.inner.catalog.refresh(&self.inner.lookers).await
    }

    /// The custom commands as last loaded.
    pub async fn commands(&self) -> Arc<Catalog> {
        self.inner.catalog.get().await
    }

    /// Reloads custom commands every `catalog_refresh`, for as long as the bot lives. The first reload is one
    /// period from now: whoever spawns this has just loaded them.
    pub fn spawn_refresh(&self) -> tokio::task::JoinHandle<()> {
        let bot = self.clone();
        tokio::spawn(async move {
            let period = bot.inner.settings.catalog_refresh;
            // The first reload is one period from now: start-up has just loaded the catalog.
            let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                bot.refresh_commands().await;
            }
        })
    }

    /// Answers a chat event; replies go to `sink`, which knows how to reach the asker.
    /// At most [`EVENTS_AT_ONCE`] are worked on at once; the others wait in arrival order.
    pub async fn handle(&self, event: ChatEvent, sink: Arc<dyn ChatSink>) {
        // The semaphore is never closed.
        let Ok(_turn) = self.inner.at_once.acquire().await else {
            return;
        };
        // Boxed so that an event waiting for its turn holds only itself, not room for all the work's state.
        let work: Pin<Box<dyn Future<Output = ()> + Send + '_>> = match &event {
            ChatEvent::Message(message) => Box::pin(self.handle_message(message, sink)),
            ChatEvent::ButtonClick(click) => Box::pin(self.handle_click(click, sink)),
        };
        work.await
    }

    /// Whom a request from `sender` in `channel_id` runs as, or the private answer of a refusal (audited).
    async fn acting_for(
        &self,
        sender: &event::Sender,
        channel_id: &str,
        what: &str,
    ) -> Result<identity::Acting, Reply> {
        let fallback = (self.inner.settings.identity_fallback_channels)
            .iter()
            .any(|c| c == channel_id);
        let email = sender.email.as_deref();
        identity::resolve(&self.inner.lookers, &self.inner.known_users, email, fallback)
            .await
            .map_err(|refusal| {
                audit(sender, "none", what, &[], "refused: no usable Looker user");
                Reply::warning(refusal.message).only_asker()
            })
    }

    async fn handle_message(&self, message: &Message, sink: Arc<dyn ChatSink>) {
        let to = Destination::Conversation {
            conversation: message.conversation.clone(),
            asker: Some(message.sender.user_id.clone()),
        };
        let text = message.text.trim();
        let reading_along = matches!(message.origin, Origin::ChannelMessage | Origin::LinkShared);
        let acting = self
            .acting_for(&message.sender, &message.conversation.channel_id, "message")
            .await;
        let acting = match acting {
            Ok(acting) => acting,
            // Reading along (links in channels, unfurls), a refusal stays silent.
            Err(_) if reading_along => return,
            Err(refusal) => {
                if let Err(e) = sink.post(&to, &refusal).await {
                    tracing::error!(error = %e, "could not tell someone why their request was refused");
                }
                return;
            }
        };
        let turn = Turn {
            message,
            lookers: &self.inner.lookers,
            catalog: self.inner.catalog.get().await,
            catalog_store: &self.inner.catalog,
            settings: &self.inner.settings,
            usages: self.inner.commands.iter().filter_map(|c| c.usage()).collect(),
            replier: Replier::new(sink, to),
            acting,
            refusals_told: Default::default(),
        };
        let parsed = self
            .inner
            .commands
            .iter()
            // Reading along, only links are looked at: a channel message saying "help" is not for the bot.
            .filter(|c| !reading_along || c.reads_along())
            .find_map(|c| c.parse_message(&turn, text));
        let answered = match &parsed {
            Some(parsed) => Some(parsed.name()),
            None if reading_along => None,
            None => Some("not_understood"),
        };
        if let Some(name) = answered {
            metrics::counter!("lookerbot_replies_total", "command" => name).increment(1);
        }
        let understood = parsed.is_some();
        match parsed {
            Some(parsed) => parsed.run(&turn).await,
            None if message.origin == Origin::SlashCommand => {
                turn.reply(Reply::text(NOT_UNDERSTOOD).only_asker()).await
            }
            None if message.origin == Origin::DirectMessage || message.origin == Origin::Mention => {
                turn.reply(Reply::text(NOT_UNDERSTOOD)).await
            }
            None => {}
        }
        turn.replier.finish().await;
        if understood || !reading_along {
            let outcome = if understood {
                outcome_of(&turn.acting)
            } else {
                "not a command"
            };
            let ran = turn.acting.journal.ran();
            audit(&message.sender, &turn.acting.looker_user, "message", &ran, outcome);
        }
    }

    async fn handle_click(&self, click: &ButtonClick, sink: Arc<dyn ChatSink>) {
        let to = Destination::Conversation {
            conversation: click.conversation.clone(),
            asker: Some(click.sender.user_id.clone()),
        };
        let channel = &click.conversation.channel_id;
        let reply = match self.acting_for(&click.sender, channel, "data action").await {
            Ok(acting) => {
                let reply = actions::run_button(&self.inner.lookers, &acting, &click.value).await;
                let ran = acting.journal.ran();
                audit(
                    &click.sender,
                    &acting.looker_user,
                    "data action",
                    &ran,
                    outcome_of(&acting),
                );
                reply
            }
            Err(refusal) => refusal,
        };
        if let Err(e) = sink.post(&to, &reply).await {
            tracing::error!(error = %e, "could not answer a button click");
        }
    }

    /// Runs a delivery Looker pushed, posting it only once `go_ahead` gives its mark: the queue starts a new delivery
    /// while it is still being stored, and nothing may be posted for one that is not. Scheduled single values get
    /// their data-action buttons like answers do.
    pub async fn deliver(
        &self,
        delivery: &Delivery,
        sink: &dyn ChatSink,
        go_ahead: impl Future<Output = Option<sink::DeliveryMark>>,
    ) -> Result<(), Failure> {
        let settings = answers::AnswerSettings {
            render: self.inner.settings.render,
            buttons: self.inner.settings.data_action_buttons,
            limits: sink.limits(),
        };
        delivery::deliver(&self.inner.lookers, delivery, sink, &settings, go_ahead).await
    }
}
