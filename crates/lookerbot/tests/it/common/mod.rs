//! A whole lookerbot against the Looker sandbox and the Slack simulator, started as `lookerbot serve` starts it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use config::{Config, Environment, Needs};
use looker_sandbox::{Sandbox, SandboxConfig, content};
use lookerbot::serve::{RunningBot, StartOptions, start_with};
use queue::WorkerConfig;
use serde_json::{Value, json};
use slack::web::WebConfig;
use slack_sim::{PostedMessage, SimConfig, SlackSim};

pub const WEBHOOK_TOKEN: &str = "looker-webhook-token";
pub const ALICE: &str = "U0ALICE";
pub const ALICE_DM: &str = "D0ALICE";
pub const GENERAL: &str = "C0GENERAL";

pub struct World {
    pub sandbox: Sandbox,
    pub sim: SlackSim,
    pub bot: Option<RunningBot>,
    pub url: String,
    pub http: reqwest::Client,
    _data: tempfile::TempDir,
    next_event: std::sync::atomic::AtomicU64,
}

impl World {
    pub async fn start() -> World {
        World::start_with(&[]).await
    }

    /// A world whose bot has these extra variables set.
    pub async fn start_with(extra: &[(&str, &str)]) -> World {
        World::start_with_options(extra, options()).await
    }

    /// [`World::start_with`] with the bot started with `start_options`.
    pub async fn start_with_options(extra: &[(&str, &str)], start_options: StartOptions) -> World {
        let extra: Vec<(String, String)> = extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        World::start_everything(|_, _| extra, start_options, SimConfig::default()).await
    }

    /// A world whose bot has the extra variables `extra` gives, once the sandbox and simulator run.
    pub async fn start_configured(extra: impl FnOnce(&Sandbox, &SlackSim) -> Vec<(String, String)>) -> World {
        World::start_everything(extra, options(), SimConfig::default()).await
    }

    /// A world in identity `user` whose Slack token may read emails (`users:read.email`).
    pub async fn start_in_identity_user() -> World {
        let mut scopes = slack_sim::default_bot_scopes();
        scopes.push("users:read.email".into());
        let sim_config = SimConfig {
            scopes,
            ..SimConfig::default()
        };
        World::start_with_sim(&[("LOOKERBOT_IDENTITY", "user")], sim_config).await
    }

    /// A world whose bot has these extra variables set, with this Slack workspace configuration.
    pub async fn start_with_sim(extra: &[(&str, &str)], sim_config: SimConfig) -> World {
        let extra: Vec<(String, String)> = extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        World::start_everything(|_, _| extra, options(), sim_config).await
    }

    async fn start_everything(
        extra: impl FnOnce(&Sandbox, &SlackSim) -> Vec<(String, String)>,
        start_options: StartOptions,
        sim_config: SimConfig,
    ) -> World {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let sim = SlackSim::start(sim_config).await.unwrap();
        let extra = extra(&sandbox, &sim);
        let data = tempfile::tempdir().unwrap();
        let mut env = Environment::from_pairs([
            ("LOOKER_URL", sandbox.web_url().as_str()),
            ("LOOKER_API_BASE_URL", sandbox.api_url().as_str()),
            ("LOOKER_API_3_CLIENT_ID", sandbox.client_id()),
            ("LOOKER_API_3_CLIENT_SECRET", sandbox.client_secret()),
            ("LOOKER_CUSTOM_COMMAND_FOLDER_ID", content::CUSTOM_COMMAND_FOLDER_ID),
            ("LOOKER_WEBHOOK_TOKEN", WEBHOOK_TOKEN),
            ("SLACK_API_KEY", sim.bot_token()),
            ("SLACK_SIGNING_SECRET", sim.signing_secret()),
            ("SLACK_API_URL", sim.api_url().as_str()),
            ("LOOKERBOT_DATA_DIR", data.path().to_str().unwrap()),
            ("LOOKERBOT_IMAGE_WIDTH", "400"),
            ("LOOKERBOT_IMAGE_HEIGHT", "300"),
        ]);
        for (k, v) in &extra {
            env.set(k, v);
        }
        let config = Config::from_env(&env, Needs::SERVER).unwrap();
        let bot = start_with(&config, SocketAddr::from(([127, 0, 0, 1], 0)), start_options)
            .await
            .unwrap();
        let url = format!("http://{}", bot.addr());
        World {
            sandbox,
            sim,
            bot: Some(bot),
            url,
            http: reqwest::Client::new(),
            _data: data,
            next_event: 1.into(),
        }
    }

    /// A signed POST to the bot, as Slack sends.
    pub async fn post_signed(&self, path: &str, content_type: &str, body: String) -> reqwest::Response {
        post_signed(&self.http, &self.sim, &self.url, path, content_type, body).await
    }

    /// Looker calls that fetch or change content (not the bot's log-in and periodic command refresh).
    pub fn content_calls(&self) -> u64 {
        [
            "look",
            "query",
            "run_query",
            "create_query",
            "run_inline_query",
            "dashboard",
            "perform_data_action",
        ]
        .iter()
        .map(|op| self.sandbox.calls(op))
        .sum()
    }

    /// The status `/health_check` answers.
    pub async fn health(&self) -> reqwest::StatusCode {
        let url = format!("{}/health_check", self.url);
        self.http.get(url).send().await.unwrap().status()
    }

    /// Alice writes `text` to the bot in a DM (Events API).
    pub async fn dm(&self, text: &str) -> reqwest::Response {
        let n = self.next_event.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.post_signed("/slack/events", "application/json", dm_event(n, text).to_string())
            .await
    }

    /// Looker's scheduled delivery of the table Look to #general, with `token` as its webhook token; the status.
    pub async fn deliver_table_look(&self, token: Option<&str>) -> u16 {
        post_table_look(&self.http, &self.sandbox, &self.url, token).await
    }

    /// Alice mentions the bot in #general: `<@UBOT> text` (Events API `app_mention`).
    pub async fn mention(&self, text: &str) -> reqwest::Response {
        self.mention_as(ALICE, text).await
    }

    /// `user` mentions the bot in #general.
    pub async fn mention_as(&self, user: &str, text: &str) -> reqwest::Response {
        let n = self.next_event.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let text = format!("<@{}> {text}", slack_sim::BOT_USER_ID);
        let body = json!({
            "token": "unused", "team_id": "T0SIM", "api_app_id": "A0SIM", "type": "event_callback",
            "event_id": format!("Ev{n:08}"), "event_time": 1_700_000_000,
            "event": {"type": "app_mention", "channel": GENERAL, "user": user, "text": text,
                      "ts": format!("1700000000.{n:06}"), "event_ts": format!("1700000000.{n:06}")}
        });
        self.post_signed("/slack/events", "application/json", body.to_string())
            .await
    }

    /// Alice uses `/looker text` in #general; the reply goes to the returned response_url.
    pub async fn slash(&self, text: &str) -> (reqwest::Response, String) {
        self.slash_from(ALICE, GENERAL, text).await
    }

    /// Alice uses `/looker text` in `channel` (an id); the reply goes to the returned response_url.
    pub async fn slash_in(&self, channel: &str, text: &str) -> (reqwest::Response, String) {
        self.slash_from(ALICE, channel, text).await
    }

    /// Someone uses `/looker text` in #general; the reply goes to the returned response_url.
    pub async fn slash_as(&self, user: &str, text: &str) -> (reqwest::Response, String) {
        self.slash_from(user, GENERAL, text).await
    }

    /// `user` uses `/looker text` in `channel`; the reply goes to the returned response_url.
    async fn slash_from(&self, user: &str, channel: &str, text: &str) -> (reqwest::Response, String) {
        let n = self.next_event.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let response_url = self.sim.response_url_in(&format!("slash{n}"), channel);
        let form = serde_urlencoded::to_string([
            ("token", "unused"),
            ("team_id", "T0SIM"),
            ("team_domain", "sim"),
            ("channel_id", channel),
            ("channel_name", "channel"),
            ("user_id", user),
            ("user_name", "someone"),
            ("command", "/looker"),
            ("text", text),
            ("response_url", response_url.as_str()),
            ("trigger_id", "1.2.3"),
        ])
        .unwrap();
        let response = self
            .post_signed("/slack/receive", "application/x-www-form-urlencoded", form)
            .await;
        (response, response_url)
    }

    /// Waits until the simulator holds `n` messages (posted, updated in place, ephemeral, response_url).
    pub async fn messages(&self, n: usize) -> Vec<PostedMessage> {
        let messages = self.sim.wait_for_messages(n, Duration::from_secs(15)).await;
        assert!(
            messages.len() >= n,
            "expected {n} messages, Slack received {messages:#?}"
        );
        messages
    }

    /// Waits until no message arrived for a moment, and returns them all.
    pub async fn settled(&self) -> Vec<PostedMessage> {
        let mut seen = usize::MAX;
        loop {
            tokio::time::sleep(Duration::from_millis(600)).await;
            let now = self.sim.messages();
            if now.len() == seen {
                return now;
            }
            seen = now.len();
        }
    }

    pub async fn stop(mut self) {
        if let Some(bot) = self.bot.take() {
            bot.shutdown(Duration::from_secs(5)).await;
        }
    }
}

/// A POST to the bot at `url`, signed with the simulator's signing secret, as Slack sends.
pub async fn post_signed(
    http: &reqwest::Client,
    sim: &SlackSim,
    url: &str,
    path: &str,
    content_type: &str,
    body: String,
) -> reqwest::Response {
    let timestamp = chrono::Utc::now().timestamp();
    let signature = sim.sign(timestamp, body.as_bytes());
    http.post(format!("{url}{path}"))
        .header("content-type", content_type)
        .header("x-slack-request-timestamp", timestamp.to_string())
        .header("x-slack-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Posts the sandbox's scheduled delivery of the table Look to #general of the bot at `url`, as Looker does, with
/// `token` in `X-Looker-Webhook-Token`; the response status.
pub async fn post_table_look(http: &reqwest::Client, sandbox: &Sandbox, url: &str, token: Option<&str>) -> u16 {
    let webhook = sandbox
        .scheduled_look_webhook(content::TABLE_LOOK_ID, "csv")
        .expect("the sandbox has the table Look");
    let mut request = http.post(format!("{url}/slack/post/channel/general")).json(&webhook);
    if let Some(token) = token {
        request = request.header("x-looker-webhook-token", token);
    }
    request.send().await.unwrap().status().as_u16()
}

/// Event number `n`: Alice writes `text` to the bot in a DM (an Events API callback).
pub fn dm_event(n: u64, text: &str) -> Value {
    json!({
        "token": "unused", "team_id": "T0SIM", "api_app_id": "A0SIM", "type": "event_callback",
        "event_id": format!("Ev{n:08}"), "event_time": 1_700_000_000,
        "event": {"type": "message", "channel": ALICE_DM, "user": ALICE, "text": text,
                  "ts": format!("1700000000.{n:06}"), "event_ts": format!("1700000000.{n:06}"), "channel_type": "im"}
    })
}

/// Fast waits for tests.
pub fn options() -> StartOptions {
    StartOptions {
        workers: WorkerConfig {
            base_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(200),
            poll_interval: Duration::from_millis(100),
            ..WorkerConfig::default()
        },
        // Paced as in production (a burst per channel, then a post per second), against the simulator's limits.
        slack: WebConfig::default(),
        render_poll: Some(Duration::from_millis(20)),
        listen: endpoints::ListenLimits::default(),
        looker: looker::ClientOptions::default(),
    }
}

/// Everything a message says, as text: its fallback plus every text field of its blocks (where escaping shows).
pub fn all_text(message: &PostedMessage) -> String {
    let mut out = message.text.clone().unwrap_or_default();
    if let Some(blocks) = &message.blocks {
        collect_text(blocks, &mut out);
    }
    out
}

fn collect_text(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => {
            out.push('\n');
            out.push_str(s);
        }
        Value::Array(items) => items.iter().for_each(|v| collect_text(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_text(v, out)),
        _ => {}
    }
}

/// Saves a query in the sandbox through its API (as an Explore would) and returns its share slug.
pub async fn create_query(world: &World, query: Value) -> String {
    let api = world.sandbox.api_url();
    let login: Value = world
        .http
        .post(format!("{api}/login"))
        .form(&[
            ("client_id", world.sandbox.client_id()),
            ("client_secret", world.sandbox.client_secret()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().expect("a sandbox token");
    let created: Value = world
        .http
        .post(format!("{api}/queries"))
        .header("authorization", format!("token {token}"))
        .json(&query)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["slug"].as_str().expect("the new query's slug").to_string()
}

/// The body of a GET that must succeed (`/metrics`, `/status`), as text.
pub async fn get_text(http: &reqwest::Client, url: &str) -> String {
    let response = http.get(url).send().await.expect("the bot answers");
    response.text().await.expect("a text body")
}
