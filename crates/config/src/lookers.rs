//! Looker instances: from the single-instance variables, or from `LOOKERS` (a JSON array) when it is set.

use std::path::PathBuf;

use serde_json::{Map, Value};
use url::Url;

use crate::env::Environment;
use crate::error::Problems;
use crate::secret::Secret;

/// One Looker the bot talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookerInstance {
    /// The web URL people see in links (`https://mycompany.looker.com`).
    pub url: Url,
    /// The API URL as configured; the client discovers the 4.0 endpoint from it.
    pub api_base_url: Url,
    pub client_id: String,
    pub client_secret: Secret,
    /// Folder whose dashboards define custom commands (a 3.x "space" id is the same 4.0 folder id).
    pub custom_command_folder_id: Option<String>,
    /// Token Looker sends in `X-Looker-Webhook-Token` with scheduled deliveries.
    pub webhook_token: Option<Secret>,
    /// A CA bundle (PEM) to trust for this instance, for self-signed Lookers.
    pub ca_bundle: Option<PathBuf>,
    /// Certificate checks; off only when asked for explicitly.
    pub verify_tls: bool,
    /// Whom chat requests run as in this Looker (`LOOKERBOT_IDENTITY`, or `identity` in `LOOKERS`).
    pub identity: Identity,
}

impl LookerInstance {
    /// A Looker reached with API credentials, the rest at its defaults: no command folder, no webhook token, the
    /// system's trust store, identity `service`.
    pub fn parse(url: &str, api_base_url: &str, client_id: &str, client_secret: &str) -> Result<Self, url::ParseError> {
        Ok(LookerInstance {
            url: Url::parse(url)?,
            api_base_url: Url::parse(api_base_url)?,
            client_id: client_id.to_string(),
            client_secret: Secret::new(client_secret),
            custom_command_folder_id: None,
            webhook_token: None,
            ca_bundle: None,
            verify_tls: true,
            identity: Identity::Service,
        })
    }

    /// The same Looker, with custom commands in folder `id`.
    pub fn with_command_folder(mut self, id: impl Into<String>) -> Self {
        self.custom_command_folder_id = Some(id.into());
        self
    }
}

/// Whom a chat request runs as in Looker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Identity {
    /// Everyone asks as the bot's API user (the original Lookerbot's behaviour).
    #[default]
    Service,
    /// Each Slack user asks as the Looker user with the same email, through the admin's "login as user".
    User,
}

impl Identity {
    /// `service` or `user`, in any case; anything else is `None`.
    pub fn parse(value: &str) -> Option<Identity> {
        match value.trim().to_ascii_lowercase().as_str() {
            "service" => Some(Identity::Service),
            "user" => Some(Identity::User),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Identity::Service => "service",
            Identity::User => "user",
        }
    }
}

/// What a wrong identity value is told.
fn identity_choices() -> &'static str {
    "must be service (everyone asks as the bot's Looker user) or user (each Slack user \
     asks as their own Looker user)"
}

/// `LOOKERBOT_IDENTITY`: the default of every Looker.
fn read_identity(env: &Environment, problems: &mut Problems) -> Identity {
    let Some(value) = env.get("LOOKERBOT_IDENTITY") else {
        return Identity::Service;
    };
    Identity::parse(value).unwrap_or_else(|| {
        problems.add("LOOKERBOT_IDENTITY", format!("{value:?} {}", identity_choices()));
        Identity::Service
    })
}

impl LookerInstance {
    /// Whether `candidate` is a page of this Looker: same scheme, host and port (an exact origin, never a prefix:
    /// `https://me.looker.com.evil.example` is not `https://me.looker.com`).
    pub fn owns(&self, candidate: &Url) -> bool {
        candidate.origin() == self.url.origin()
    }
}

/// The variables of the single-instance setup, which `LOOKERS` replaces.
pub const SINGLE_INSTANCE_VARIABLES: &[&str] = &[
    "LOOKER_URL",
    "LOOKER_API_BASE_URL",
    "LOOKERSDK_BASE_URL",
    "LOOKER_API_3_CLIENT_ID",
    "LOOKER_API_CLIENT_ID",
    "LOOKERSDK_CLIENT_ID",
    "LOOKER_API_3_CLIENT_SECRET",
    "LOOKER_API_CLIENT_SECRET",
    "LOOKERSDK_CLIENT_SECRET",
    "LOOKER_WEBHOOK_TOKEN",
    "LOOKER_CUSTOM_COMMAND_SPACE_ID",
    "LOOKER_CUSTOM_COMMAND_FOLDER_ID",
    "LOOKER_CA_BUNDLE",
];

const API_URL_VARS: &[&str] = &["LOOKER_API_BASE_URL", "LOOKERSDK_BASE_URL"];
const CLIENT_ID_VARS: &[&str] = &["LOOKER_API_3_CLIENT_ID", "LOOKER_API_CLIENT_ID", "LOOKERSDK_CLIENT_ID"];
const CLIENT_SECRET_VARS: &[&str] = &[
    "LOOKER_API_3_CLIENT_SECRET",
    "LOOKER_API_CLIENT_SECRET",
    "LOOKERSDK_CLIENT_SECRET",
];
const FOLDER_VARS: &[&str] = &["LOOKER_CUSTOM_COMMAND_FOLDER_ID", "LOOKER_CUSTOM_COMMAND_SPACE_ID"];

/// Reads the Looker instances. `required` is false for verbs that can run without Looker (e.g. `manifest`).
pub(crate) fn read(
    env: &Environment,
    verify_tls: bool,
    required: bool,
    problems: &mut Problems,
) -> Vec<LookerInstance> {
    let identity = read_identity(env, problems);
    if let Some(json) = env.get("LOOKERS") {
        let ignored: Vec<&str> = SINGLE_INSTANCE_VARIABLES
            .iter()
            .copied()
            .filter(|v| env.get(v).is_some())
            .collect();
        if !ignored.is_empty() {
            tracing::warn!("LOOKERS is set, so these variables are ignored: {}", ignored.join(", "));
        }
        return read_lookers_json(json, verify_tls, identity, problems);
    }
    let any_set = SINGLE_INSTANCE_VARIABLES.iter().any(|v| env.get(v).is_some());
    if !any_set && !required {
        return Vec::new();
    }
    read_single(env, verify_tls, identity, problems).into_iter().collect()
}

fn read_single(
    env: &Environment,
    verify_tls: bool,
    identity: Identity,
    problems: &mut Problems,
) -> Option<LookerInstance> {
    let api = match env.first_of(API_URL_VARS) {
        Some((name, value)) => parse_url(name, value, problems),
        None => {
            problems.add(
                "LOOKER_API_BASE_URL",
                "is missing: set it to your Looker API URL, e.g. https://mycompany.looker.com:19999/api/4.0 \
                 (or set LOOKERS for several instances)",
            );
            None
        }
    };
    let web = match env.get("LOOKER_URL") {
        Some(value) => parse_url("LOOKER_URL", value, problems),
        None => match &api {
            Some(api) => Some(web_url_from_api(api)),
            None => {
                problems.add(
                    "LOOKER_URL",
                    "is missing: set it to your Looker's web URL, e.g. https://mycompany.looker.com",
                );
                None
            }
        },
    };
    let client_id = required_value(
        env,
        CLIENT_ID_VARS,
        "the API client id of the user the bot runs as",
        problems,
    );
    let client_secret = required_value(env, CLIENT_SECRET_VARS, "the API client secret of that user", problems);
    Some(LookerInstance {
        url: web?,
        api_base_url: api?,
        client_id: client_id?,
        client_secret: Secret::new(client_secret?),
        custom_command_folder_id: env.first_of(FOLDER_VARS).map(|(_, v)| v.to_string()),
        webhook_token: env.secret("LOOKER_WEBHOOK_TOKEN"),
        ca_bundle: env.get("LOOKER_CA_BUNDLE").map(PathBuf::from),
        verify_tls,
        identity,
    })
}

fn required_value(env: &Environment, names: &[&str], what: &str, problems: &mut Problems) -> Option<String> {
    match env.first_of(names) {
        Some((_, value)) => Some(value.to_string()),
        None => {
            let others = names[1..].join(" or ");
            problems.add(
                names[0],
                format!("is missing: set it to {what} (also accepted: {others})"),
            );
            None
        }
    }
}

/// The web URL when only the API URL is given: the API URL's origin, without Looker's classic API port 19999.
fn web_url_from_api(api: &Url) -> Url {
    let mut web = api.clone();
    web.set_path("");
    web.set_query(None);
    if web.port() == Some(19999) {
        let _ = web.set_port(None);
    }
    web
}

fn parse_url(name: &str, value: &str, problems: &mut Problems) -> Option<Url> {
    match Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Some(url),
        Ok(_) => {
            problems.add(name, format!("{value:?} is not an http(s) URL"));
            None
        }
        Err(e) => {
            problems.add(
                name,
                format!("{value:?} is not a URL ({e}); write it like https://mycompany.looker.com"),
            );
            None
        }
    }
}

fn read_lookers_json(json: &str, verify_tls: bool, identity: Identity, problems: &mut Problems) -> Vec<LookerInstance> {
    let value: Value = match serde_json::from_str(json) {
        Ok(value) => value,
        Err(e) => {
            problems.add(
                "LOOKERS",
                format!("is not valid JSON at line {} column {}: {e}", e.line(), e.column()),
            );
            return Vec::new();
        }
    };
    let Value::Array(entries) = value else {
        problems.add(
            "LOOKERS",
            "must be a JSON array of objects, like [{\"url\": ..., \"apiBaseUrl\": ...}]",
        );
        return Vec::new();
    };
    if entries.is_empty() {
        problems.add("LOOKERS", "is an empty array: list at least one Looker instance");
    }
    entries
        .iter()
        .enumerate()
        .filter_map(|(index, entry)| match entry {
            Value::Object(fields) => read_lookers_entry(index + 1, fields, verify_tls, identity, problems),
            _ => {
                problems.add("LOOKERS", format!("entry {} is not a JSON object", index + 1));
                None
            }
        })
        .collect()
}

/// The keys a `LOOKERS` entry may have (the original's names, and `clientID`/`customCommandFolderId` variants).
const LOOKERS_KEYS: &[&str] = &[
    "url",
    "apiBaseUrl",
    "clientId",
    "clientID",
    "clientSecret",
    "customCommandFolderId",
    "customCommandSpaceId",
    "webhookToken",
    "caBundle",
    "identity",
];

/// A misspelt key would otherwise be silently ignored (a webhook token that never matches, commands that never
/// load): each unknown key is a problem, with the closest known key as a suggestion.
fn refuse_unknown_keys(number: usize, fields: &Map<String, Value>, problems: &mut Problems) {
    for key in fields.keys().filter(|k| !LOOKERS_KEYS.contains(&k.as_str())) {
        let closest = LOOKERS_KEYS
            .iter()
            .map(|known| {
                (
                    strsim::jaro_winkler(&key.to_ascii_lowercase(), &known.to_ascii_lowercase()),
                    known,
                )
            })
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .filter(|(score, _)| *score > 0.8)
            .map(|(_, known)| format!(" (did you mean \"{known}\"?)"))
            .unwrap_or_default();
        problems.add(
            "LOOKERS",
            format!(
                "entry {number} has the unknown key \"{key}\"{closest}; the keys are {}",
                LOOKERS_KEYS.join(", ")
            ),
        );
    }
}

fn read_lookers_entry(
    number: usize,
    fields: &Map<String, Value>,
    verify_tls: bool,
    identity: Identity,
    problems: &mut Problems,
) -> Option<LookerInstance> {
    refuse_unknown_keys(number, fields, problems);
    let text = |keys: &[&str], problems: &mut Problems| -> Option<String> {
        let (key, value) = keys.iter().find_map(|k| fields.get(*k).map(|v| (*k, v)))?;
        match value {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::Null => None,
            _ => {
                problems.add("LOOKERS", format!("entry {number}: \"{key}\" must be a string"));
                None
            }
        }
    };
    let required = |keys: &[&str], problems: &mut Problems| -> Option<String> {
        let value = text(keys, problems);
        if value.is_none() {
            problems.add("LOOKERS", format!("entry {number} is missing \"{}\"", keys[0]));
        }
        value
    };
    let url = required(&["url"], problems);
    let api = required(&["apiBaseUrl"], problems);
    let client_id = required(&["clientId", "clientID"], problems);
    let client_secret = required(&["clientSecret"], problems);
    let field_url = |key: &str, value: Option<String>, problems: &mut Problems| {
        let value = value?;
        let mut local = Problems::default();
        let url = parse_url(key, &value, &mut local);
        for p in local.0 {
            problems.add("LOOKERS", format!("entry {number}: \"{key}\" {}", p.message));
        }
        url
    };
    let url = field_url("url", url, problems);
    let api = field_url("apiBaseUrl", api, problems);
    let identity = match text(&["identity"], problems) {
        None => identity,
        Some(value) => Identity::parse(&value).unwrap_or_else(|| {
            problems.add(
                "LOOKERS",
                format!("entry {number}: \"identity\" {value:?} {}", identity_choices()),
            );
            identity
        }),
    };
    Some(LookerInstance {
        url: url?,
        api_base_url: api?,
        client_id: client_id?,
        client_secret: Secret::new(client_secret?),
        custom_command_folder_id: text(&["customCommandFolderId", "customCommandSpaceId"], problems),
        webhook_token: text(&["webhookToken"], problems).map(Secret::new),
        ca_bundle: text(&["caBundle"], problems).map(PathBuf::from),
        verify_tls,
        identity,
    })
}
