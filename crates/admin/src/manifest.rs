//! `lookerbot manifest`: a Slack app manifest (YAML) that asks for exactly the scopes and events the bot uses,
//! with the request URLs of the chosen mode. Paste it at api.slack.com/apps > Create New App > From a manifest.
//!
//! The App Home's Messages tab is on and writable: without it Slack tells people "Sending messages to this app has
//! been turned off", and DMs are the first way to talk to the bot. `tests/manifest_schema.rs` checks the result
//! against Slack's manifest reference.

use config::{Environment, Identity, SlackMode};
use serde::Serialize;

use crate::scopes::{bot_events, required_bot_scopes_for_identity};

/// Most unfurl domains a manifest may list (Slack's manifest reference).
const MAX_UNFURL_DOMAINS: usize = 5;

/// Stands in for the bot's public URL in Events API mode when none was given.
pub const URL_PLACEHOLDER: &str = "https://YOUR-BOT-URL";

#[derive(Serialize)]
struct Manifest {
    display_information: DisplayInformation,
    features: Features,
    oauth_config: OauthConfig,
    settings: Settings,
}

#[derive(Serialize)]
struct DisplayInformation {
    name: &'static str,
    description: &'static str,
}

#[derive(Serialize)]
struct Features {
    app_home: AppHome,
    bot_user: BotUser,
    slash_commands: Vec<SlashCommand>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unfurl_domains: Vec<String>,
}

/// The App Home: no Home tab; the Messages tab on, and people may write in it (DMs to the bot).
#[derive(Serialize)]
struct AppHome {
    home_tab_enabled: bool,
    messages_tab_enabled: bool,
    messages_tab_read_only_enabled: bool,
}

#[derive(Serialize)]
struct BotUser {
    display_name: &'static str,
    always_online: bool,
}

#[derive(Serialize)]
struct SlashCommand {
    command: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    description: &'static str,
    usage_hint: &'static str,
    should_escape: bool,
}

#[derive(Serialize)]
struct OauthConfig {
    scopes: Scopes,
}

#[derive(Serialize)]
struct Scopes {
    bot: Vec<&'static str>,
}

#[derive(Serialize)]
struct Settings {
    event_subscriptions: EventSubscriptions,
    interactivity: Interactivity,
    org_deploy_enabled: bool,
    socket_mode_enabled: bool,
    token_rotation_enabled: bool,
}

#[derive(Serialize)]
struct EventSubscriptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    request_url: Option<String>,
    bot_events: Vec<&'static str>,
}

#[derive(Serialize)]
struct Interactivity {
    is_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_url: Option<String>,
}

/// The manifest for `mode`. `public_url` is where Slack reaches the bot (Events API mode only); `looker_hosts`
/// (hosts or URLs of the configured Lookers) become the unfurl domains. RTM needs a classic app, which no
/// manifest can create, so RTM gets the Socket Mode manifest with a comment saying so.
pub fn manifest_yaml(mode: SlackMode, public_url: Option<&str>, expand_urls: bool, looker_hosts: &[String]) -> String {
    manifest_yaml_for_identity(mode, public_url, expand_urls, false, looker_hosts)
}

/// [`manifest_yaml`], asking also for what identity `user` needs (`users:read.email`) when `user_identity`.
pub fn manifest_yaml_for_identity(
    mode: SlackMode,
    public_url: Option<&str>,
    expand_urls: bool,
    user_identity: bool,
    looker_hosts: &[String],
) -> String {
    let mut notes = Vec::new();
    let http_base = match mode {
        SlackMode::Events => Some(match public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => {
                notes.push(format!(
                    "Replace {URL_PLACEHOLDER} with the public HTTPS URL of your lookerbot server (or run \
                     `lookerbot manifest --url https://...`)."
                ));
                URL_PLACEHOLDER.to_string()
            }
        }),
        SlackMode::Socket => None,
        SlackMode::Rtm => {
            notes.push(
                "RTM needs a classic Slack app, which cannot be created from a manifest. This manifest sets up \
                 Socket Mode instead: create an app-level token with connections:write, put it in \
                 SLACK_APP_TOKEN and set SLACK_MODE=socket."
                    .to_string(),
            );
            None
        }
    };
    let at = |path: &str| http_base.as_ref().map(|base| format!("{base}{path}"));
    let mut domains = unfurl_domains(looker_hosts);
    if domains.len() > MAX_UNFURL_DOMAINS {
        let rest = domains.split_off(MAX_UNFURL_DOMAINS);
        notes.push(format!(
            "Slack takes at most {MAX_UNFURL_DOMAINS} unfurl domains in a manifest; add these under App unfurl \
             domains by hand: {}.",
            rest.join(", ")
        ));
    }
    let manifest = Manifest {
        display_information: DisplayInformation {
            name: "Lookerbot",
            description: "Ask Looker questions, share Looks and dashboards, and get scheduled deliveries in Slack.",
        },
        features: Features {
            app_home: AppHome {
                home_tab_enabled: false,
                messages_tab_enabled: true,
                messages_tab_read_only_enabled: false,
            },
            bot_user: BotUser {
                display_name: "looker",
                always_online: true,
            },
            slash_commands: vec![SlashCommand {
                command: "/looker",
                url: at("/slack/receive"),
                description: "Ask Looker a question, or run a custom command",
                usage_hint: "help",
                should_escape: false,
            }],
            unfurl_domains: domains,
        },
        oauth_config: OauthConfig {
            scopes: Scopes {
                bot: required_bot_scopes_for_identity(manifest_mode(mode), expand_urls, user_identity),
            },
        },
        settings: Settings {
            event_subscriptions: EventSubscriptions {
                request_url: at("/slack/events"),
                bot_events: bot_events(expand_urls),
            },
            interactivity: Interactivity {
                is_enabled: true,
                request_url: at("/slack/action"),
            },
            org_deploy_enabled: false,
            socket_mode_enabled: manifest_mode(mode) == SlackMode::Socket,
            token_rotation_enabled: false,
        },
    };
    let yaml = serde_yaml_ng::to_string(&manifest).expect("the manifest is plain data and always serializes");
    let comments: String = notes.iter().map(|note| format!("# {note}\n")).collect();
    format!(
        "# Slack app manifest for lookerbot ({} mode).\n{comments}{yaml}",
        mode.name()
    )
}

/// The mode the manifest describes: RTM apps cannot come from a manifest, so they get Socket Mode.
fn manifest_mode(mode: SlackMode) -> SlackMode {
    match mode {
        SlackMode::Rtm => SlackMode::Socket,
        other => other,
    }
}

/// The public URL as Slack needs it for request URLs: `https://host[:port]`, nothing after. Anything else is refused
/// with what to give instead (Slack only calls HTTPS URLs, and the bot's paths are added to this one).
pub fn check_public_url(url: &str) -> Result<String, String> {
    let advice = "give the bot's public HTTPS address without a path, e.g. https://bot.example.com";
    let parsed = url::Url::parse(url.trim()).map_err(|e| format!("{url:?} is not a URL ({e}): {advice}"))?;
    if parsed.scheme() != "https" {
        return Err(format!(
            "{url:?} is not an https:// URL; Slack only sends requests to HTTPS: {advice}"
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("{url:?} has no host: {advice}"));
    }
    if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() || !parsed.username().is_empty()
    {
        return Err(format!(
            "{url:?} has a path, query or user name; the bot's paths (/slack/events, ...) are added to it: {advice}"
        ));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

/// The Lookers' web addresses from `LOOKERS` (each entry's `url`) or `LOOKER_URL` (else the API URL's host), read
/// on their own: a manifest is printed before API credentials exist, so nothing else of Looker is needed.
pub fn looker_hosts(env: &Environment) -> Vec<String> {
    if let Some(lookers) = env.get("LOOKERS") {
        let entries: Vec<serde_json::Value> = serde_json::from_str(lookers).unwrap_or_default();
        return entries
            .iter()
            .filter_map(|entry| entry.get("url").and_then(serde_json::Value::as_str))
            .map(str::to_string)
            .collect();
    }
    ["LOOKER_URL", "LOOKER_API_BASE_URL", "LOOKERSDK_BASE_URL"]
        .iter()
        .find_map(|name| env.get(name))
        .map(|url| vec![url.to_string()])
        .unwrap_or_default()
}

/// Whether any Looker runs chat requests as the asker (identity `user`): `LOOKERBOT_IDENTITY`, overridden by each
/// `LOOKERS` entry's `identity`. Read on its own, like [`looker_hosts`]; a value that is neither `service` nor `user`
/// counts as `user`, so that a manifest never lacks a scope the bot may need (the bot itself refuses such a value).
pub fn uses_user_identity(env: &Environment) -> bool {
    let read = |value: &str| Identity::parse(value).unwrap_or(Identity::User);
    let default = env.get("LOOKERBOT_IDENTITY").map(read).unwrap_or_default();
    let entries: Vec<serde_json::Value> = env
        .get("LOOKERS")
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default();
    if entries.is_empty() {
        return default == Identity::User;
    }
    entries.iter().any(|entry| {
        let identity = entry.get("identity").and_then(serde_json::Value::as_str);
        identity.map(read).unwrap_or(default) == Identity::User
    })
}

/// `env` without the Looker variables, for reading the rest of the configuration when only a manifest is wanted.
pub fn without_lookers(env: &Environment) -> Environment {
    let mut env = env.clone();
    for name in config::LOOKER_VARIABLES.iter().chain(&["LOOKERS", "LOOKER_CA_BUNDLE"]) {
        env.set(name, "");
    }
    env
}

/// Hosts for Slack's `unfurl_domains`: bare host names, without duplicates.
fn unfurl_domains(looker_hosts: &[String]) -> Vec<String> {
    let mut domains: Vec<String> = Vec::new();
    for host in looker_hosts {
        let host = url::Url::parse(host)
            .ok()
            .and_then(|url| url.host_str().map(str::to_string))
            .unwrap_or_else(|| host.trim().trim_end_matches('/').to_string());
        if !host.is_empty() && !domains.contains(&host) {
            domains.push(host);
        }
    }
    domains
}
