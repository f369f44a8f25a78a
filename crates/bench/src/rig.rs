//! The Looker sandbox and the Slack simulator in this process, with no added latency, and the requests Slack and
//! Looker send to the bot.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use looker_sandbox::{Sandbox, SandboxConfig, content};
use reqwest::StatusCode;
use serde_json::json;
use slack_sim::{BOT_USER_ID, Conversation, SimConfig, SlackSim};

use crate::spans::Span;

pub const WEBHOOK_TOKEN: &str = "bench-webhook-token";
/// The person talking to the bot (a workspace admin of the simulator).
pub const ASKER: &str = "U0ALICE";
/// Channels the bench posts into, so that Slack's one-post-per-second-per-channel pacing does not serialize it.
pub const BENCH_CHANNELS: usize = 900;
/// The channel that takes many deliveries back to back (id, name): only Slack's pace and the bot's set its rate.
pub const ONE_CHANNEL: (&str, &str) = ("C0BENCHONE", "bench-one");

/// Looker and Slack stand-ins, and a client to reach the bot.
pub struct StandIns {
    pub sandbox: Sandbox,
    pub sim: SlackSim,
    pub http: reqwest::Client,
    sequence: AtomicU64,
}

/// A bench channel's id and name.
pub fn bench_channel(index: usize) -> (String, String) {
    let index = index % BENCH_CHANNELS;
    (format!("C0BENCH{index:04}"), format!("bench-{index:04}"))
}

impl StandIns {
    pub async fn start() -> anyhow::Result<StandIns> {
        let sandbox = Sandbox::start(SandboxConfig::default()).await?;
        let sim = SlackSim::start(SimConfig::default()).await?;
        for index in 0..BENCH_CHANNELS {
            let (id, name) = bench_channel(index);
            sim.add_channel(Conversation::public(&id, &name, &[ASKER, BOT_USER_ID]));
        }
        let (id, name) = ONE_CHANNEL;
        sim.add_channel(Conversation::public(id, name, &[ASKER, BOT_USER_ID]));
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(2048)
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(StandIns {
            sandbox,
            sim,
            http,
            sequence: AtomicU64::new(1),
        })
    }

    /// What `lookerbot serve` reads, pointing at the stand-ins (Events API mode, signed requests).
    pub fn bot_env(&self, port: u16, data_dir: &Path) -> Vec<(String, String)> {
        let pairs = [
            ("LOOKER_URL", self.sandbox.web_url()),
            ("LOOKER_API_BASE_URL", self.sandbox.api_url()),
            ("LOOKER_API_3_CLIENT_ID", self.sandbox.client_id().to_owned()),
            ("LOOKER_API_3_CLIENT_SECRET", self.sandbox.client_secret().to_owned()),
            (
                "LOOKER_CUSTOM_COMMAND_FOLDER_ID",
                content::CUSTOM_COMMAND_FOLDER_ID.to_owned(),
            ),
            ("LOOKER_WEBHOOK_TOKEN", WEBHOOK_TOKEN.to_owned()),
            ("SLACK_API_KEY", self.sim.bot_token().to_owned()),
            ("SLACK_SIGNING_SECRET", self.sim.signing_secret().to_owned()),
            ("SLACK_API_URL", self.sim.api_url()),
            ("SLACK_MODE", "events".to_owned()),
            // Links pasted in channels are expanded (one of the measured replies).
            ("LOOKER_SLACKBOT_EXPAND_URLS", "true".to_owned()),
            ("PORT", port.to_string()),
            ("LOOKERBOT_DATA_DIR", data_dir.display().to_string()),
        ];
        pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    /// Both stand-ins' handler spans.
    pub fn spans(&self) -> Vec<Span> {
        let looker = self.sandbox.handler_spans().into_iter().map(Span::from);
        looker
            .chain(self.sim.handler_spans().into_iter().map(Span::from))
            .collect()
    }

    pub fn looker_spans(&self) -> Vec<Span> {
        self.sandbox.handler_spans().into_iter().map(Span::from).collect()
    }

    pub fn slack_spans(&self) -> Vec<Span> {
        self.sim.handler_spans().into_iter().map(Span::from).collect()
    }

    pub fn clear_spans(&self) {
        self.sandbox.clear_handler_spans();
        self.sim.clear_handler_spans();
    }

    fn next(&self) -> u64 {
        self.sequence.fetch_add(1, Ordering::Relaxed)
    }

    /// A Look's web URL.
    pub fn look_url(&self, look_id: &str) -> String {
        format!("{}/looks/{look_id}", self.sandbox.web_url())
    }

    /// A POST signed with the simulator's signing secret, as Slack sends.
    async fn post_signed(&self, bot: &str, path: &str, content_type: &str, body: String) -> anyhow::Result<StatusCode> {
        let timestamp = chrono::Utc::now().timestamp();
        let signature = self.sim.sign(timestamp, body.as_bytes());
        let response = self
            .http
            .post(format!("{bot}{path}"))
            .header("content-type", content_type)
            .header("x-slack-request-timestamp", timestamp.to_string())
            .header("x-slack-signature", signature)
            .body(body)
            .send()
            .await?;
        Ok(response.status())
    }

    /// `/looker text` in `channel`; the reply goes to a fresh response_url.
    pub async fn slash(&self, bot: &str, channel: &str, text: &str) -> anyhow::Result<StatusCode> {
        let n = self.next();
        let response_url = self.sim.response_url_in(&format!("bench{n}"), channel);
        let form = serde_urlencoded::to_string([
            ("token", "unused"),
            ("team_id", "T0SIM"),
            ("team_domain", "sim"),
            ("channel_id", channel),
            ("channel_name", "bench"),
            ("user_id", ASKER),
            ("user_name", "alice"),
            ("command", "/looker"),
            ("text", text),
            ("response_url", response_url.as_str()),
            ("trigger_id", "1.2.3"),
        ])?;
        self.post_signed(bot, "/slack/receive", "application/x-www-form-urlencoded", form)
            .await
    }

    /// Someone writes `text` in a channel the bot is in (Events API `message`).
    pub async fn channel_message(&self, bot: &str, channel: &str, text: &str) -> anyhow::Result<StatusCode> {
        let n = self.next();
        let body = json!({
            "token": "unused", "team_id": "T0SIM", "api_app_id": "A0SIM", "type": "event_callback",
            "event_id": format!("EvBENCH{n:08}"), "event_time": chrono::Utc::now().timestamp(),
            "event": {"type": "message", "channel": channel, "user": ASKER, "text": text,
                      "ts": format!("1700000000.{n:06}"), "event_ts": format!("1700000000.{n:06}"),
                      "channel_type": "channel"}
        });
        self.post_signed(bot, "/slack/events", "application/json", body.to_string())
            .await
    }

    /// Someone mentions the bot in a channel: `@lookerbot text` (Events API `app_mention`).
    pub async fn mention(&self, bot: &str, channel: &str, text: &str) -> anyhow::Result<StatusCode> {
        let n = self.next();
        let body = json!({
            "token": "unused", "team_id": "T0SIM", "api_app_id": "A0SIM", "type": "event_callback",
            "event_id": format!("EvBENCH{n:08}"), "event_time": chrono::Utc::now().timestamp(),
            "event": {"type": "app_mention", "channel": channel, "user": ASKER,
                      "text": format!("<@{BOT_USER_ID}> {text}"),
                      "ts": format!("1700000000.{n:06}"), "event_ts": format!("1700000000.{n:06}")}
        });
        self.post_signed(bot, "/slack/events", "application/json", body.to_string())
            .await
    }

    /// Looker's scheduled-delivery webhook for a Look, to a channel by name.
    pub async fn scheduled(&self, bot: &str, channel_name: &str, payload: &str) -> anyhow::Result<StatusCode> {
        let response = self
            .http
            .post(format!("{bot}/slack/post/channel/{channel_name}"))
            .header("content-type", "application/json")
            .header("x-looker-webhook-token", WEBHOOK_TOKEN)
            .body(payload.to_owned())
            .send()
            .await?;
        Ok(response.status())
    }

    /// The body Looker posts for a scheduled Look (JSON rows attached).
    pub fn scheduled_payload(&self, look_id: &str) -> anyhow::Result<String> {
        let payload = self
            .sandbox
            .scheduled_look_webhook(look_id, "json")
            .ok_or_else(|| anyhow::anyhow!("the sandbox has no Look {look_id}"))?;
        Ok(payload.to_string())
    }
}
