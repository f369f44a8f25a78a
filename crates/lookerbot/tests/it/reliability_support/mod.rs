//! The `lookerbot` binary as a child process, against the Looker sandbox and the Slack simulator run by the test:
//! what crash, restart and shutdown tests need that the in-process `World` cannot give.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use looker_sandbox::{Sandbox, SandboxConfig, content};
use serde_json::{Value, json};
use slack_sim::{BOT_USER_ID, Conversation, ConversationKind, PostedMessage, SimConfig, SlackSim};

pub const WEBHOOK_TOKEN: &str = "crash-test-webhook-token";
/// Channels the numbered deliveries go to, in turn: Slack takes about one message per second per channel, and the
/// bot keeps to that, so many deliveries into one channel would take minutes.
pub const CHANNELS: usize = 50;

/// The Looker sandbox, the Slack simulator and a data directory that outlive any one bot process.
pub struct Peers {
    pub sandbox: Sandbox,
    pub sim: SlackSim,
    pub data: tempfile::TempDir,
    pub http: reqwest::Client,
    /// `LOOKERBOT_DATABASE_URL` for the bots, when they share a PostgreSQL queue.
    pub database_url: Option<String>,
}

impl Peers {
    /// Peers whose Slack answers every call after `slack_latency`.
    pub async fn start(slack_latency: Duration) -> Peers {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let sim = SlackSim::start(SimConfig::default()).await.unwrap();
        sim.set_latency(slack_latency);
        for n in 0..CHANNELS {
            sim.add_channel(delivery_channel(n));
        }
        Peers {
            sandbox,
            sim,
            data: tempfile::tempdir().unwrap(),
            http: reqwest::Client::new(),
            database_url: None,
        }
    }

    /// The variables `lookerbot serve` is configured with, as an operator would set them.
    pub fn environment(&self, port: u16) -> Vec<(String, String)> {
        [
            ("LOOKER_URL", self.sandbox.web_url()),
            ("LOOKER_API_BASE_URL", self.sandbox.api_url()),
            ("LOOKER_API_3_CLIENT_ID", self.sandbox.client_id().to_string()),
            ("LOOKER_API_3_CLIENT_SECRET", self.sandbox.client_secret().to_string()),
            ("LOOKER_WEBHOOK_TOKEN", WEBHOOK_TOKEN.to_string()),
            ("SLACK_API_KEY", self.sim.bot_token().to_string()),
            ("SLACK_SIGNING_SECRET", self.sim.signing_secret().to_string()),
            ("SLACK_API_URL", self.sim.api_url()),
            ("SLACK_MODE", "events".to_string()),
            ("PORT", port.to_string()),
            ("LOOKERBOT_DATA_DIR", self.data_dir().display().to_string()),
            // A crashed process's deliveries are retried one second after their last lease renewal.
            ("LOOKERBOT_DELIVERY_LEASE_SECS", "1".to_string()),
            ("RUST_LOG", "info".to_string()),
        ]
        .into_iter()
        .chain(self.database_url.clone().map(|url| ("LOOKERBOT_DATABASE_URL", url)))
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data.path().join("data")
    }

    /// Starts `lookerbot serve` and waits until it answers its health check.
    pub async fn spawn_bot(&self) -> BotProcess {
        self.spawn_bot_logging("info").await
    }

    /// [`Peers::spawn_bot`] with `RUST_LOG` set to `filter`.
    pub async fn spawn_bot_logging(&self, filter: &str) -> BotProcess {
        let port = free_port();
        let log = self.data.path().join(format!("serve-{port}.log"));
        let child = self
            .lookerbot(&["serve"], port, &log)
            .env("RUST_LOG", filter)
            .spawn()
            .expect("the lookerbot binary starts");
        let process = BotProcess {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        };
        process.wait_ready(&self.http).await;
        process
    }

    /// Runs `lookerbot deliveries ARGS` to completion; its exit status and standard output.
    pub fn deliveries(&self, args: &[&str]) -> (ExitStatus, String) {
        let output = self.run_deliveries(args);
        (output.status, String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Runs `lookerbot deliveries ARGS`, which must fail; what it says on standard error.
    pub fn deliveries_refusal(&self, args: &[&str]) -> String {
        let output = self.run_deliveries(args);
        let said = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            !output.status.success(),
            "`lookerbot deliveries {args:?}` should fail; it said {said}"
        );
        said
    }

    fn run_deliveries(&self, args: &[&str]) -> std::process::Output {
        let mut all = vec!["deliveries"];
        all.extend_from_slice(args);
        self.run_verb(&all)
    }

    /// Runs `lookerbot ARGS` (a verb that ends by itself) to completion.
    pub fn run_verb(&self, args: &[&str]) -> std::process::Output {
        let log = self.data.path().join(format!("{}.log", args[0]));
        let mut command = self.lookerbot(args, 0, &log);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        // The sandbox and the simulator run on the test's runtime: waiting for the child must not hold up one of
        // its workers (on a loaded machine that stalled the bot's Looker calls).
        let mut run = move || command.output().expect("the lookerbot binary runs");
        match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(run),
            _ => run(),
        }
    }

    /// The binary with only the configured variables, run from the data folder (so no stray `.env` is read).
    fn lookerbot(&self, args: &[&str], port: u16, log: &Path) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lookerbot"));
        command
            .args(args)
            .env_clear()
            .envs(self.environment(port.max(1)))
            .current_dir(self.data.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap());
        command
    }

    /// A scheduled delivery of the single-value Look whose heading says which one it is (`Delivery 007`).
    pub fn numbered_delivery(&self, number: usize) -> Value {
        let mut payload = self
            .sandbox
            .scheduled_look_webhook(content::SINGLE_VALUE_LOOK_ID, "json")
            .expect("the sandbox has the Look");
        let plan = &mut payload["scheduled_plan"];
        plan["title"] = json!(delivery_title(number));
        // The plan's own title is used when its query comes with it, or when its filters differ from the Look's.
        plan["filters_differ_from_look"] = json!(true);
        payload
    }

    /// Posts scheduled delivery `number` as Looker does, to its channel; the response status.
    pub async fn post_delivery(&self, bot: &BotProcess, number: usize) -> u16 {
        self.post_to(bot, &channel_name(number % CHANNELS), &self.numbered_delivery(number))
            .await
    }

    /// Posts a scheduled delivery to the channel named `channel`; the response status.
    pub async fn post_to(&self, bot: &BotProcess, channel: &str, payload: &Value) -> u16 {
        self.http
            .post(format!("{}/slack/post/channel/{channel}", bot.url))
            .header("x-looker-webhook-token", WEBHOOK_TOKEN)
            .json(payload)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Messages that carry a numbered delivery, by number (several when delivered twice).
    pub fn delivered_numbers(&self) -> Vec<usize> {
        self.sim.messages().iter().filter_map(delivery_number).collect()
    }

    /// Waits until `done(delivered numbers)` holds or `timeout` passes; returns the numbers either way.
    pub async fn wait_for_deliveries(&self, timeout: Duration, done: impl Fn(&[usize]) -> bool) -> Vec<usize> {
        let deadline = Instant::now() + timeout;
        loop {
            let numbers = self.delivered_numbers();
            if done(&numbers) || Instant::now() > deadline {
                return numbers;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

pub fn delivery_title(number: usize) -> String {
    format!("Delivery {number:03}")
}

/// Whether a message tells its channel that a delivery failed for good (it names the delivery, but is not it).
pub fn is_failure_notice(message: &PostedMessage) -> bool {
    crate::common::all_text(message).contains("could not be delivered")
}

/// The number of a numbered delivery, if the message is one and went to the channel it was meant for.
fn delivery_number(message: &PostedMessage) -> Option<usize> {
    if message.method != "chat.postMessage" || is_failure_notice(message) {
        return None;
    }
    let text = crate::common::all_text(message);
    let at = text.find("Delivery ")? + "Delivery ".len();
    let number: usize = text.get(at..at + 3)?.parse().ok()?;
    (message.channel == channel_id(number % CHANNELS)).then_some(number)
}

pub fn channel_name(n: usize) -> String {
    format!("deliveries-{n:02}")
}

pub fn channel_id(n: usize) -> String {
    format!("C0DELIV{n:02}")
}

fn delivery_channel(n: usize) -> Conversation {
    channel(&channel_id(n), &channel_name(n))
}

/// A public channel the bot is a member of.
pub fn channel(id: &str, name: &str) -> Conversation {
    Conversation {
        id: id.to_string(),
        name: name.to_string(),
        kind: ConversationKind::PublicChannel,
        is_archived: false,
        is_general: false,
        members: vec![BOT_USER_ID.to_string()],
        topic: String::new(),
        purpose: String::new(),
        created: 1_704_067_200,
    }
}

/// A running `lookerbot serve`.
pub struct BotProcess {
    pub child: Child,
    pub url: String,
    /// Where its standard error (the log) goes.
    pub log: PathBuf,
}

impl BotProcess {
    async fn wait_ready(&self, http: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let health = http.get(format!("{}/health_check", self.url)).send().await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("lookerbot serve did not become ready; its log:\n{}", self.log_text());
    }

    /// The most memory the process has held resident (`VmHWM` in `/proc/PID/status`), in bytes.
    pub fn peak_memory(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .expect("VmHWM in /proc");
        let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kib * 1024
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: the process gets no chance to clean up.
    pub fn kill_hard(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, as a container runtime or systemd stops a service.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits up to `timeout` for the process to exit on its own.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        // A failing test must not leave a server behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on right now (the bot takes its port from `PORT`, so the test picks one).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `lookerbot serve` started in this process with `options`, configured as [`Peers::environment`] says plus
/// `extra`: for knobs the binary does not expose (Slack timeouts).
pub async fn start_in_process(
    peers: &Peers,
    options: lookerbot::serve::StartOptions,
    extra: &[(&str, &str)],
) -> lookerbot::serve::RunningBot {
    let pairs = peers.environment(1);
    let mut env = config::Environment::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    for (k, v) in extra {
        env.set(k, v);
    }
    let config = config::Config::from_env(&env, config::Needs::SERVER).unwrap();
    lookerbot::serve::start_with(&config, std::net::SocketAddr::from(([127, 0, 0, 1], 0)), options)
        .await
        .unwrap()
}

impl Peers {
    /// Posts scheduled delivery `number` to a bot started in this process.
    pub async fn post_delivery_at(&self, addr: std::net::SocketAddr, number: usize) -> reqwest::Response {
        self.http
            .post(format!(
                "http://{addr}/slack/post/channel/{}",
                channel_name(number % CHANNELS)
            ))
            .header("x-looker-webhook-token", WEBHOOK_TOKEN)
            .json(&self.numbered_delivery(number))
            .send()
            .await
            .unwrap()
    }
}
