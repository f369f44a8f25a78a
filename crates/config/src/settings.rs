//! The whole configuration, read and checked in one place.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::env::Environment;
use crate::error::{ConfigError, Problems};
use crate::lookers::{self, LookerInstance};
use crate::network::ProxySettings;
use crate::secret::Secret;

/// How the bot receives Slack traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlackMode {
    /// Socket Mode over a WebSocket, with an app-level token: no public URL needed.
    Socket,
    /// The Events API over HTTP, verified with the signing secret.
    Events,
    /// The classic RTM API, for bots that bring their old classic app token.
    Rtm,
}

impl SlackMode {
    pub fn name(self) -> &'static str {
        match self {
            SlackMode::Socket => "socket",
            SlackMode::Events => "events",
            SlackMode::Rtm => "rtm",
        }
    }
}

/// Everything about Slack.
#[derive(Debug, Clone)]
pub struct SlackSettings {
    /// The bot token; `None` only for verbs that run without Slack.
    pub bot_token: Option<Secret>,
    pub app_token: Option<Secret>,
    pub signing_secret: Option<Secret>,
    pub verification_token: Option<Secret>,
    /// `None` when no Slack token is configured at all.
    pub mode: Option<SlackMode>,
    pub api_url: Url,
    pub allow_guests: bool,
    pub allow_shared_workspaces: bool,
    pub expand_urls: bool,
}

impl SlackSettings {
    /// Whether requests from Slack's interactivity can be verified (buttons are only offered then).
    pub fn can_verify_requests(&self) -> bool {
        self.signing_secret.is_some() || self.verification_token.is_some()
    }
}

/// Where chart images go when not uploaded into Slack, in the seed README's order of precedence: Amazon S3
/// (`SLACKBOT_S3_BUCKET`), then Azure Storage (`AZURE_STORAGE_ACCOUNT`), then Google Cloud Storage
/// (`GOOGLE_CLOUD_BUCKET`). The `images` crate builds its store from this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageStoreSettings {
    /// Without keys the store uses the instance's role.
    S3 {
        bucket: String,
        region: String,
        access_key_id: Option<String>,
        secret_access_key: Option<Secret>,
        /// An S3-compatible endpoint (MinIO, moto, ...): requests and URLs then use path style.
        endpoint: Option<String>,
    },
    Azure {
        account: String,
        container: String,
        access_key: Secret,
        /// The account's blob service URL, replacing `https://{account}.blob.core.windows.net`. For Azurite this
        /// includes the account: `http://127.0.0.1:10000/devstoreaccount1`.
        endpoint: Option<String>,
    },
    /// Without credentials the store asks the Compute Engine metadata server.
    Gcs {
        bucket: String,
        /// Kept for parity with the original; object writes do not need it (the bucket names the project).
        project: Option<String>,
        /// The content of a service-account key file.
        credentials_json: Option<Secret>,
        /// Replaces `https://storage.googleapis.com` for requests and image URLs.
        endpoint: Option<String>,
    },
}

/// lookerbot's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub lookers: Vec<LookerInstance>,
    pub slack: SlackSettings,
    pub port: u16,
    pub loading_messages: bool,
    pub data_actions_in_messages: bool,
    pub auth_token: Option<Secret>,
    pub public_url: Option<Url>,
    pub data_dir: PathBuf,
    /// `LOOKERBOT_DELIVERY_LEASE_SECS`: how long a delivery in progress stays reserved. The workers renew it while
    /// they work, so it only bounds how long a delivery interrupted by a crash waits before it is retried.
    pub delivery_lease: Duration,
    /// `LOOKERBOT_QUEUE_CAPACITY`: most deliveries waiting at once, so a flood fills no disk.
    pub queue_capacity: usize,
    /// `LOOKERBOT_DATABASE_URL`: a PostgreSQL database that several replicas share for the queue and the event
    /// dedupe; without it they live in a SQLite file in `data_dir`. A secret: the URL usually holds a password.
    pub database_url: Option<Secret>,
    pub image_store: Option<ImageStoreSettings>,
    pub image_width: u32,
    pub image_height: u32,
    /// True when certificate checks are turned off (`NODE_TLS_REJECT_UNAUTHORIZED=0`, `LOOKERSDK_VERIFY_SSL=false`).
    pub tls_insecure: bool,
    /// True when the Lookers come from `LOOKERS`, so advice names its keys rather than the single-instance variables.
    pub lookers_from_json: bool,
    /// `LOOKERSDK_TIMEOUT`: how long an ordinary Looker call may take (queries get at least this too).
    pub looker_timeout: Option<Duration>,
    /// `LOOKERBOT_STATUS_TOKEN`: turns on the status page at `/status`, for whoever knows it.
    pub status_token: Option<Secret>,
    /// `LOG_FORMAT`: plain text or one JSON object per line.
    pub log_format: LogFormat,
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`: the proxies every outbound connection goes through.
    pub proxy: ProxySettings,
    /// `LOOKERBOT_IDENTITY_FALLBACK_CHANNELS`: with identity `user`, channel ids where a
    /// Slack user without a usable Looker account is answered as the service user; everywhere else they are
    /// refused.
    pub identity_fallback_channels: Vec<String>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines, coloured only on a terminal.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl LogFormat {
    /// `LOG_FORMAT` from `env`: `text` (the default) or `json`.
    pub fn from_env(env: &Environment) -> Result<LogFormat, String> {
        match env.get("LOG_FORMAT").map(str::to_ascii_lowercase).as_deref() {
            None | Some("text") | Some("plain") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(_) => Err(format!(
                "must be text or json, not {:?}",
                env.get("LOG_FORMAT").unwrap_or_default()
            )),
        }
    }
}

/// What a verb needs, so that e.g. `manifest` runs without Looker credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    pub looker: bool,
    pub slack: bool,
}

impl Needs {
    pub const SERVER: Needs = Needs {
        looker: true,
        slack: true,
    };
    pub const LOOKER_ONLY: Needs = Needs {
        looker: true,
        slack: false,
    };
    pub const NOTHING: Needs = Needs {
        looker: false,
        slack: false,
    };
}

/// The bot token's names: the original Lookerbot's, then Bolt's.
pub const BOT_TOKEN_VARS: &[&str] = &["SLACK_API_KEY", "SLACK_BOT_TOKEN"];

const DEFAULT_SLACK_API_URL: &str = "https://slack.com/api/";

impl Config {
    /// Reads and checks every variable; all problems are reported together.
    pub fn from_env(env: &Environment, needs: Needs) -> Result<Config, ConfigError> {
        let mut problems = Problems::default();
        let tls_insecure = read_tls_insecure(env, &mut problems);
        let lookers = lookers::read(env, !tls_insecure, needs.looker, &mut problems);
        let slack = read_slack(env, needs.slack, &mut problems);
        let port = match env.get("PORT") {
            None => 3333,
            Some(value) => value.parse::<u16>().ok().filter(|p| *p > 0).unwrap_or_else(|| {
                problems.add("PORT", format!("must be a port number from 1 to 65535, not {value:?}"));
                3333
            }),
        };
        let image_width = read_pixels(env, "LOOKERBOT_IMAGE_WIDTH", 1200, &mut problems);
        let image_height = read_pixels(env, "LOOKERBOT_IMAGE_HEIGHT", 800, &mut problems);
        let public_url = env
            .get("LOOKERBOT_PUBLIC_URL")
            .and_then(|value| match Url::parse(value) {
                Ok(url) => Some(url),
                Err(e) => {
                    problems.add("LOOKERBOT_PUBLIC_URL", format!("{value:?} is not a URL ({e})"));
                    None
                }
            });
        let log_format = LogFormat::from_env(env).unwrap_or_else(|message| {
            problems.add("LOG_FORMAT", message);
            LogFormat::Text
        });
        let config = Config {
            lookers_from_json: env.get("LOOKERS").is_some(),
            looker_timeout: read_looker_timeout(env, &mut problems),
            status_token: env.secret("LOOKERBOT_STATUS_TOKEN"),
            log_format,
            lookers,
            slack,
            port,
            loading_messages: env.flag("LOOKER_SLACKBOT_LOADING_MESSAGES", true, &mut problems),
            data_actions_in_messages: env.flag("LOOKERBOT_DATA_ACTIONS_IN_MESSAGES", true, &mut problems),
            auth_token: env.secret("LOOKERBOT_AUTH_TOKEN"),
            public_url,
            data_dir: env
                .get("LOOKERBOT_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| "lookerbot-data".into()),
            delivery_lease: read_delivery_lease(env, &mut problems),
            queue_capacity: read_queue_capacity(env, &mut problems),
            database_url: read_database_url(env, &mut problems),
            image_store: read_image_store(env, &mut problems),
            image_width,
            image_height,
            tls_insecure,
            proxy: crate::network::read(env, &mut problems),
            identity_fallback_channels: env
                .get("LOOKERBOT_IDENTITY_FALLBACK_CHANNELS")
                .map(|list| {
                    list.split(',')
                        .map(|c| c.trim().to_owned())
                        .filter(|c| !c.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        };
        if problems.0.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError { problems: problems.0 })
        }
    }
}

fn read_tls_insecure(env: &Environment, problems: &mut Problems) -> bool {
    let node = match env.get("NODE_TLS_REJECT_UNAUTHORIZED") {
        None => false,
        Some("0") => true,
        Some("1") => false,
        Some(other) => {
            problems.add("NODE_TLS_REJECT_UNAUTHORIZED", format!("must be 0 or 1, not {other:?}"));
            false
        }
    };
    let sdk = !env.flag("LOOKERSDK_VERIFY_SSL", true, problems);
    node || sdk
}

/// Default of `LOOKERBOT_DELIVERY_LEASE_SECS`.
pub const DEFAULT_DELIVERY_LEASE: Duration = Duration::from_secs(30);

fn read_delivery_lease(env: &Environment, problems: &mut Problems) -> Duration {
    const NAME: &str = "LOOKERBOT_DELIVERY_LEASE_SECS";
    match env.get(NAME) {
        None => DEFAULT_DELIVERY_LEASE,
        Some(value) => match value.parse::<u64>() {
            Ok(secs) if (1..=3600).contains(&secs) => Duration::from_secs(secs),
            _ => {
                problems.add(
                    NAME,
                    format!("must be a number of seconds from 1 to 3600, not {value:?}"),
                );
                DEFAULT_DELIVERY_LEASE
            }
        },
    }
}

/// `LOOKERSDK_TIMEOUT`, in seconds as the Looker SDKs read it.
fn read_looker_timeout(env: &Environment, problems: &mut Problems) -> Option<Duration> {
    const NAME: &str = "LOOKERSDK_TIMEOUT";
    let value = env.get(NAME)?;
    match value.parse::<u64>() {
        Ok(secs) if (1..=3600).contains(&secs) => Some(Duration::from_secs(secs)),
        _ => {
            problems.add(
                NAME,
                format!("must be a number of seconds from 1 to 3600, not {value:?}"),
            );
            None
        }
    }
}

/// Default of `LOOKERBOT_QUEUE_CAPACITY`.
pub const DEFAULT_QUEUE_CAPACITY: usize = 10000;

const MAX_QUEUE_CAPACITY: usize = 1000000;

fn read_queue_capacity(env: &Environment, problems: &mut Problems) -> usize {
    const NAME: &str = "LOOKERBOT_QUEUE_CAPACITY";
    match env.get(NAME) {
        None => DEFAULT_QUEUE_CAPACITY,
        Some(value) => match value.parse::<usize>() {
            Ok(n) if (1..=MAX_QUEUE_CAPACITY).contains(&n) => n,
            _ => {
                problems.add(
                    NAME,
                    format!("must be a number of deliveries from 1 to 1000000, not {value:?}"),
                );
                DEFAULT_QUEUE_CAPACITY
            }
        },
    }
}

fn read_database_url(env: &Environment, problems: &mut Problems) -> Option<Secret> {
    const NAME: &str = "LOOKERBOT_DATABASE_URL";
    let url = env.secret(NAME)?;
    let scheme_ok = ["postgres://", "postgresql://"]
        .iter()
        .any(|scheme| url.expose().starts_with(scheme));
    if !scheme_ok {
        // The value is not repeated: it may hold a password.
        problems.add(
            NAME,
            "must be a PostgreSQL URL such as postgres://user:password@host:5432/lookerbot (leave it unset to \
             keep the queue in a SQLite file)",
        );
        return None;
    }
    Some(url)
}

fn read_pixels(env: &Environment, name: &str, default: u32, problems: &mut Problems) -> u32 {
    match env.get(name) {
        None => default,
        Some(value) => match value.parse::<u32>() {
            Ok(px) if (100..=8000).contains(&px) => px,
            _ => {
                problems.add(
                    name,
                    format!("must be a number of pixels from 100 to 8000, not {value:?}"),
                );
                default
            }
        },
    }
}

fn read_slack(env: &Environment, required: bool, problems: &mut Problems) -> SlackSettings {
    // Bolt's name for the bot token is accepted too; the original's name wins when both are set.
    let bot_token = env.first_of(BOT_TOKEN_VARS).map(|(_, token)| Secret::new(token));
    let app_token = env.secret("SLACK_APP_TOKEN");
    let signing_secret = env.secret("SLACK_SIGNING_SECRET");
    if let Some(token) = &app_token
        && !token.expose().starts_with("xapp-")
    {
        problems.add(
            "SLACK_APP_TOKEN",
            "must be an app-level token starting with xapp- (Basic Information > App-Level Tokens)",
        );
    }
    if let Some(token) = &bot_token
        && token.expose().starts_with("xapp-")
    {
        problems.add("SLACK_API_KEY", "holds an app-level token (xapp-); put the Bot User OAuth token (xoxb-) here and the xapp- token in SLACK_APP_TOKEN");
    }
    let chosen = match env.get("SLACK_MODE") {
        Some(value) => match value.to_ascii_lowercase().as_str() {
            "socket" => Some(SlackMode::Socket),
            "events" | "http" => Some(SlackMode::Events),
            "rtm" => Some(SlackMode::Rtm),
            _ => {
                problems.add("SLACK_MODE", format!("must be socket, events or rtm, not {value:?}"));
                None
            }
        },
        None if app_token.is_some() => Some(SlackMode::Socket),
        None if signing_secret.is_some() => Some(SlackMode::Events),
        None if bot_token.is_some() => Some(SlackMode::Rtm),
        None => None,
    };
    if required && bot_token.is_none() {
        problems.add("SLACK_API_KEY", "is missing: set it (or SLACK_BOT_TOKEN) to the Bot User OAuth token (xoxb-...) from your Slack app's \"OAuth & Permissions\" page");
    }
    match chosen {
        Some(SlackMode::Socket) if app_token.is_none() => problems.add(
            "SLACK_APP_TOKEN",
            "is missing: Socket Mode needs an app-level token (xapp-...) with the connections:write scope",
        ),
        Some(SlackMode::Events) if signing_secret.is_none() => problems.add(
            "SLACK_SIGNING_SECRET",
            "is missing: the Events API mode needs the signing secret from your app's \"Basic Information\" page",
        ),
        _ => {}
    }
    let api_url = match env.get("SLACK_API_URL") {
        None => Url::parse(DEFAULT_SLACK_API_URL).expect("default Slack URL is valid"),
        Some(value) => match Url::parse(value) {
            Ok(mut url) => {
                if !url.path().ends_with('/') {
                    let path = format!("{}/", url.path());
                    url.set_path(&path);
                }
                url
            }
            Err(e) => {
                problems.add("SLACK_API_URL", format!("{value:?} is not a URL ({e})"));
                Url::parse(DEFAULT_SLACK_API_URL).expect("default Slack URL is valid")
            }
        },
    };
    SlackSettings {
        bot_token,
        app_token,
        signing_secret,
        verification_token: env.secret("SLACK_SLASH_COMMAND_TOKEN"),
        mode: chosen,
        api_url,
        allow_guests: env.flag("ALLOW_SLACK_GUEST_USERS", false, problems),
        allow_shared_workspaces: env.flag("ALLOW_SLACK_SHARED_WORKSPACES", false, problems),
        expand_urls: env.flag("LOOKER_SLACKBOT_EXPAND_URLS", false, problems),
    }
}

fn read_image_store(env: &Environment, problems: &mut Problems) -> Option<ImageStoreSettings> {
    if let Some(bucket) = env.get("SLACKBOT_S3_BUCKET") {
        let access_key_id = env.get("AWS_ACCESS_KEY_ID").map(str::to_string);
        let secret_access_key = env.secret("AWS_SECRET_ACCESS_KEY");
        if access_key_id.is_some() != secret_access_key.is_some() {
            let missing = if access_key_id.is_none() {
                "AWS_ACCESS_KEY_ID"
            } else {
                "AWS_SECRET_ACCESS_KEY"
            };
            problems.add(
                missing,
                "is missing: S3 needs both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            );
        }
        return Some(ImageStoreSettings::S3 {
            bucket: bucket.to_string(),
            region: env.get("SLACKBOT_S3_BUCKET_REGION").unwrap_or("us-east-1").to_string(),
            access_key_id,
            secret_access_key,
            endpoint: env.get("SLACKBOT_S3_ENDPOINT").map(str::to_string),
        });
    }
    if let Some(account) = env.get("AZURE_STORAGE_ACCOUNT") {
        let container = env.get("SLACKBOT_AZURE_CONTAINER");
        let key = env.secret("AZURE_STORAGE_ACCESS_KEY");
        if container.is_none() {
            problems.add(
                "SLACKBOT_AZURE_CONTAINER",
                "is missing: name the container for chart images",
            );
        }
        if key.is_none() {
            problems.add(
                "AZURE_STORAGE_ACCESS_KEY",
                "is missing: give an access key of the storage account",
            );
        }
        return Some(ImageStoreSettings::Azure {
            account: account.to_string(),
            container: container?.to_string(),
            access_key: key?,
            endpoint: env.get("AZURE_STORAGE_ENDPOINT").map(str::to_string),
        });
    }
    if let Some(bucket) = env.get("GOOGLE_CLOUD_BUCKET") {
        let credentials_json = env.secret("GOOGLE_CLOUD_CREDENTIALS_JSON");
        if let Some(json) = &credentials_json
            && serde_json::from_str::<serde_json::Value>(json.expose()).is_err()
        {
            problems.add(
                "GOOGLE_CLOUD_CREDENTIALS_JSON",
                "is not valid JSON: paste the whole content of the service-account key file",
            );
        }
        return Some(ImageStoreSettings::Gcs {
            bucket: bucket.to_string(),
            project: env.get("GOOGLE_CLOUD_PROJECT").map(str::to_string),
            credentials_json,
            endpoint: env.get("GOOGLE_CLOUD_STORAGE_ENDPOINT").map(str::to_string),
        });
    }
    None
}
