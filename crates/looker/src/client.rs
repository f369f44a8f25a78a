//! Transport: version discovery, login, token refresh, the 401 retry, timeouts and error mapping.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use config::LookerInstance;
use net::CertificateDer;
use reqwest::{Method, Response, StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, OnceCell};
use url::Url;

use crate::breaker::Breaker;
use crate::error::LookerError;
use crate::journal::Journal;
use crate::models::{AccessToken, ApiVersion};
use crate::versions::{api_root, legacy_version};

/// How calls to Looker are made: timeouts, proxy and trust store.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// For ordinary calls (content, login, render task status).
    pub timeout: Duration,
    /// For running queries and fetching images, which take as long as the database does.
    pub query_timeout: Duration,
    /// Proxy and trust store (the system's, plus the instance's CA bundle).
    pub net: net::NetPolicy,
    /// How long calls fail at once after Looker looked down ([`crate::TRIP_AFTER`] failures in a row).
    pub breaker_open_for: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(30),
            query_timeout: Duration::from_secs(180),
            net: net::NetPolicy::default(),
            breaker_open_for: crate::OPEN_FOR,
        }
    }
}

/// The chat message a call serves. It reaches Looker only as hashes in the User-Agent (as the original did), so
/// that admins can tell callers apart in Looker's logs without Slack ids leaving the bot.
#[derive(Debug, Clone, Default)]
pub struct ChatContext {
    pub user_id: Option<String>,
    pub team_id: Option<String>,
    pub channel_id: Option<String>,
}

/// A Looker API 4.0 client for one instance. Cheap to clone; clones share the session.
#[derive(Clone)]
pub struct LookerClient {
    shared: Arc<Shared>,
    user_agent: Arc<str>,
    /// Where the calls of one request are noted, for its audit line.
    journal: Option<Journal>,
}

struct Shared {
    http: reqwest::Client,
    instance: LookerInstance,
    options: ClientOptions,
    api_url: OnceCell<Url>,
    session: Mutex<Option<Session>>,
    /// Shared by the clients acting as users: a Looker that is down is down for everyone.
    breaker: Arc<Breaker>,
    /// For a client acting as a Looker user: the admin session that logs in as them, and their id.
    acting_as: Option<(Weak<Shared>, String)>,
    /// The admin's clients acting as users, by user id, so that each user's token is reused until it expires.
    user_clients: std::sync::Mutex<HashMap<String, LookerClient>>,
    /// For a client acting as a Looker user: Looker refused to log in as them (disabled or deleted).
    gone: AtomicBool,
}

struct Session {
    token: String,
    refresh_at: Instant,
}

/// What a request carries.
pub(crate) enum Body {
    None,
    Json(Value),
}

/// Which timeout a call gets.
#[derive(Clone, Copy)]
pub(crate) enum Speed {
    Normal,
    Query,
}

impl std::fmt::Debug for LookerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LookerClient")
            .field("url", &self.shared.instance.url.as_str())
            .finish()
    }
}

impl LookerClient {
    pub fn new(instance: &LookerInstance, options: ClientOptions) -> Result<LookerClient, LookerError> {
        let extra_roots = match &instance.ca_bundle {
            Some(path) => read_ca_bundle(path)?,
            None => Vec::new(),
        };
        let mut builder = options.net.http_client_trusting(
            reqwest::Client::builder().connect_timeout(Duration::from_secs(10)),
            extra_roots,
        );
        if !instance.verify_tls {
            // reqwest's own TLS settings, which can be told to accept any certificate.
            builder = builder.tls_backend_rustls().tls_danger_accept_invalid_certs(true);
        }
        let http = builder.build().map_err(|e| LookerError::Setup(e.to_string()))?;
        Ok(LookerClient {
            shared: Arc::new(Shared {
                http,
                instance: instance.clone(),
                options: options.clone(),
                api_url: OnceCell::new(),
                session: Mutex::new(None),
                breaker: Arc::new(Breaker::new(options.breaker_open_for)),
                acting_as: None,
                user_clients: std::sync::Mutex::new(HashMap::new()),
                gone: AtomicBool::new(false),
            }),
            user_agent: Arc::from(base_user_agent()),
            journal: None,
        })
    }

    /// This instance's configuration.
    pub fn instance(&self) -> &LookerInstance {
        &self.shared.instance
    }

    /// The web URL people open (`https://mycompany.looker.com/`).
    pub fn web_url(&self) -> &Url {
        &self.shared.instance.url
    }

    /// A client whose calls say, in the User-Agent, which chat message they serve (hashed ids).
    pub fn for_chat(&self, context: &ChatContext) -> LookerClient {
        let mut agent = base_user_agent();
        let parts: Vec<String> = [
            ("user", &context.user_id),
            ("team", &context.team_id),
            ("channel", &context.channel_id),
        ]
        .into_iter()
        .filter_map(|(name, id)| id.as_ref().map(|id| format!("{name}:{}", short_hash(id))))
        .collect();
        if !parts.is_empty() {
            agent.push_str(&format!(" (slack {})", parts.join("; ")));
        }
        LookerClient {
            shared: self.shared.clone(),
            user_agent: Arc::from(agent),
            journal: self.journal.clone(),
        }
    }

    /// A client that notes what it runs in `journal` (see [`Journal`]).
    pub fn with_journal(&self, journal: &Journal) -> LookerClient {
        LookerClient {
            journal: Some(journal.clone()),
            ..self.clone()
        }
    }

    /// A client acting as the Looker user `user_id`: its token comes from the admin's `POST /login/{user_id}`
    /// (this client's credentials must be an admin's), is kept until it expires and renewed as the service
    /// token is. The same user gets the same client (and session) back, until Looker refuses to log in as them
    /// ([`LookerClient::is_gone`]): then a new one, which asks Looker again.
    pub async fn as_user(&self, user_id: &str) -> Result<LookerClient, LookerError> {
        let api_url = self.api_url().await?.clone();
        let mut clients = self
            .shared
            .user_clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        clients.retain(|_, client| !client.is_gone());
        let client = clients.entry(user_id.to_owned()).or_insert_with(|| LookerClient {
            shared: Arc::new(Shared {
                http: self.shared.http.clone(),
                instance: self.shared.instance.clone(),
                options: self.shared.options.clone(),
                api_url: OnceCell::new_with(Some(api_url)),
                session: Mutex::new(None),
                breaker: Arc::clone(&self.shared.breaker),
                acting_as: Some((Arc::downgrade(&self.shared), user_id.to_owned())),
                user_clients: std::sync::Mutex::new(HashMap::new()),
                gone: AtomicBool::new(false),
            }),
            user_agent: Arc::from(base_user_agent()),
            journal: None,
        });
        Ok(LookerClient {
            shared: client.shared.clone(),
            user_agent: self.user_agent.clone(),
            journal: self.journal.clone(),
        })
    }

    /// Whether Looker refused to log in as the user this client acts as (disabled or deleted since it was made).
    pub fn is_gone(&self) -> bool {
        self.shared.gone.load(Ordering::Relaxed)
    }

    /// The Looker user id this client acts as, when it is not the configured API user.
    pub fn acting_user_id(&self) -> Option<&str> {
        self.shared.acting_as.as_ref().map(|(_, id)| id.as_str())
    }

    /// The API 4.0 base URL, discovered once through the unauthenticated `GET /versions`.
    pub async fn api_url(&self) -> Result<&Url, LookerError> {
        self.shared.api_url.get_or_try_init(|| self.discover()).await
    }

    /// `GET /versions` at the API root.
    pub async fn versions(&self) -> Result<ApiVersion, LookerError> {
        let root = api_root(&self.shared.instance.api_base_url);
        let url = root.join("versions").map_err(|e| LookerError::Setup(e.to_string()))?;
        let response = self
            .shared
            .http
            .get(url.clone())
            .header(header::USER_AGENT, &*self.user_agent)
            .timeout(self.shared.options.timeout)
            .send()
            .await
            .map_err(|e| transport_error("versions", &url, self.shared.options.timeout, e))?;
        read_json("versions", response).await
    }

    async fn discover(&self) -> Result<Url, LookerError> {
        let configured = &self.shared.instance.api_base_url;
        let versions = self.versions().await?;
        if !versions.supported_versions.iter().any(|v| v.version == "4.0") {
            let offered: Vec<&str> = versions.supported_versions.iter().map(|v| v.version.as_str()).collect();
            return Err(LookerError::NoApi40 {
                url: configured.to_string(),
                offered: if offered.is_empty() {
                    "no version".into()
                } else {
                    offered.join(", ")
                },
            });
        }
        let api = api_root(configured)
            .join("api/4.0/")
            .map_err(|e| LookerError::Setup(e.to_string()))?;
        if let Some(old) = legacy_version(configured) {
            tracing::warn!(
                configured = %configured, using = %api,
                "the configured Looker API URL names API {old}, which current Looker no longer serves; using API 4.0"
            );
        }
        Ok(api)
    }

    /// Logs in now (used by `check` and at start-up); later calls reuse the session.
    pub async fn login(&self) -> Result<(), LookerError> {
        self.token(true).await.map(|_| ())
    }

    /// Ends the session (`DELETE /logout`).
    pub async fn logout(&self) -> Result<(), LookerError> {
        let had_session = self.shared.session.lock().await.is_some();
        if had_session {
            self.call("logout", Method::DELETE, "logout", &[], Body::None, Speed::Normal)
                .await?;
            *self.shared.session.lock().await = None;
        }
        Ok(())
    }

    /// A valid token: the current one unless it is about to expire, or a fresh login when `renew` is set.
    async fn token(&self, renew: bool) -> Result<String, LookerError> {
        let mut session = self.shared.session.lock().await;
        if !renew
            && let Some(current) = session.as_ref()
            && Instant::now() < current.refresh_at
        {
            return Ok(current.token.clone());
        }
        let fresh = self.request_token().await?;
        let token = fresh.token.clone();
        *session = Some(fresh);
        Ok(token)
    }

    async fn request_token(&self) -> Result<Session, LookerError> {
        let started = Instant::now();
        let token = match &self.shared.acting_as {
            Some((admin, user_id)) => self.request_user_token(admin, user_id).await?,
            None => self.request_service_token().await?,
        };
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(3600));
        // Renew a little before Looker would refuse the token, so that no call is made with a dying one.
        let margin = (lifetime / 10).min(Duration::from_secs(60));
        tracing::debug!(looker = %self.shared.instance.url, expires_in = lifetime.as_secs(), "logged in to Looker");
        Ok(Session {
            token: token.access_token,
            refresh_at: started + lifetime - margin,
        })
    }

    /// `POST /login/{user_id}` with the admin session.
    async fn request_user_token(&self, admin: &Weak<Shared>, user_id: &str) -> Result<AccessToken, LookerError> {
        let admin = LookerClient {
            shared: admin
                .upgrade()
                .ok_or_else(|| LookerError::Setup("the admin Looker client is gone".into()))?,
            user_agent: self.user_agent.clone(),
            journal: None,
        };
        let path = format!("login/{}", crate::ops::seg(user_id));
        // Boxed: the admin's call may itself log in, through this same function's caller.
        let call = Box::pin(admin.call("login_user", Method::POST, &path, &[], Body::None, Speed::Normal));
        match call.await {
            Ok(response) => read_json("login_user", response).await,
            // Looker refuses to log in as a disabled user (403) and does not know a deleted one (404).
            Err(LookerError::Api { status: 403 | 404, .. }) => {
                self.shared.gone.store(true, Ordering::Relaxed);
                Err(LookerError::UserGone {
                    user_id: user_id.to_owned(),
                })
            }
            Err(e) => Err(e),
        }
    }

    async fn request_service_token(&self) -> Result<AccessToken, LookerError> {
        let url = self
            .api_url()
            .await?
            .join("login")
            .map_err(|e| LookerError::Setup(e.to_string()))?;
        let instance = &self.shared.instance;
        let form = [
            ("client_id", instance.client_id.as_str()),
            ("client_secret", instance.client_secret.expose()),
        ];
        let response = self
            .shared
            .http
            .post(url.clone())
            .header(header::USER_AGENT, &*self.user_agent)
            .form(&form)
            .timeout(self.shared.options.timeout)
            .send()
            .await
            .map_err(|e| transport_error("login", &url, self.shared.options.timeout, e))?;
        if matches!(
            response.status(),
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED
        ) {
            let message = error_message(response).await.0;
            return Err(LookerError::Login { message });
        }
        read_json("login", response).await
    }

    /// How long calls to this Looker still fail at once because it looked down (its circuit breaker is open).
    pub fn down_for(&self) -> Option<Duration> {
        self.shared.breaker.open_for()
    }

    /// One API call with the session token, through the circuit breaker (failed at once while Looker looks
    /// down); a 401 means the session ended early, so it logs in again and retries once.
    pub(crate) async fn call(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        speed: Speed,
    ) -> Result<Response, LookerError> {
        if let Err(wait) = self.shared.breaker.admit() {
            return Err(LookerError::Down {
                url: self.shared.instance.url.to_string(),
                seconds: wait.as_secs().max(1),
            });
        }
        let started = Instant::now();
        let result = self.call_timed(operation, method, path, query, body, speed).await;
        crate::observe::call_finished(operation, started.elapsed(), &result);
        self.shared.breaker.record(&result);
        if let Some(journal) = &self.journal {
            journal.record(operation, path, &result);
        }
        result
    }

    async fn call_timed(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        speed: Speed,
    ) -> Result<Response, LookerError> {
        let url = self
            .api_url()
            .await?
            .join(path)
            .map_err(|e| LookerError::Setup(e.to_string()))?;
        let timeout = match speed {
            Speed::Normal => self.shared.options.timeout,
            Speed::Query => self.shared.options.query_timeout,
        };
        let mut renew = false;
        loop {
            let token = self.token(renew).await?;
            let mut request = self
                .shared
                .http
                .request(method.clone(), url.clone())
                .header(header::AUTHORIZATION, format!("token {token}"))
                .header(header::USER_AGENT, &*self.user_agent)
                .timeout(timeout);
            if !query.is_empty() {
                request = request.query(query);
            }
            if let Body::Json(value) = &body {
                request = request.json(value);
            }
            let response = request
                .send()
                .await
                .map_err(|e| transport_error(operation, &url, timeout, e))?;
            if response.status() == StatusCode::UNAUTHORIZED && !renew {
                tracing::info!(operation, "Looker answered 401; logging in again and retrying once");
                renew = true;
                continue;
            }
            if !response.status().is_success() {
                let status = response.status().as_u16();
                let answered_at = response.url().clone();
                let html = is_html(&response);
                let (message, details) = error_message(response).await;
                if html || looks_like_html(message.as_bytes()) {
                    return Err(not_looker(operation, &answered_at, status));
                }
                if let (Some((_, user_id)), 403 | 404) = (&self.shared.acting_as, status) {
                    return Err(LookerError::NoAccess {
                        operation,
                        status,
                        message,
                        user_id: user_id.clone(),
                    });
                }
                return Err(LookerError::Api {
                    operation,
                    status,
                    message,
                    details,
                });
            }
            return Ok(response);
        }
    }

    /// [`LookerClient::call`] and decode the JSON answer.
    pub(crate) async fn call_json<T: DeserializeOwned + Send + 'static>(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        speed: Speed,
    ) -> Result<T, LookerError> {
        let response = self.call(operation, method, path, query, body, speed).await?;
        read_json(operation, response).await
    }
}

fn base_user_agent() -> String {
    format!("lookerbot/{}", env!("CARGO_PKG_VERSION"))
}

fn short_hash(id: &str) -> String {
    hex::encode(&Sha256::digest(id.as_bytes())[..8])
}

fn transport_error(operation: &'static str, url: &Url, timeout: Duration, e: reqwest::Error) -> LookerError {
    if e.is_timeout() {
        LookerError::Timeout {
            operation,
            seconds: timeout.as_secs(),
        }
    } else {
        let mut origin = url.clone();
        origin.set_path("");
        origin.set_query(None);
        LookerError::Unreachable {
            url: origin.to_string(),
            detail: root_cause(&e),
        }
    }
}

/// The innermost error's text: reqwest's own message ("error sending request") says little.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// Most bytes of a JSON answer the bot reads. A reply shows at most 100 rows and 20 columns, asked for with `limit`:
/// far below this. Past it the answer is refused, so that memory does not follow what Looker sends.
pub const MAX_JSON_ANSWER: usize = 8 * 1024 * 1024;
/// Most bytes of an image the bot reads (Slack shows far smaller ones).
pub const MAX_IMAGE_ANSWER: usize = 16 * 1024 * 1024;
/// JSON answers larger than this are parsed on a blocking thread, not on the async workers that serve requests.
const PARSE_INLINE_MAX: usize = 256 * 1024;

/// The body of `response`, read piece by piece and refused once it passes `max` bytes (or announces more).
pub(crate) async fn read_capped(
    operation: &'static str,
    mut response: Response,
    max: usize,
) -> Result<bytes::Bytes, LookerError> {
    let too_large = || LookerError::TooLarge {
        operation,
        megabytes: max / (1024 * 1024),
    };
    if response.content_length().is_some_and(|length| length > max as u64) {
        return Err(too_large());
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| LookerError::Decode {
        operation,
        detail: e.to_string(),
    })? {
        if body.len() + chunk.len() > max {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The certificates of a PEM bundle (`LOOKER_CA_BUNDLE`).
fn read_ca_bundle(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, LookerError> {
    let pem = std::fs::read(path)
        .map_err(|e| LookerError::Setup(format!("cannot read the CA bundle {}: {e}", path.display())))?;
    net::pem_certificates(&pem)
        .map_err(|e| LookerError::Setup(format!("{} is not a PEM CA bundle: {e}", path.display())))
}

pub(crate) async fn read_json<T: DeserializeOwned + Send + 'static>(
    operation: &'static str,
    response: Response,
) -> Result<T, LookerError> {
    let status = response.status().as_u16();
    let answered_at = response.url().clone();
    let html = is_html(&response);
    let bytes = read_capped(operation, response, MAX_JSON_ANSWER).await?;
    if html || looks_like_html(&bytes) {
        return Err(not_looker(operation, &answered_at, status));
    }
    if !(200..300).contains(&status) {
        let (message, details) = parse_error_body(&bytes);
        return Err(LookerError::Api {
            operation,
            status,
            message,
            details,
        });
    }
    let inline = bytes.len() <= PARSE_INLINE_MAX;
    let parse = move || {
        crate::models::from_json(&bytes).map_err(|e| LookerError::Decode {
            operation,
            detail: e.to_string(),
        })
    };
    if inline {
        return parse();
    }
    tokio::task::spawn_blocking(parse)
        .await
        .map_err(|e| LookerError::Decode {
            operation,
            detail: e.to_string(),
        })?
}

/// Looker's API answers JSON (or images); a web page means the URL is not Looker's API at all, and repeating the
/// page to the person would help nobody.
fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/html"))
}

fn looks_like_html(body: &[u8]) -> bool {
    let start: Vec<u8> = body
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(14)
        .map(u8::to_ascii_lowercase)
        .collect();
    start.starts_with(b"<!doctype html") || start.starts_with(b"<html")
}

fn not_looker(operation: &'static str, answered_at: &Url, status: u16) -> LookerError {
    let mut origin = answered_at.clone();
    origin.set_query(None);
    LookerError::NotLooker {
        operation,
        url: origin.to_string(),
        status,
    }
}

/// Looker's `Error` or `ValidationError` body: the message, and one line per validation error.
async fn error_message(response: Response) -> (String, Vec<String>) {
    let bytes = response.bytes().await.unwrap_or_default();
    parse_error_body(&bytes)
}

fn parse_error_body(bytes: &[u8]) -> (String, Vec<String>) {
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        let text = String::from_utf8_lossy(bytes).chars().take(200).collect::<String>();
        return (
            if text.trim().is_empty() {
                "no details".into()
            } else {
                text
            },
            Vec::new(),
        );
    };
    let message = value
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("no details")
        .to_string();
    let details = value
        .get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    let field = e.get("field").and_then(Value::as_str).unwrap_or("");
                    let text = e.get("message").and_then(Value::as_str).unwrap_or("invalid");
                    if field.is_empty() {
                        text.to_string()
                    } else {
                        format!("{field}: {text}")
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    (message, details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_agent_carries_hashed_chat_ids_only() {
        let instance = LookerInstance {
            url: Url::parse("https://me.looker.com").unwrap(),
            api_base_url: Url::parse("https://me.looker.com/api/4.0").unwrap(),
            client_id: "id".into(),
            client_secret: config::Secret::new("secret"),
            custom_command_folder_id: None,
            webhook_token: None,
            ca_bundle: None,
            verify_tls: true,
            identity: config::Identity::Service,
        };
        let client = LookerClient::new(&instance, ClientOptions::default()).unwrap();
        assert_eq!(&*client.user_agent, format!("lookerbot/{}", env!("CARGO_PKG_VERSION")));
        let chat = client.for_chat(&ChatContext {
            user_id: Some("U0ALICE".into()),
            team_id: Some("T0SIM".into()),
            channel_id: None,
        });
        assert!(chat.user_agent.contains(&format!("user:{}", short_hash("U0ALICE"))));
        assert!(chat.user_agent.contains("team:"));
        assert!(!chat.user_agent.contains("U0ALICE") && !chat.user_agent.contains("T0SIM"));
    }
}
