//! The checks of Slack: the bot token (auth.test), its scopes against what the mode needs, the mode's own
//! credential, and request verification for buttons and slash commands.

use std::time::Duration;

use config::{Config, SlackMode, SlackSettings};
use slack::web::{AuthInfo, SlackWeb, WebConfig};
use url::Url;

use super::CheckLine;
use crate::scopes::{CLASSIC_BOT_SCOPE, is_delivery_history_only, required_bot_scopes_for_identity, why_needed};

const REINSTALL: &str = "add them under OAuth & Permissions and reinstall the app";

pub(super) async fn check(config: &Config) -> Vec<CheckLine> {
    let settings = &config.slack;
    let Some(token) = &settings.bot_token else {
        return vec![CheckLine::fail(
            "Slack token",
            "SLACK_API_KEY is not set: set it to the Bot User OAuth Token (xoxb-...) from your Slack app's \
             OAuth & Permissions page",
        )];
    };
    let Some(mode) = settings.mode else {
        return vec![CheckLine::fail(
            "Slack mode",
            "no mode chosen: set SLACK_MODE to socket, events or rtm",
        )];
    };
    // One try and a short deadline: `check` reports, it does not wait out rate limits.
    let web_config = WebConfig {
        timeout: Duration::from_secs(15),
        max_attempts: 1,
        net: net::NetPolicy::new(&config.proxy),
        ..WebConfig::default()
    };
    let web = match SlackWeb::with_config(
        settings.api_url.as_str(),
        slack::Secret::new(token.expose()),
        web_config,
    ) {
        Ok(web) => web,
        Err(e) => return vec![CheckLine::fail("Slack token", e.to_string())],
    };
    let mut lines = Vec::new();
    match web.auth_test().await {
        Ok(info) => {
            lines.push(CheckLine::pass(
                "Slack token",
                format!("valid, bot @{} in workspace {}", info.user, info.team),
            ));
            let user_identity = config.lookers.iter().any(|l| l.identity == config::Identity::User);
            lines.push(scopes_line(&info, mode, settings.expand_urls, user_identity));
        }
        Err(e) => lines.push(CheckLine::fail(
            "Slack token",
            format!("{e}; check SLACK_API_KEY (the Bot User OAuth Token, xoxb-...)"),
        )),
    }
    lines.push(mode_line(&web, settings, mode, config.public_url.as_ref()).await);
    lines.push(verification_line(settings, mode));
    lines
}

fn scopes_line(info: &AuthInfo, mode: SlackMode, expand_urls: bool, user_identity: bool) -> CheckLine {
    const SUBJECT: &str = "Slack scopes";
    if info.scopes.is_empty() {
        return CheckLine::warn(
            SUBJECT,
            "Slack did not say which scopes the token has (no X-OAuth-Scopes header), so they were not checked",
        );
    }
    let granted = |scope: &str| info.scopes.iter().any(|s| s == scope);
    let missing: Vec<&str> = required_bot_scopes_for_identity(mode, expand_urls, user_identity)
        .into_iter()
        .filter(|scope| !granted(scope))
        .collect();
    if missing.is_empty() {
        return CheckLine::pass(SUBJECT, format!("all {} needed scopes are granted", mode.name()));
    }
    if mode == SlackMode::Rtm {
        return CheckLine::fail(
            SUBJECT,
            format!(
                "the token lacks the classic `{CLASSIC_BOT_SCOPE}` scope that RTM needs (it is not a classic app's \
                 bot token): use Socket Mode instead (SLACK_MODE=socket with SLACK_APP_TOKEN)"
            ),
        );
    }
    let described = |scopes: &[&str]| -> String {
        let described: Vec<String> = scopes
            .iter()
            .map(|scope| match why_needed(scope) {
                Some(why) => format!("{scope} (for {why})"),
                None => scope.to_string(),
            })
            .collect();
        described.join(", ")
    };
    if missing.iter().all(|scope| is_delivery_history_only(scope, expand_urls)) {
        return CheckLine::warn(
            SUBJECT,
            format!(
                "missing {}: deliveries still arrive, but one whose post Slack answers too late may be posted twice; \
                 {REINSTALL}",
                described(&missing)
            ),
        );
    }
    CheckLine::fail(SUBJECT, format!("missing {}: {REINSTALL}", described(&missing)))
}

/// The mode's own credential; `public_url` is where Slack must reach the bot in Events API mode.
async fn mode_line(web: &SlackWeb, settings: &SlackSettings, mode: SlackMode, public_url: Option<&Url>) -> CheckLine {
    let subject = format!("Slack {} mode", mode.name());
    match mode {
        SlackMode::Socket => match &settings.app_token {
            None => CheckLine::fail(
                subject,
                "SLACK_APP_TOKEN is not set: create an app-level token (xapp-...) with connections:write under \
                 Basic Information > App-Level Tokens",
            ),
            Some(app_token) => match web.apps_connections_open(&slack::Secret::new(app_token.expose())).await {
                Ok(_) => CheckLine::pass(subject, "the app-level token opens Socket Mode connections"),
                Err(e) => CheckLine::fail(
                    subject,
                    format!(
                        "{e}; check SLACK_APP_TOKEN (an app-level token with connections:write) and that Socket \
                         Mode is enabled in the app's settings"
                    ),
                ),
            },
        },
        SlackMode::Events => match (&settings.signing_secret, public_url) {
            (None, _) => CheckLine::fail(
                subject,
                "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from the app's Basic Information page",
            ),
            (Some(_), Some(url)) => CheckLine::pass(
                subject,
                format!(
                    "signing secret set; Slack must reach {}/slack/events",
                    url.as_str().trim_end_matches('/')
                ),
            ),
            (Some(_), None) => CheckLine::pass(
                subject,
                "signing secret set; Slack must reach this server's /slack/events over HTTPS",
            ),
        },
        SlackMode::Rtm => CheckLine::warn(
            subject,
            "RTM only works with classic Slack apps' bot tokens, which Slack no longer lets anyone create: \
             switch to Socket Mode (SLACK_MODE=socket with an app-level token in SLACK_APP_TOKEN)",
        ),
    }
}

fn verification_line(settings: &SlackSettings, mode: SlackMode) -> CheckLine {
    const SUBJECT: &str = "Slack request verification";
    if mode == SlackMode::Socket {
        return CheckLine::pass(
            SUBJECT,
            "not needed: buttons and slash commands arrive over the Socket Mode connection",
        );
    }
    match (&settings.signing_secret, &settings.verification_token) {
        (Some(_), _) => CheckLine::pass(
            SUBJECT,
            "buttons and slash commands are verified with the signing secret",
        ),
        (None, Some(_)) => CheckLine::warn(
            SUBJECT,
            "only the deprecated verification token (SLACK_SLASH_COMMAND_TOKEN) is set: set SLACK_SIGNING_SECRET",
        ),
        (None, None) => CheckLine::warn(
            SUBJECT,
            "neither SLACK_SIGNING_SECRET nor SLACK_SLASH_COMMAND_TOKEN is set, so buttons are not offered and \
             slash commands are refused: set SLACK_SIGNING_SECRET",
        ),
    }
}
