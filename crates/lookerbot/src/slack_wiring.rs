//! Slack, wired from the configuration: the Web API client, the sink, access control, the transport of the
//! chosen mode (Socket Mode, Events API over HTTP, RTM), and the HTTP routes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use async_trait::async_trait;
use axum::Router;
use bot::Bot;
use bot::delivery::Target;
use bot::sink::ChatSink;
use config::{Config, SlackMode};
use server::{Directory, FormOption};
use slack::access::{AccessControl, AccessDecision, AccessPolicy, decide};
use slack::app::{BotHandler, SinkDecorator};
use slack::dedupe::{EventDedupe, MemoryDedupe};
use slack::error::SlackError;
use slack::http::SlackHttp;
use slack::inbound::InboundParser;
use slack::rtm::RtmClient;
use slack::sink::SlackSink;
use slack::socket::SocketModeClient;
use slack::verify::Verification;
use slack::web::{SlackWeb, WebConfig};
use slack::ws::ClientHandle;

/// How long people and channels are cached (lookups for access checks and channel names).
const DIRECTORY_TTL: Duration = Duration::from_secs(300);

/// The Slack Web API client, checked with `auth.test`. It (and the Socket Mode and RTM clients made from it)
/// follows the configuration's network policy.
pub async fn web_client(config: &Config, web_config: WebConfig) -> anyhow::Result<(SlackWeb, slack::web::AuthInfo)> {
    let web_config = WebConfig {
        net: net::NetPolicy::new(&config.proxy),
        ..web_config
    };
    let token = config.slack.bot_token.as_ref().context("SLACK_API_KEY is missing")?;
    let web = SlackWeb::with_config(config.slack.api_url.as_str(), token.clone(), web_config)?;
    let auth = web
        .auth_test()
        .await
        .map_err(|e| auth_failure(e, config.slack.api_url.as_str()))?;
    Ok((web, auth))
}

/// Says whether Slack refused the token (fix the token) or could not be asked (fix the network; a restart later
/// may work), since the two call for different actions.
fn auth_failure(error: SlackError, api_url: &str) -> anyhow::Error {
    let refused = matches!(&error, SlackError::Api { code, .. } if matches!(code.as_str(),
        "invalid_auth" | "not_authed" | "account_inactive" | "token_revoked" | "token_expired" | "not_allowed_token_type"));
    if refused {
        anyhow::anyhow!(
            "Slack refused the bot token (SLACK_API_KEY): {error}. Copy the Bot User OAuth Token (xoxb-...) again from \
             your Slack app's \"OAuth & Permissions\" page."
        )
    } else if error.is_retryable() {
        anyhow::anyhow!(
            "Slack is unreachable at {api_url}: {error}. The token was not checked. Check this server's network \
             (firewall, proxy, DNS) and SLACK_API_URL; the bot starts once Slack answers (restart it, or let the \
             service manager do so)."
        )
    } else {
        anyhow::anyhow!("Slack's auth.test at {api_url} failed: {error}")
    }
}

/// Everything Slack-side a running bot has.
pub struct SlackParts {
    /// Posts deliveries (scheduled Looks, data actions).
    pub sink: Arc<dyn ChatSink>,
    pub routes: Router,
    pub directory: Arc<dyn Directory>,
    /// The WebSocket client (Socket Mode or RTM), if the mode has one.
    pub client: Option<ClientHandle>,
}

/// Connects the bot to Slack in the configured mode.
pub fn connect(
    config: &Config,
    bot: &Bot,
    web: SlackWeb,
    auth: &slack::web::AuthInfo,
    dedupe: Arc<dyn EventDedupe>,
    decorate: Option<SinkDecorator>,
) -> anyhow::Result<SlackParts> {
    let names = Arc::new(slack::directory::Directory::new(web.clone(), DIRECTORY_TTL));
    let sink = SlackSink::new(web.clone(), names.clone());
    let policy = AccessPolicy {
        allow_guests: config.slack.allow_guests,
        allow_shared_workspaces: config.slack.allow_shared_workspaces,
        home_team_id: Some(auth.team_id.clone()),
    };
    let parser = InboundParser {
        bot_user_id: Some(auth.user_id.clone()),
        bot_id: auth.bot_id.clone(),
        expand_urls: config.slack.expand_urls,
    };
    let handler = Arc::new(BotHandler {
        bot: bot.clone(),
        sink: sink.clone(),
        access: AccessControl::new(web.clone(), policy, DIRECTORY_TTL),
        decorate: decorate.clone(),
    });
    let verification = Verification::from_config(
        config.slack.signing_secret.clone(),
        config.slack.verification_token.clone(),
    );
    let routes = SlackHttp::new(verification, parser.clone(), handler.clone())
        .with_dedupe(dedupe.clone())
        .router_with(server::unverified_stage);
    let client = match config.slack.mode {
        Some(SlackMode::Socket) => {
            let app_token = config.slack.app_token.as_ref().context("SLACK_APP_TOKEN is missing")?;
            tracing::info!("connecting to Slack with Socket Mode");
            Some(
                SocketModeClient::new(web.clone(), app_token.clone(), parser, handler)
                    .with_dedupe(dedupe)
                    .start(),
            )
        }
        Some(SlackMode::Rtm) => {
            tracing::info!("connecting to Slack with the RTM API (classic app token)");
            Some(RtmClient::new(web.clone(), parser, handler).start())
        }
        Some(SlackMode::Events) | None => {
            tracing::info!("receiving Slack events over HTTP at /slack/events");
            None
        }
    };
    let plain: Arc<dyn ChatSink> = Arc::new(sink);
    let delivery_sink = match &decorate {
        Some(decorate) => decorate(plain),
        None => plain,
    };
    Ok(SlackParts {
        sink: delivery_sink,
        routes,
        directory: Arc::new(SlackDirectory {
            web,
            names,
            home_team_id: auth.team_id.clone(),
            allow_shared_workspaces: config.slack.allow_shared_workspaces,
        }),
        client,
    })
}

/// Channels and people for the data-action form, and destination checks for pushes, from the Web API.
struct SlackDirectory {
    web: SlackWeb,
    /// The cached name lookups the sink uses, so a checked name resolves the same way when it is posted to.
    names: Arc<slack::directory::Directory>,
    home_team_id: String,
    /// People of other workspaces are offered only when the bot serves them.
    allow_shared_workspaces: bool,
}

#[async_trait]
impl Directory for SlackDirectory {
    async fn post_targets(&self) -> Result<Vec<FormOption>, String> {
        let channels = self
            .web
            .conversations_list("public_channel")
            .await
            .map_err(|e| e.to_string())?;
        let mut channel_options: Vec<FormOption> = channels
            .into_iter()
            .filter(|c| c.is_member && !c.is_archived)
            .filter_map(|c| {
                Some(FormOption {
                    label: format!("#{}", c.name?),
                    name: c.id,
                })
            })
            .collect();
        channel_options.sort_by(|a, b| a.label.cmp(&b.label));
        let users = self.web.users_list().await.map_err(|e| e.to_string())?;
        // The people the bot would answer (no guests), by the access rules themselves: Grid members of this
        // workspace in, bots, apps and strangers out.
        let policy = AccessPolicy {
            allow_guests: false,
            allow_shared_workspaces: self.allow_shared_workspaces,
            home_team_id: Some(self.home_team_id.clone()),
        };
        let mut people: Vec<FormOption> = users
            .into_iter()
            .filter(|u| u.id != "USLACKBOT" && decide(&policy, u) == AccessDecision::Allowed)
            .map(|u| FormOption {
                label: format!("@{}", u.name),
                name: u.id,
            })
            .collect();
        people.sort_by(|a, b| a.label.cmp(&b.label));
        channel_options.extend(people);
        Ok(channel_options)
    }

    async fn check_target(&self, target: &Target) -> Result<(), String> {
        let checked = match target {
            Target::Channel(name) | Target::Group(name) => self.names.postable_channel(name).await.map(drop),
            Target::Person(name) => self.names.person(name).await.map(drop),
        };
        match checked {
            Ok(()) => Ok(()),
            Err(e @ SlackError::NotFound(_)) => Err(e.to_string()),
            Err(e) => {
                tracing::warn!(error = %e, "could not check a delivery's destination now; the delivery will");
                Ok(())
            }
        }
    }
}

/// How long an event id is remembered: Slack retries within minutes.
const EVENT_MEMORY: Duration = Duration::from_secs(3600);

/// Slack event ids remembered in the durable store, so retries are dropped even across restarts, and in memory,
/// so that a first delivery is handled without waiting for the store (it is recorded there meanwhile) unless the
/// store is shared with other replicas.
pub struct DurableDedupe {
    store: Arc<dyn queue::Store>,
    recent: MemoryDedupe,
    /// Until then every event waits for the store: a signed request seen by the previous process can be replayed
    /// while its signature is fresh.
    replays_possible_until: Instant,
    /// The store is shared by several replicas: Slack may hand the same event to two of them (two Socket Mode
    /// connections, an Events API retry landing elsewhere), so even a first delivery asks the store.
    shared: bool,
}

/// How long after start-up a request the previous process handled may still come again with a fresh enough
/// signature: timestamps are accepted 5 minutes either side of now.
const REPLAY_WINDOW: Duration = Duration::from_secs(2 * slack::verify::MAX_CLOCK_SKEW_SECS.unsigned_abs());

impl DurableDedupe {
    pub fn new(store: Arc<dyn queue::Store>) -> DurableDedupe {
        DurableDedupe {
            store,
            recent: MemoryDedupe::new(EVENT_MEMORY),
            replays_possible_until: Instant::now() + REPLAY_WINDOW,
            shared: false,
        }
    }

    /// For a store other replicas use too: every event waits for the store's answer.
    pub fn shared(store: Arc<dyn queue::Store>) -> DurableDedupe {
        DurableDedupe {
            shared: true,
            ..DurableDedupe::new(store)
        }
    }

    async fn record(store: &dyn queue::Store, event_id: &str) -> bool {
        match store
            .first_sighting(&format!("slack-event:{event_id}"), EVENT_MEMORY)
            .await
        {
            Ok(first) => first,
            Err(e) => {
                tracing::warn!(error = %e, "event dedupe store failed; handling the event");
                true
            }
        }
    }
}

#[async_trait]
impl EventDedupe for DurableDedupe {
    async fn first_sighting(&self, event_id: &str, redelivery: bool) -> bool {
        if !self.recent.first_sighting(event_id, redelivery).await {
            return false;
        }
        if redelivery || self.shared || Instant::now() < self.replays_possible_until {
            // The first delivery may have come before a restart, or to another replica: only the store knows.
            return DurableDedupe::record(self.store.as_ref(), event_id).await;
        }
        let (store, event_id) = (Arc::clone(&self.store), event_id.to_owned());
        tokio::spawn(async move { DurableDedupe::record(store.as_ref(), &event_id).await });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn event_ids_are_remembered_in_memory_at_once_and_on_disk_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn queue::Store> = crate::stack::open_queue(dir.path()).unwrap();
        let running = DurableDedupe::new(Arc::clone(&store));
        assert!(running.first_sighting("Ev1", false).await);
        assert!(
            !running.first_sighting("Ev1", true).await,
            "a retry right behind the first delivery is dropped"
        );

        tokio::time::sleep(Duration::from_millis(500)).await; // the background write
        let restarted = DurableDedupe::new(Arc::clone(&store));
        assert!(
            !restarted.first_sighting("Ev1", true).await,
            "after a restart the store remembers"
        );
        let replayed = DurableDedupe::new(Arc::clone(&store));
        assert!(
            !replayed.first_sighting("Ev1", false).await,
            "the same signed request replayed after a restart is not handled again"
        );
        assert!(
            restarted.first_sighting("Ev2", true).await,
            "a retry of an unseen event is handled"
        );
        assert!(!restarted.first_sighting("Ev2", true).await);
    }
}
