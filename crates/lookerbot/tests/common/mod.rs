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
        World::start_with_sim(extra, SimConfig::default()).await
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
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let sim = SlackSim::start(sim_config).await.unwrap();
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
        for (k, v) in extra {
            env.set(k, v);
        }
        let config = Config::from_env(&env, Needs::SERVER).unwrap();
        let bot = start_with(&config, SocketAddr::from(([127, 0, 0, 1], 0)), options())
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
        let timestamp = chrono::Utc::now().timestamp();
        let signature = self.sim.sign(timestamp, body.as_bytes());
        self.http
            .post(format!("{}{path}", self.url))
            .header("content-type", content_type)
            .header("x-slack-request-timestamp", timestamp.to_string())
            .header("x-slack-signature", signature)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Alice writes `text` to the bot in a DM (Events API).
    pub async fn dm(&self, text: &str) -> reqwest::Response {
        let n = self.next_event.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let body = json!({
            "token": "unused", "team_id": "T0SIM", "api_app_id": "A0SIM", "type": "event_callback",
            "event_id": format!("Ev{n:08}"), "event_time": 1_700_000_000,
            "event": {"type": "message", "channel": ALICE_DM, "user": ALICE, "text": text,
                      "ts": format!("1700000000.{n:06}"), "event_ts": format!("1700000000.{n:06}"), "channel_type": "im"}
        });
        self.post_signed("/slack/events", "application/json", body.to_string())
            .await
    }

    /// Alice uses `/looker text` in #general; the reply goes to the returned response_url.
    pub async fn slash(&self, text: &str) -> (reqwest::Response, String) {
        self.slash_as(ALICE, text).await
    }

    /// Someone uses `/looker text` in #general; the reply goes to the returned response_url.
    pub async fn slash_as(&self, user: &str, text: &str) -> (reqwest::Response, String) {
        let n = self.next_event.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let response_url = self.sim.response_url_in(&format!("slash{n}"), GENERAL);
        let form = serde_urlencoded::to_string([
            ("token", "unused"),
            ("team_id", "T0SIM"),
            ("team_domain", "sim"),
            ("channel_id", GENERAL),
            ("channel_name", "general"),
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

/// Fast waits for tests.
pub fn options() -> StartOptions {
    StartOptions {
        workers: WorkerConfig {
            base_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(200),
            poll_interval: Duration::from_millis(100),
            ..WorkerConfig::default()
        },
        slack: WebConfig {
            post_interval: Duration::from_millis(0),
            ..WebConfig::default()
        },
        render_poll: Some(Duration::from_millis(20)),
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
