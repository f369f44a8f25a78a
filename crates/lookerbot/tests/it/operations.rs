//! Running it in production: logs without escape codes and as JSON lines, `/metrics` moving with traffic,
//! `/ready` following Looker and Slack as they go down and come back, and `LOOKERSDK_TIMEOUT`.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{ALICE, ALICE_DM, GENERAL, WEBHOOK_TOKEN, World, all_text, dm_event, post_signed, post_table_look};
use looker_sandbox::{Sandbox, SandboxConfig, content};
use prometheus_parse::{Scrape, Value as Sample};
use serde_json::Value;
use slack_sim::{SimConfig, SlackSim};

/// How long a dependency may take to be seen down or back up.
const FLIP: Duration = Duration::from_secs(30);

/// `lookerbot serve` as a child process with its stderr read line by line.
struct ServeProcess {
    child: std::process::Child,
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
    url: String,
    _data: tempfile::TempDir,
}

impl ServeProcess {
    async fn start(sandbox: &Sandbox, sim: &SlackSim, extra: &[(&str, &str)]) -> ServeProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_lookerbot"))
            .arg("serve")
            .env_clear()
            .envs([
                ("LOOKER_URL", sandbox.web_url()),
                ("LOOKER_API_BASE_URL", sandbox.api_url()),
                ("LOOKER_API_3_CLIENT_ID", sandbox.client_id().to_string()),
                ("LOOKER_API_3_CLIENT_SECRET", sandbox.client_secret().to_string()),
                (
                    "LOOKER_CUSTOM_COMMAND_FOLDER_ID",
                    content::CUSTOM_COMMAND_FOLDER_ID.to_string(),
                ),
                ("LOOKER_WEBHOOK_TOKEN", WEBHOOK_TOKEN.to_string()),
                ("SLACK_API_KEY", sim.bot_token().to_string()),
                ("SLACK_SIGNING_SECRET", sim.signing_secret().to_string()),
                ("SLACK_API_URL", sim.api_url()),
                ("PORT", port.to_string()),
                ("LOOKERBOT_DATA_DIR", data.path().display().to_string()),
            ])
            .envs(extra.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let process = ServeProcess {
            child,
            lines,
            reader: Some(reader),
            url: format!("http://127.0.0.1:{port}"),
            _data: data,
        };
        process.wait_for_line("lookerbot is ready").await;
        process
    }

    async fn wait_for_line(&self, text: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !self.lines.lock().unwrap().iter().any(|l| l.contains(text)) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {text:?} in the log:\n{}",
                self.lines.lock().unwrap().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the process and returns everything it logged.
    fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        self.lines.lock().unwrap().clone()
    }
}

/// A DM answered and a scheduled delivery delivered, through the process at `url`.
async fn some_traffic(sandbox: &Sandbox, sim: &SlackSim, url: &str) {
    let http = reqwest::Client::new();
    let answer = post_signed(
        &http,
        sim,
        url,
        "/slack/events",
        "application/json",
        dm_event(1, "find orders").to_string(),
    )
    .await;
    assert_eq!(answer.status(), 200);
    assert!(answer.headers().contains_key("x-request-id"));
    let queued = post_table_look(&http, sandbox, url, Some(WEBHOOK_TOKEN)).await;
    assert_eq!(queued, 200);
    let messages = sim.wait_for_messages(2, Duration::from_secs(15)).await;
    assert!(messages.len() >= 2, "{messages:#?}");
}

async fn stand_ins() -> (Sandbox, SlackSim) {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    (
        Sandbox::start(SandboxConfig::default()).await.unwrap(),
        SlackSim::start(SimConfig::default()).await.unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn piped_logs_are_plain_text_without_escape_codes() {
    let (sandbox, sim) = stand_ins().await;
    let bot = ServeProcess::start(&sandbox, &sim, &[("RUST_LOG", "info")]).await;
    some_traffic(&sandbox, &sim, &bot.url).await;
    let lines = bot.stop();
    let log = lines.join("\n");
    assert!(
        log.contains("lookerbot is ready") && log.contains("delivery queued"),
        "{log}"
    );
    assert!(!log.contains('\u{1b}'), "escape codes in a piped log:\n{log:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_are_one_event_per_line_with_ids_and_timings_and_no_secrets() {
    let (sandbox, sim) = stand_ins().await;
    let bot = ServeProcess::start(
        &sandbox,
        &sim,
        &[("LOG_FORMAT", "json"), ("RUST_LOG", "info,looker=debug")],
    )
    .await;
    some_traffic(&sandbox, &sim, &bot.url).await;
    bot.wait_for_line("Looker call").await;
    let lines = bot.stop();
    let events: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}")))
        .collect();
    assert!(
        events
            .iter()
            .all(|e| e["level"].is_string() && e["timestamp"].is_string())
    );
    let in_span = |span: &'static str, field: &'static str| {
        events.iter().filter(move |e| {
            e["spans"]
                .as_array()
                .is_some_and(|spans| spans.iter().any(|s| s["name"] == span && !s[field].is_null()))
        })
    };
    let queued = in_span("request", "request_id")
        .find(|e| e["message"] == "delivery queued")
        .expect("the queued delivery is logged with its request id");
    assert!(
        queued["spans"][0]["route"]
            .as_str()
            .unwrap()
            .starts_with("/slack/post/"),
        "{queued}"
    );
    let asked = in_span("slack_event", "slack_user")
        .find(|e| e["message"] == "Looker call")
        .expect("Looker calls made for a person carry their Slack ids");
    let span = asked["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "slack_event")
        .unwrap();
    assert_eq!(span["slack_user"], ALICE);
    assert_eq!(span["slack_channel"], ALICE_DM);
    assert!(
        asked["took_ms"].as_f64().is_some() && asked["operation"].is_string(),
        "{asked}"
    );
    let log = lines.join("\n");
    for secret in [
        sandbox.client_secret(),
        sim.bot_token(),
        sim.signing_secret(),
        WEBHOOK_TOKEN,
    ] {
        assert!(!log.contains(secret), "a secret reached the log");
    }
}

async fn scrape(world: &World) -> Scrape {
    let text = common::get_text(&world.http, &format!("{}/metrics", world.url)).await;
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("Prometheus text format")
}

/// The sum of the samples of `name` whose labels include `labels` (a histogram counts its observations).
fn total(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Sample::Counter(v) | Sample::Gauge(v) | Sample::Untyped(v) => *v,
            Sample::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            Sample::Summary(_) => 0.0,
        })
        .sum()
}

fn present(scrape: &Scrape, name: &str) -> bool {
    scrape.samples.iter().any(|s| s.metric == name)
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_prometheus_text_and_move_with_traffic() {
    let world = World::start().await;
    let before = scrape(&world).await;
    world.sim.rate_limit("chat.postMessage", 1, 0);
    world.dm("help").await;
    world.messages(1).await;
    assert_eq!(world.deliver_table_look(Some(WEBHOOK_TOKEN)).await, 200);
    let delivered = world.messages(2).await;
    assert!(delivered.iter().any(|m| m.channel == GENERAL), "{delivered:#?}");
    assert_eq!(world.deliver_table_look(None).await, 401);
    // The simulator has a message before the bot has read Slack's answer, counted the call and marked the delivery
    // done: scraped until both posts are counted and the delivery is done (or a while has passed, and the
    // assertions below say what is missing).
    let posts_ok = [("method", "chat.postMessage"), ("outcome", "ok")];
    let counted = total(&before, "lookerbot_slack_calls_total", &posts_ok) + 2.0;
    let settled = |after: &Scrape| {
        total(after, "lookerbot_slack_calls_total", &posts_ok) >= counted
            && total(after, "lookerbot_queue_jobs", &[("status", "done")]) >= 1.0
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut after = scrape(&world).await;
    while !settled(&after) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        after = scrape(&world).await;
    }

    let requests: Vec<String> = after
        .samples
        .iter()
        .filter(|s| s.metric == "lookerbot_http_requests_total")
        .map(|s| format!("{:?} {:?}", s.labels, s.value))
        .collect();
    let moved = |name: &str, labels: &[(&str, &str)]| total(&after, name, labels) - total(&before, name, labels);
    assert!(moved("lookerbot_http_requests_total", &[]) >= 3.0, "{requests:#?}");
    assert!(
        moved(
            "lookerbot_http_requests_total",
            &[("route", "/slack/events"), ("outcome", "ok")]
        ) >= 1.0
    );
    assert!(
        moved(
            "lookerbot_http_requests_total",
            &[("route", "/slack/post/:kind/:name"), ("outcome", "ok")]
        ) >= 1.0
    );
    assert!(
        moved(
            "lookerbot_http_requests_total",
            &[("route", "/slack/post/:kind/:name"), ("outcome", "refused")]
        ) >= 1.0
    );
    assert!(moved("lookerbot_replies_total", &[("command", "help")]) >= 1.0);
    assert!(moved("lookerbot_looker_calls_total", &[("outcome", "ok")]) >= 1.0);
    assert!(moved("lookerbot_looker_call_duration_seconds", &[]) >= 1.0);
    assert!(
        moved(
            "lookerbot_slack_calls_total",
            &[("method", "chat.postMessage"), ("outcome", "ok")]
        ) >= 2.0
    );
    assert!(
        moved(
            "lookerbot_slack_calls_total",
            &[("method", "chat.postMessage"), ("outcome", "rate_limited")]
        ) >= 1.0
    );
    assert!(total(&after, "lookerbot_queue_jobs", &[("status", "done")]) >= 1.0);
    assert!(
        after.docs.contains_key("lookerbot_looker_calls_total"),
        "each metric says what it counts"
    );
    for gauge in ["lookerbot_queue_oldest_waiting_seconds", "lookerbot_queue_readable"] {
        assert!(present(&after, gauge), "{gauge} is missing");
    }
    world.stop().await;
}

async fn readiness(world: &World) -> (u16, Value) {
    let response = world.http.get(format!("{}/ready", world.url)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Waits until `/ready` answers `status`; returns its body.
async fn ready_becomes(world: &World, status: u16) -> Value {
    let deadline = tokio::time::Instant::now() + FLIP;
    loop {
        let (now, body) = readiness(world).await;
        if now == status {
            return body;
        }
        assert!(tokio::time::Instant::now() < deadline, "/ready stayed {now}: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn port_of(url: &str) -> u16 {
    url::Url::parse(url).unwrap().port().unwrap()
}

fn failing(body: &Value) -> Vec<String> {
    body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

/// A stand-in that can go down and come back on the same port.
#[derive(Clone, Copy)]
enum Dependency {
    Looker,
    Slack,
}

impl Dependency {
    /// The URL it serves at, and the name `/ready` gives its check.
    fn url_and_check(self, world: &World) -> (String, String) {
        match self {
            Dependency::Looker => (world.sandbox.web_url(), format!("Looker {}", world.sandbox.web_url())),
            Dependency::Slack => (world.sim.api_url(), "Slack".into()),
        }
    }

    async fn stop(self, world: &World) {
        match self {
            Dependency::Looker => world.sandbox.clone().shutdown().await,
            Dependency::Slack => world.sim.clone().shutdown().await,
        }
    }

    async fn restart(self, world: &mut World, port: u16) {
        match self {
            Dependency::Looker => {
                world.sandbox = Sandbox::start(SandboxConfig {
                    port,
                    ..SandboxConfig::default()
                })
                .await
                .unwrap()
            }
            Dependency::Slack => {
                world.sim = SlackSim::start(SimConfig {
                    port,
                    ..SimConfig::default()
                })
                .await
                .unwrap()
            }
        }
    }
}

/// `/ready` is 200, turns 503 naming `dependency` alone while it is down (liveness stays 200), and 200 once it is
/// back.
async fn readiness_follows(dependency: Dependency, mut world: World) -> World {
    let body = ready_becomes(&world, 200).await;
    let names: Vec<&str> = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("Looker ")) && names.contains(&"Slack") && names.contains(&"delivery queue"),
        "{body}"
    );
    let (url, check) = dependency.url_and_check(&world);
    dependency.stop(&world).await;
    let body = ready_becomes(&world, 503).await;
    assert_eq!(failing(&body), vec![check], "{body}");
    let health = world
        .http
        .get(format!("{}/health_check", world.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "liveness does not follow dependencies");
    let health: Value = health.json().await.unwrap();
    assert_eq!(health, serde_json::json!({"success": true, "reason": "Healthy"}));
    dependency.restart(&mut world, port_of(&url)).await;
    ready_becomes(&world, 200).await;
    world
}

#[tokio::test(flavor = "multi_thread")]
async fn ready_follows_looker_going_down_and_back() {
    let world = World::start().await;
    let unreachable = |scrape: &Scrape| total(scrape, "lookerbot_looker_calls_total", &[("outcome", "unreachable")]);
    let before = unreachable(&scrape(&world).await);
    let world = readiness_follows(Dependency::Looker, world).await;
    assert!(
        unreachable(&scrape(&world).await) > before,
        "the failed Looker calls are counted by kind"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ready_follows_slack_going_down_and_back_in_events_api_mode() {
    let world = readiness_follows(Dependency::Slack, World::start().await).await;
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ready_follows_the_socket_mode_connection_going_down_and_back() {
    let app_token = SimConfig::default().app_token;
    let world = World::start_with(&[("SLACK_APP_TOKEN", &app_token), ("SLACK_MODE", "socket")]).await;
    ready_becomes(&world, 200).await;
    assert_eq!(total(&scrape(&world).await, "lookerbot_slack_connected", &[]), 1.0);
    let world = readiness_follows(Dependency::Slack, world).await;
    assert_eq!(total(&scrape(&world).await, "lookerbot_slack_connected", &[]), 1.0);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lookersdk_timeout_bounds_looker_calls() {
    let world = World::start_with(&[("LOOKERSDK_TIMEOUT", "1")]).await;
    world.sandbox.set_latency(Duration::from_millis(1500));
    world.dm("find orders").await;
    let answer = world.messages(1).await;
    let text = answer.iter().map(all_text).collect::<Vec<_>>().join("\n");
    assert!(text.contains("within 1 seconds"), "{text}");
    world.stop().await;
}
