//! The Slack Web API client: one HTTP client, one retry and pacing policy, typed answers for the calls the bot
//! makes.
//!
//! Write methods (`chat.*`) are sent as JSON; everything else as a form, as Slack's read methods require. HTTP 429
//! is waited out (`Retry-After`, a bounded number of times); other failures come back as [`SlackError`] for the
//! caller (or the durable queue) to decide. Posts are paced per channel by [`crate::pace`].

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use crate::error::SlackError;
use crate::pace::{DEFAULT_BURST, Pacer};
use crate::render::kit::KitBlock;
use crate::secret::Secret;
use bot::sink::PostedMessage;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Slack's public API root.
pub const DEFAULT_API_URL: &str = "https://slack.com/api/";

/// How patient the client is.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Deadline of each HTTP request.
    pub timeout: Duration,
    /// Tries per call when Slack answers 429 (the first try included).
    pub max_attempts: u32,
    /// Time for one more post into a channel once its burst is spent (Slack allows about one message per second
    /// per channel, with short bursts); zero turns pacing off. See [`crate::pace`].
    pub post_interval: Duration,
    /// Posts into one channel that go at once before pacing starts.
    pub post_burst: u32,
    /// Longest `Retry-After` waited out; longer ones fail at once as [`SlackError::RateLimited`].
    pub max_retry_wait: Duration,
    /// Items asked for per page of a paginated list (Slack suggests at most 200).
    pub page_size: u32,
    /// Proxy and trust store, for the Web API and the Socket Mode and RTM WebSockets alike.
    pub net: net::NetPolicy,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            timeout: Duration::from_secs(15),
            max_attempts: 4,
            post_interval: Duration::from_secs(1),
            post_burst: DEFAULT_BURST,
            max_retry_wait: Duration::from_secs(60),
            page_size: 200,
            net: net::NetPolicy::default(),
        }
    }
}

/// The Web API client. Cheap to clone: clones share the HTTP connection pool and the per-channel pacing.
#[derive(Clone)]
pub struct SlackWeb {
    http: reqwest::Client,
    api_url: Arc<str>,
    token: Secret,
    config: Arc<WebConfig>,
    pacer: Arc<Pacer>,
}

impl std::fmt::Debug for SlackWeb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackWeb")
            .field("api_url", &self.api_url)
            .field("token", &self.token)
            .finish()
    }
}

/// Pages of history [`SlackWeb::find_marked_message`] reads at most (with the default page size, 2,000 messages).
pub const MAX_HISTORY_PAGES: usize = 10;

/// What [`SlackWeb::find_marked_message`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkSearch {
    /// The marked message, by its `ts`.
    Found { ts: String },
    /// No message since then carries the mark.
    Absent,
    /// More messages since then than [`MAX_HISTORY_PAGES`] pages hold: not all were looked at.
    TooMany,
}

/// How walking a paginated method's pages ended.
enum Walk<T> {
    /// The visitor found what it looked for.
    Stopped(T),
    /// The last page was read.
    Ended,
    /// The page limit was reached first.
    OutOfPages,
}

/// A message to post or update.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MessageBody {
    pub channel: String,
    /// The notification and accessibility fallback; always set.
    pub text: String,
    /// Empty: Slack shows `text`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<KitBlock>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_ts: Option<String>,
}

/// Who the bot is, from `auth.test` and its `X-OAuth-Scopes` header.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthInfo {
    pub user_id: String,
    pub team_id: String,
    #[serde(default)]
    pub bot_id: Option<String>,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub team: String,
    /// The scopes the token was granted (empty when Slack did not send the header).
    #[serde(skip)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserProfile {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub real_name: String,
    /// Present only with the `users:read.email` scope; identity `user` matches it to a Looker user.
    #[serde(default)]
    pub email: Option<String>,
}

/// A Slack user, with the fields access control and name lookup need.
#[derive(Debug, Clone, Deserialize)]
pub struct SlackUser {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub is_bot: bool,
    #[serde(default)]
    pub is_restricted: bool,
    #[serde(default)]
    pub is_ultra_restricted: bool,
    #[serde(default)]
    pub is_app_user: Option<bool>,
    #[serde(default)]
    pub is_workflow_bot: Option<bool>,
    /// Set for people outside the workspace whom the bot can see through a shared channel.
    #[serde(default)]
    pub is_stranger: Option<bool>,
    /// Enterprise Grid: the org's workspaces the person belongs to (`team_id` is then the org).
    #[serde(default)]
    pub teams: Option<Vec<String>>,
    #[serde(default)]
    pub enterprise_user: Option<EnterpriseUser>,
    #[serde(default)]
    pub real_name: Option<String>,
    #[serde(default)]
    pub profile: UserProfile,
}

/// An Enterprise Grid member's org record in `users.info`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EnterpriseUser {
    #[serde(default)]
    pub teams: Option<Vec<String>>,
}

/// A conversation from `conversations.list`.
#[derive(Debug, Clone, Deserialize)]
pub struct SlackChannel {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub is_private: bool,
    #[serde(default)]
    pub is_member: bool,
    #[serde(default)]
    pub is_im: bool,
    #[serde(default)]
    pub is_archived: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TeamInfo {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub domain: String,
}

/// Where to upload a file's bytes, from `files.getUploadURLExternal`.
#[derive(Debug, Clone, Deserialize)]
pub struct UploadTicket {
    pub upload_url: String,
    pub file_id: String,
}

/// A file to share with `files.completeUploadExternal`.
#[derive(Debug, Clone)]
pub struct CompleteUpload {
    pub file_id: String,
    pub title: String,
    pub channel_id: String,
    pub thread_ts: Option<String>,
    pub initial_comment: Option<String>,
}

/// An RTM session from `rtm.connect`.
#[derive(Debug, Clone)]
pub struct RtmSession {
    pub url: String,
    pub self_id: Option<String>,
}

enum Body<'a> {
    Form(&'a [(&'a str, String)]),
    /// Serialized once, sent again as is after a 429.
    Json(bytes::Bytes),
}

/// A JSON body, written straight from `value` (no `Value` copy in between).
fn json_body(value: &impl Serialize) -> Body<'static> {
    Body::Json(serde_json::to_vec(value).expect("a Web API body serializes").into())
}

struct ApiAnswer<T = Value> {
    json: T,
    headers: HeaderMap,
}

/// How a Web API answer says whether the call worked: `ok`, and `error` (with `needed` for a missing scope) when not.
trait WebAnswer: DeserializeOwned {
    /// The error code and the scope needed, when `ok` is not true.
    fn refusal(&self) -> Option<(String, Option<String>)>;
}

impl WebAnswer for Value {
    fn refusal(&self) -> Option<(String, Option<String>)> {
        refusal(self["ok"].as_bool(), self["error"].as_str(), self["needed"].as_str())
    }
}

fn refusal(ok: Option<bool>, error: Option<&str>, needed: Option<&str>) -> Option<(String, Option<String>)> {
    (ok != Some(true)).then(|| (error.unwrap_or("unknown_error").to_string(), needed.map(str::to_string)))
}

/// What the bot reads of `chat.postMessage`'s answer. Read into this rather than a `Value`: the answer repeats the
/// whole message, and under load building it as a tree and copying the message into another took about 7 % of the
/// bot's CPU (`perf`, 100 webhook senders).
#[derive(Deserialize)]
struct PostAnswer {
    ok: Option<bool>,
    error: Option<String>,
    needed: Option<String>,
    ts: Option<String>,
    channel: Option<String>,
}

impl WebAnswer for PostAnswer {
    fn refusal(&self) -> Option<(String, Option<String>)> {
        refusal(self.ok, self.error.as_deref(), self.needed.as_deref())
    }
}

/// `chat.postMessage`'s arguments: the message, and metadata when the post carries a delivery's mark.
#[derive(Serialize)]
struct PostArguments<'a> {
    #[serde(flatten)]
    message: &'a MessageBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a Value>,
}

impl SlackWeb {
    /// A client for `api_url` (normally [`DEFAULT_API_URL`]; the simulator's in tests) with the bot token.
    pub fn new(api_url: &str, bot_token: Secret) -> Result<Self, SlackError> {
        Self::with_config(api_url, bot_token, WebConfig::default())
    }

    pub fn with_config(api_url: &str, bot_token: Secret, config: WebConfig) -> Result<Self, SlackError> {
        let builder = reqwest::Client::builder().user_agent(concat!("lookerbot/", env!("CARGO_PKG_VERSION")));
        let http = config
            .net
            .http_client(builder)
            .build()
            .map_err(|e| SlackError::Invalid(format!("cannot build the HTTP client: {e}")))?;
        let api_url = if api_url.ends_with('/') {
            api_url.to_string()
        } else {
            format!("{api_url}/")
        };
        let pacer = Arc::new(Pacer::new(config.post_interval, config.post_burst));
        Ok(SlackWeb {
            http,
            api_url: api_url.into(),
            token: bot_token,
            config: Arc::new(config),
            pacer,
        })
    }

    /// The same client with each channel's posting budget kept in `store`, shared with every replica that uses it
    /// ([`crate::pace`]). Clones made before do not share it.
    pub fn with_shared_pace(self, store: Arc<dyn queue::SharedPace>) -> SlackWeb {
        let pacer = Arc::new(Pacer::shared(self.config.post_interval, self.config.post_burst, store));
        SlackWeb { pacer, ..self }
    }

    /// The same client acting with another token (the app-level token for Socket Mode).
    pub fn with_token(&self, token: Secret) -> SlackWeb {
        SlackWeb { token, ..self.clone() }
    }

    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    pub fn config(&self) -> &WebConfig {
        &self.config
    }

    /// `auth.test`: who the token belongs to and which scopes it has.
    pub async fn auth_test(&self) -> Result<AuthInfo, SlackError> {
        let answer = self.call("auth.test", Body::Form(&[])).await?;
        let mut info: AuthInfo = decode("auth.test", answer.json)?;
        info.scopes = answer
            .headers
            .get("x-oauth-scopes")
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok(info)
    }

    /// `chat.postMessage`, paced per channel ([`crate::pace`]).
    pub async fn post_message(&self, message: &MessageBody) -> Result<PostedMessage, SlackError> {
        self.post_message_with(message, None).await
    }

    /// [`SlackWeb::post_message`] with message metadata (`event_type` and `event_payload`), which
    /// [`SlackWeb::find_marked_message`] finds again.
    pub async fn post_marked_message(
        &self,
        message: &MessageBody,
        metadata: &Value,
    ) -> Result<PostedMessage, SlackError> {
        self.post_message_with(message, Some(metadata)).await
    }

    async fn post_message_with(
        &self,
        message: &MessageBody,
        metadata: Option<&Value>,
    ) -> Result<PostedMessage, SlackError> {
        self.pacer.wait_turn(&message.channel).await;
        let body = json_body(&PostArguments { message, metadata });
        let answer: PostAnswer = self.call_for("chat.postMessage", body).await?.json;
        let ts = answer
            .ts
            .ok_or_else(|| decode_error("chat.postMessage", "no ts in the answer"))?;
        Ok(PostedMessage {
            channel_id: answer.channel.unwrap_or_else(|| message.channel.clone()),
            message: ts,
            thread: message.thread_ts.clone(),
        })
    }

    /// Looks through `channel`'s messages younger than `oldest`, newest first (conversations.history with their
    /// metadata, page by page, at most [`MAX_HISTORY_PAGES`]), for one whose metadata is of `event_type` with
    /// `key` in its payload's `delivery` field.
    pub async fn find_marked_message(
        &self,
        channel: &str,
        event_type: &str,
        key: &str,
        oldest: std::time::SystemTime,
    ) -> Result<MarkSearch, SlackError> {
        let since = oldest.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let args = [
            ("channel", channel.to_owned()),
            ("oldest", format!("{}.{:06}", since.as_secs(), since.subsec_micros())),
            ("include_all_metadata", "true".to_owned()),
        ];
        let walk = self
            .walk_pages("conversations.history", &args, "messages", MAX_HISTORY_PAGES, |page| {
                page.iter()
                    .find(|message| {
                        let metadata = &message["metadata"];
                        metadata["event_type"] == event_type && metadata["event_payload"]["delivery"] == key
                    })
                    .map(|message| message["ts"].as_str().unwrap_or_default().to_owned())
            })
            .await?;
        Ok(match walk {
            Walk::Stopped(ts) => MarkSearch::Found { ts },
            Walk::Ended => MarkSearch::Absent,
            Walk::OutOfPages => MarkSearch::TooMany,
        })
    }

    /// `chat.postEphemeral`: visible to `user` only; returns the ephemeral message's ts. Not paced: Slack's
    /// one-message-per-second-per-channel limit is `chat.postMessage`'s; this method has its own (Tier 4).
    pub async fn post_ephemeral(&self, message: &MessageBody, user: &str) -> Result<String, SlackError> {
        let mut body = serde_json::to_value(message).expect("a message serializes");
        body["user"] = json!(user);
        let json = self.call("chat.postEphemeral", json_body(&body)).await?.json;
        Ok(json["message_ts"].as_str().unwrap_or_default().to_string())
    }

    /// `chat.update` of a message the bot posted. Not paced (its limit is Tier 3, per workspace): pacing it made
    /// every answer that replaces a loading message wait a second.
    pub async fn update_message(&self, ts: &str, message: &MessageBody) -> Result<(), SlackError> {
        let mut body = serde_json::to_value(message).expect("a message serializes");
        body["ts"] = json!(ts);
        if let Some(object) = body.as_object_mut() {
            object.remove("thread_ts");
        }
        self.call("chat.update", json_body(&body)).await.map(drop)
    }

    /// `chat.unfurl`: `unfurls` maps each shared URL to its attachment (`{"blocks": [...]}`).
    pub async fn unfurl(&self, channel: &str, ts: &str, unfurls: &Value) -> Result<(), SlackError> {
        let body = json!({ "channel": channel, "ts": ts, "unfurls": unfurls });
        self.call("chat.unfurl", json_body(&body)).await.map(drop)
    }

    /// `chat.unfurl` for links typed in the message composer (no message yet: `unfurl_id` + `source`).
    pub async fn unfurl_by_id(&self, unfurl_id: &str, source: &str, unfurls: &Value) -> Result<(), SlackError> {
        let body = json!({ "unfurl_id": unfurl_id, "source": source, "unfurls": unfurls });
        self.call("chat.unfurl", json_body(&body)).await.map(drop)
    }

    pub async fn users_info(&self, user: &str) -> Result<SlackUser, SlackError> {
        let json = self
            .call("users.info", Body::Form(&[("user", user.to_string())]))
            .await?
            .json;
        decode("users.info", json["user"].clone())
    }

    /// `users.list`, every page.
    pub async fn users_list(&self) -> Result<Vec<SlackUser>, SlackError> {
        let items = self.paginate("users.list", &[], "members").await?;
        items.into_iter().map(|u| decode("users.list", u)).collect()
    }

    /// `conversations.list`, every page; `types` like `"public_channel,private_channel"`.
    pub async fn conversations_list(&self, types: &str) -> Result<Vec<SlackChannel>, SlackError> {
        let args = [("types", types.to_string()), ("exclude_archived", "true".to_string())];
        let items = self.paginate("conversations.list", &args, "channels").await?;
        items.into_iter().map(|c| decode("conversations.list", c)).collect()
    }

    /// `conversations.open` of a direct message with `user`; returns its channel id.
    pub async fn conversations_open(&self, user: &str) -> Result<String, SlackError> {
        let json = self
            .call("conversations.open", Body::Form(&[("users", user.to_string())]))
            .await?
            .json;
        json["channel"]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| decode_error("conversations.open", "no channel.id in the answer"))
    }

    pub async fn team_info(&self) -> Result<TeamInfo, SlackError> {
        let json = self.call("team.info", Body::Form(&[])).await?.json;
        decode("team.info", json["team"].clone())
    }

    pub async fn get_upload_url_external(&self, filename: &str, length: usize) -> Result<UploadTicket, SlackError> {
        let args = [("filename", filename.to_string()), ("length", length.to_string())];
        let json = self.call("files.getUploadURLExternal", Body::Form(&args)).await?.json;
        decode("files.getUploadURLExternal", json)
    }

    /// Sends a file's bytes to the URL `files.getUploadURLExternal` gave (no token: the URL itself authorizes).
    pub async fn upload_to_url(&self, upload_url: &str, bytes: Vec<u8>) -> Result<(), SlackError> {
        check_http_url(upload_url)?;
        let bytes = bytes::Bytes::from(bytes);
        let upload = || {
            let request = self
                .http
                .post(upload_url)
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream");
            request.body(bytes.clone())
        };
        self.send("file upload", upload).await.map(|_| ())
    }

    /// `files.completeUploadExternal`: shares an uploaded file into a channel (or thread).
    pub async fn complete_upload_external(&self, upload: &CompleteUpload) -> Result<(), SlackError> {
        let files = json!([{ "id": upload.file_id, "title": upload.title }]).to_string();
        let mut args = vec![("files", files), ("channel_id", upload.channel_id.clone())];
        if let Some(ts) = &upload.thread_ts {
            args.push(("thread_ts", ts.clone()));
        }
        if let Some(comment) = &upload.initial_comment {
            args.push(("initial_comment", comment.clone()));
        }
        self.call("files.completeUploadExternal", Body::Form(&args))
            .await
            .map(drop)
    }

    /// `apps.connections.open` with an app-level token: the Socket Mode WebSocket URL.
    pub async fn apps_connections_open(&self, app_token: &Secret) -> Result<String, SlackError> {
        let json = self
            .with_token(app_token.clone())
            .call("apps.connections.open", Body::Form(&[]))
            .await?
            .json;
        json["url"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| decode_error("apps.connections.open", "no url"))
    }

    /// `rtm.connect`: the RTM WebSocket URL.
    pub async fn rtm_connect(&self) -> Result<RtmSession, SlackError> {
        let json = self.call("rtm.connect", Body::Form(&[])).await?.json;
        let url = json["url"]
            .as_str()
            .ok_or_else(|| decode_error("rtm.connect", "no url"))?
            .to_string();
        Ok(RtmSession {
            url,
            self_id: json["self"]["id"].as_str().map(str::to_string),
        })
    }

    /// Answers through a `response_url` of a slash command or interaction (valid 30 minutes, 5 uses).
    pub async fn post_response_url(&self, url: &str, body: &impl Serialize) -> Result<(), SlackError> {
        check_http_url(url)?;
        self.send("response_url", || self.http.post(url).json(body))
            .await
            .map(|_| ())
    }

    async fn paginate(&self, method: &str, args: &[(&str, String)], key: &str) -> Result<Vec<Value>, SlackError> {
        let mut items = Vec::new();
        let walk = self
            .walk_pages(method, args, key, 1000, |page| {
                items.extend(page.iter().cloned());
                None::<Infallible>
            })
            .await?;
        match walk {
            Walk::Ended => Ok(items),
            Walk::OutOfPages => Err(decode_error(method, "more than 1000 pages; giving up")),
            Walk::Stopped(never) => match never {},
        }
    }

    /// Calls a paginated `method` page by page (at most `max_pages`), handing each page's `key` array to `visit`
    /// until it returns something or the pages end.
    async fn walk_pages<T>(
        &self,
        method: &str,
        args: &[(&str, String)],
        key: &str,
        max_pages: usize,
        mut visit: impl FnMut(&[Value]) -> Option<T>,
    ) -> Result<Walk<T>, SlackError> {
        let mut cursor = String::new();
        for _ in 0..max_pages {
            let mut page_args: Vec<(&str, String)> = args.to_vec();
            page_args.push(("limit", self.config.page_size.to_string()));
            if !cursor.is_empty() {
                page_args.push(("cursor", cursor.clone()));
            }
            let json = self.call(method, Body::Form(&page_args)).await?.json;
            let page = json[key].as_array().map(Vec::as_slice).unwrap_or_default();
            if let Some(found) = visit(page) {
                return Ok(Walk::Stopped(found));
            }
            cursor = json["response_metadata"]["next_cursor"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if cursor.is_empty() {
                return Ok(Walk::Ended);
            }
        }
        Ok(Walk::OutOfPages)
    }

    async fn call(&self, method: &str, body: Body<'_>) -> Result<ApiAnswer, SlackError> {
        self.call_for(method, body).await
    }

    async fn call_for<T: WebAnswer>(&self, method: &str, body: Body<'_>) -> Result<ApiAnswer<T>, SlackError> {
        let url = format!("{}{}", self.api_url, method);
        let response = self
            .send(method, || {
                let request = self.http.post(&url).bearer_auth(self.token.expose());
                match &body {
                    Body::Form(args) => request.form(args),
                    Body::Json(bytes) => request
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(bytes.clone()),
                }
            })
            .await?;
        let headers = response.headers().clone();
        let json: T = response.json().await.map_err(|e| {
            if e.is_timeout() || e.is_body() {
                transport_error(method, &e, self.config.timeout)
            } else {
                decode_error(method, &format!("not JSON: {e}"))
            }
        })?;
        if let Some((code, needed)) = json.refusal() {
            tracing::debug!(method, code, "Slack call failed");
            metrics::counter!("lookerbot_slack_api_errors_total", "method" => method_label(method), "error" => error_label(&code))
                .increment(1);
            return Err(SlackError::Api {
                method: method.into(),
                code,
                needed,
                channel: None,
            });
        }
        Ok(ApiAnswer { json, headers })
    }

    /// Sends the request `build` makes, with the timeout, waiting out 429s; any other non-2xx answer is an error.
    async fn send(
        &self,
        method: &str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, SlackError> {
        for attempt in 1.. {
            let response = build().timeout(self.config.timeout).send().await.map_err(|e| {
                count_unreachable(method);
                transport_error(method, &e, self.config.timeout)
            })?;
            let status = response.status().as_u16();
            count_call(method, status);
            if status == 429 {
                self.wait_for_retry(method, response.headers(), attempt).await?;
                continue;
            }
            if !(200..300).contains(&status) {
                return Err(SlackError::Http {
                    method: method.into(),
                    status,
                });
            }
            return Ok(response);
        }
        unreachable!("the retry loop returns")
    }

    /// Sleeps out a 429's `Retry-After`, or fails when attempts are used up or the wait is too long.
    async fn wait_for_retry(&self, method: &str, headers: &HeaderMap, attempt: u32) -> Result<(), SlackError> {
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(1));
        if attempt >= self.config.max_attempts || retry_after > self.config.max_retry_wait {
            return Err(SlackError::RateLimited {
                method: method.into(),
                retry_after,
            });
        }
        tracing::info!(method, wait_secs = retry_after.as_secs(), "Slack rate limit; waiting");
        tokio::time::sleep(retry_after).await;
        Ok(())
    }
}

/// One HTTP answer from Slack, as `lookerbot_slack_calls_total{method, outcome}` (429s as `rate_limited`).
fn count_call(method: &str, status: u16) {
    let outcome = match status {
        200..=299 => "ok",
        429 => "rate_limited",
        _ => "http_error",
    };
    metrics::counter!("lookerbot_slack_calls_total", "method" => method_label(method), "outcome" => outcome)
        .increment(1);
}

fn count_unreachable(method: &str) {
    metrics::counter!("lookerbot_slack_calls_total", "method" => method_label(method), "outcome" => "unreachable")
        .increment(1);
}

/// Method names are a short known list; anything else is bucketed so that labels stay bounded.
fn method_label(method: &str) -> String {
    if method.len() <= 40
        && method
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ' '))
    {
        method.to_string()
    } else {
        "other".into()
    }
}

/// Slack's error codes are snake_case words; anything else would be an unbounded label.
fn error_label(code: &str) -> String {
    if code.len() <= 40 && code.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        code.to_string()
    } else {
        "other".into()
    }
}

fn decode<T: DeserializeOwned>(method: &str, value: Value) -> Result<T, SlackError> {
    serde_json::from_value(value).map_err(|e| decode_error(method, &e.to_string()))
}

fn decode_error(method: &str, message: &str) -> SlackError {
    SlackError::Decode {
        method: method.into(),
        message: message.into(),
    }
}

fn transport_error(method: &str, error: &reqwest::Error, timeout: Duration) -> SlackError {
    if error.is_timeout() {
        SlackError::Timeout {
            method: method.into(),
            timeout,
        }
    } else {
        // Without the URL: upload and response URLs carry capabilities in their paths.
        let mut message = error.to_string();
        if let Some(url) = error.url() {
            message = message.replace(url.as_str(), "<url>");
        }
        if error.is_connect() || error.is_builder() {
            SlackError::Transport {
                method: method.into(),
                message,
            }
        } else {
            // The request may have reached Slack: the connection broke while sending or reading the answer.
            SlackError::Interrupted {
                method: method.into(),
                message,
            }
        }
    }
}

fn check_http_url(url: &str) -> Result<(), SlackError> {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "https" | "http") => Ok(()),
        _ => Err(SlackError::Invalid(
            "refusing to send to a URL that is not http(s)".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_token() {
        let web = SlackWeb::new("http://127.0.0.1:1/api", Secret::new("xoxb-secret")).unwrap();
        assert!(!format!("{web:?}").contains("xoxb-secret"));
        assert_eq!(web.api_url(), "http://127.0.0.1:1/api/");
    }

    #[test]
    fn only_http_urls_are_posted_to() {
        assert!(check_http_url("https://hooks.slack.com/commands/1").is_ok());
        assert!(check_http_url("file:///etc/passwd").is_err());
        assert!(check_http_url("not a url").is_err());
    }
}
