//! The checks of each configured Looker: reachable with API 4.0, login, the bot's user, the custom-command folder,
//! the webhook token; then one note when certificate checks are off.

use std::time::Duration;

use bot::catalog::{Catalog, CatalogStore};
use bot::lookers::Lookers;
use config::{Config, LookerInstance};
use looker::models::ApiVersion;
use looker::{ClientOptions, LookerClient, LookerError};

use super::{CheckLine, Outcome};

/// `check` should answer quickly even when a Looker hangs.
const CHECK_TIMEOUT: Duration = Duration::from_secs(15);

pub(super) async fn check_all(config: &Config) -> Vec<CheckLine> {
    let mut lines = Vec::new();
    if config.lookers.is_empty() {
        lines.push(CheckLine::fail(
            "Looker",
            "none configured: set LOOKER_API_BASE_URL, LOOKER_API_3_CLIENT_ID and LOOKER_API_3_CLIENT_SECRET \
             (or LOOKERS for several instances)",
        ));
    }
    for (index, instance) in config.lookers.iter().enumerate() {
        let target = Target {
            instance,
            net: net::NetPolicy::new(&config.proxy),
            entry: config.lookers_from_json.then_some(index + 1),
        };
        lines.extend(check_one(&target).await);
    }
    if config.tls_insecure {
        lines.push(CheckLine::warn(
            "Looker TLS",
            "certificate checks are off (NODE_TLS_REJECT_UNAUTHORIZED=0 or LOOKERSDK_VERIFY_SSL=false), so anyone \
             on the network path can read the bot's Looker credentials: trust your Looker's certificate with \
             LOOKER_CA_BUNDLE instead",
        ));
    }
    lines
}

/// One Looker and how the person configured it, so advice names the right variables.
struct Target<'a> {
    instance: &'a LookerInstance,
    /// The network policy (proxy) of the configuration.
    net: net::NetPolicy,
    /// The 1-based entry of `LOOKERS` when the Lookers come from it.
    entry: Option<usize>,
}

impl Target<'_> {
    fn subject(&self, check: &str) -> String {
        format!("Looker {} {check}", self.instance.url.as_str().trim_end_matches('/'))
    }

    /// Where a setting lives: the single-instance variable `single`, or `key` of a `LOOKERS` entry when the Lookers
    /// come from `LOOKERS`.
    fn setting(&self, single: &str, key: &str) -> String {
        match self.entry {
            Some(n) => format!("\"{key}\" of entry {n} of LOOKERS"),
            None => single.to_string(),
        }
    }
}

async fn check_one(target: &Target<'_>) -> Vec<CheckLine> {
    let mut lines = Vec::new();
    let reachable = target.subject("reachable");
    let options = ClientOptions {
        timeout: CHECK_TIMEOUT,
        query_timeout: CHECK_TIMEOUT,
        net: target.net.clone(),
        ..ClientOptions::default()
    };
    match LookerClient::new(target.instance, options) {
        Err(e) => lines.push(CheckLine::fail(reachable, e.to_string())),
        Ok(client) => match client.versions().await {
            Err(e) => lines.push(CheckLine::fail(
                reachable,
                format!("{e} (set in {})", target.setting("LOOKER_API_BASE_URL", "apiBaseUrl")),
            )),
            Ok(versions) => {
                let line = version_line(target, reachable, &versions);
                let usable = line.outcome != Outcome::Fail;
                lines.push(line);
                lines.extend(web_url_line(target, &versions));
                if usable {
                    lines.extend(check_session(target, &client).await);
                }
            }
        },
    }
    if target.instance.custom_command_folder_id.is_none() {
        lines.push(no_command_folder(target));
    }
    lines.push(webhook_token(target));
    lines
}

/// Lines that need API 4.0: login, then (once logged in) the bot's user and the command folder.
async fn check_session(target: &Target<'_>, client: &LookerClient) -> Vec<CheckLine> {
    let subject = target.subject("login");
    if let Err(e) = client.login().await {
        let detail = match e {
            LookerError::Login { message } => format!(
                "Looker refused the API credentials ({message}): fix {} and {} with the client id and secret \
                 of the bot's API key (Admin > Users > the bot's user > API Keys){}",
                target.setting("LOOKER_API_3_CLIENT_ID", "clientId"),
                target.setting("LOOKER_API_3_CLIENT_SECRET", "clientSecret"),
                if target.entry.is_none() {
                    " (or clientId and clientSecret of the LOOKERS entry)"
                } else {
                    ""
                },
            ),
            other => other.to_string(),
        };
        return vec![CheckLine::fail(subject, detail)];
    }
    let mut lines = vec![CheckLine::pass(subject, "logged in with the client id and secret")];
    lines.push(bot_user(target, client).await);
    let identity = target.instance.identity;
    lines.extend(super::identity::login_as_line(target.subject("login as users"), identity, client).await);
    if let Some(folder_id) = &target.instance.custom_command_folder_id {
        lines.push(command_folder(target, client, folder_id).await);
    }
    lines
}

fn version_line(target: &Target<'_>, subject: String, versions: &ApiVersion) -> CheckLine {
    let release = versions
        .looker_release_version
        .as_deref()
        .map(|r| format!("Looker {r}"))
        .unwrap_or_else(|| "Looker (release not given)".into());
    let offered: Vec<&str> = versions.supported_versions.iter().map(|v| v.version.as_str()).collect();
    if !offered.contains(&"4.0") {
        return CheckLine::fail(
            subject,
            format!(
                "{release} offers API {} but not 4.0: lookerbot needs Looker 23.18 or later (or API 4.0 enabled)",
                if offered.is_empty() {
                    "none".to_string()
                } else {
                    offered.join(", ")
                }
            ),
        );
    }
    match legacy_version(&target.instance.api_base_url) {
        Some(old) => CheckLine::warn(
            subject,
            format!(
                "{release}, API 4.0; the configured URL names API {old}, which Looker no longer serves, so 4.0 is \
                 used instead: change {} to end in /api/4.0",
                target.setting("LOOKER_API_BASE_URL", "apiBaseUrl")
            ),
        ),
        None => CheckLine::pass(subject, format!("{release}, API 4.0")),
    }
}

/// Whether the configured web URL is the one Looker puts in its links and plan URLs (`web_server_url`): links are
/// matched to a Looker by exact origin, so another host (or scheme, or port) silently breaks link expansion and
/// scheduled deliveries. Nothing to compare when Looker does not say.
fn web_url_line(target: &Target<'_>, versions: &ApiVersion) -> Option<CheckLine> {
    let said = versions.web_server_url.as_deref()?.trim();
    let subject = target.subject("web URL");
    let configured = &target.instance.url;
    let Ok(said_url) = url::Url::parse(said) else {
        return Some(CheckLine::warn(
            subject,
            format!("Looker reports the web URL {said:?}, which is not a URL; cannot compare"),
        ));
    };
    if said_url.origin() == configured.origin() {
        return Some(CheckLine::pass(subject, "matches the web URL Looker reports"));
    }
    let said = said.trim_end_matches('/');
    Some(CheckLine::fail(
        subject,
        format!(
            "Looker says its web URL is {said}, but {} is {}: Looker's links and scheduled plans point at {said}, so              links would not be expanded and deliveries would be refused; set {} to {said}",
            target.setting("LOOKER_URL", "url"),
            configured.as_str().trim_end_matches('/'),
            target.setting("LOOKER_URL", "url"),
        ),
    ))
}

/// The `3.x` version a configured API URL ends with (`.../api/3.1`), if any.
fn legacy_version(api_url: &url::Url) -> Option<String> {
    let path = api_url.path().trim_end_matches('/');
    let (rest, version) = path.rsplit_once('/')?;
    (rest.ends_with("/api") && version.starts_with("3.")).then(|| version.to_string())
}

async fn bot_user(target: &Target<'_>, client: &LookerClient) -> CheckLine {
    let subject = target.subject("bot user");
    match client.me().await {
        Err(e) => CheckLine::fail(subject, e.to_string()),
        Ok(user) => {
            let name = user
                .display_name
                .or(user.email)
                .unwrap_or_else(|| format!("user {}", user.id.unwrap_or_default()));
            if user.is_disabled == Some(true) {
                CheckLine::warn(
                    subject,
                    format!("{name} is disabled: enable the bot's user in Looker's Admin > Users"),
                )
            } else {
                CheckLine::pass(subject, format!("runs as {name}"))
            }
        }
    }
}

async fn command_folder(target: &Target<'_>, client: &LookerClient, folder_id: &str) -> CheckLine {
    let subject = target.subject("custom commands");
    let folder = match client.folder(folder_id).await {
        Ok(folder) => folder,
        Err(e) => {
            return CheckLine::fail(
                subject,
                format!(
                    "folder {folder_id} cannot be read: {e} (set in {})",
                    target.setting("LOOKER_CUSTOM_COMMAND_FOLDER_ID", "customCommandFolderId")
                ),
            );
        }
    };
    // The bot's own loader, so that `check` lists exactly the commands the bot will offer.
    let catalog = CatalogStore::default()
        .refresh(&Lookers::new(vec![client.clone()]))
        .await;
    let described = format!("folder \"{}\" ({folder_id})", folder.name);
    if let Some(problem) = catalog.problems.first() {
        return CheckLine::fail(subject, format!("{described}: {problem}"));
    }
    describe_commands(subject, &described, &catalog)
}

fn describe_commands(subject: String, folder: &str, catalog: &Catalog) -> CheckLine {
    if catalog.commands.is_empty() {
        return CheckLine::warn(
            subject,
            format!("{folder} defines no commands yet: add a dashboard to it (its title is the command)"),
        );
    }
    let names: Vec<&str> = catalog.commands.iter().map(|c| c.name.as_str()).collect();
    let count = names.len();
    let noun = if count == 1 { "command" } else { "commands" };
    CheckLine::pass(
        subject,
        format!("{folder} defines {count} {noun}: {}", names.join(", ")),
    )
}

fn no_command_folder(target: &Target<'_>) -> CheckLine {
    CheckLine::warn(
        target.subject("custom commands"),
        format!(
            "no folder configured: set {} to enable custom commands",
            target.setting("LOOKER_CUSTOM_COMMAND_FOLDER_ID", "customCommandFolderId")
        ),
    )
}

fn webhook_token(target: &Target<'_>) -> CheckLine {
    let subject = target.subject("webhook token");
    if target.instance.webhook_token.is_some() {
        CheckLine::pass(subject, "set, so scheduled deliveries from this Looker are accepted")
    } else {
        CheckLine::warn(
            subject,
            format!(
                "not set, so scheduled deliveries from this Looker will be refused: set {} to the webhook \
                 validation token from Looker's admin panel",
                target.setting("LOOKER_WEBHOOK_TOKEN", "webhookToken")
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_api_urls_are_noticed() {
        let v = |s: &str| legacy_version(&url::Url::parse(s).unwrap());
        assert_eq!(v("https://h:19999/api/3.1").as_deref(), Some("3.1"));
        assert_eq!(v("https://h:19999/api/3.0/").as_deref(), Some("3.0"));
        assert_eq!(v("https://h:19999/api/4.0"), None);
        assert_eq!(v("https://h:19999/"), None);
    }
}
