//! Slack, wired from the configuration: the Web API client, the sink, access control, the transport of the
//! chosen mode (Socket Mode, Events API over HTTP, RTM), and the HTTP routes.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use bot::Bot;
use bot::directory::Directory;
use bot::sink::ChatSink;
use config::{Config, SlackMode};
use slack::access::{AccessControl, AccessPolicy};
use slack::app::{BotHandler, SinkDecorator};
use slack::dedupe::EventDedupe;
use slack::destinations::SlackDestinations;
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

/// Warns when the token may not read the history a delivery is looked for in after Slack left a post unanswered:
/// deliveries still arrive, but such a one may be posted twice. Silent when Slack did not list the token's scopes.
pub fn warn_of_missing_history_scopes(auth: &slack::web::AuthInfo) {
    if auth.scopes.is_empty() {
        return;
    }
    let missing: Vec<&str> = admin::delivery_history_scopes()
        .into_iter()
        .filter(|scope| !auth.scopes.iter().any(|granted| granted == scope))
        .collect();
    if !missing.is_empty() {
        tracing::warn!(
            missing = %missing.join(", "),
            "the Slack app lacks history scopes: a delivery whose post Slack answers too late may be posted twice in \
             those conversations; add the scopes under OAuth & Permissions and reinstall the app"
        );
    }
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
        .router_with(endpoints::unverified_stage);
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
        directory: Arc::new(SlackDestinations::new(
            web,
            names,
            auth.team_id.clone(),
            config.slack.allow_shared_workspaces,
        )),
        client,
    })
}
