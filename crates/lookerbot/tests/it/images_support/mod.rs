//! Helpers for the chart image tests: worlds whose bot stores images in an emulator, waiting for replies, and
//! reading what Slack and Looker were given.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use images::test_support as stores;
use images::test_support::azure_admin;
use looker_sandbox::content;
use serde_json::{Value, json};
use slack_sim::{PostedMessage, UploadedFile};

use crate::common::{ALICE, ALICE_DM, WEBHOOK_TOKEN, World};

/// Keys moto accepts (it accepts any); the secret must never appear in what people see.
pub const S3_ACCESS_KEY_ID: &str = "AKIDLOOKERBOTE2E";
pub const S3_SECRET: &str = "s3-secret-never-shown-e2e";

/// How long a test waits for the bot before failing.
const PATIENCE: Duration = Duration::from_secs(15);

/// Must run before the first HTTP client is built (bucket creation comes before the world); also starts
/// capturing the bot's log (see [`logs`]).
pub fn init() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    static CAPTURING: OnceLock<()> = OnceLock::new();
    CAPTURING.get_or_init(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| LogWriter)
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// Everything logged since [`init`] by any test of this binary (search it for something only your test logs).
pub fn logs() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A world whose bot stores chart images in `bucket` on moto.
pub async fn s3_world(bucket: &str) -> World {
    World::start_with(&[
        ("SLACKBOT_S3_BUCKET", bucket),
        ("SLACKBOT_S3_ENDPOINT", stores::s3_endpoint()),
        ("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", S3_SECRET),
    ])
    .await
}

/// A world whose bot stores chart images in `container` on Azurite, signing with `key`.
pub async fn azure_world(container: &str, key: &str) -> World {
    World::start_with(&[
        ("AZURE_STORAGE_ACCOUNT", azure_admin::ACCOUNT),
        ("SLACKBOT_AZURE_CONTAINER", container),
        ("AZURE_STORAGE_ACCESS_KEY", key),
        ("AZURE_STORAGE_ENDPOINT", stores::azure_endpoint()),
    ])
    .await
}

/// A world whose bot stores chart images in `bucket` on the GCS emulator.
pub async fn gcs_world(bucket: &str) -> World {
    World::start_with(&[
        ("GOOGLE_CLOUD_BUCKET", bucket),
        ("GOOGLE_CLOUD_PROJECT", stores::GCS_PROJECT),
        ("GOOGLE_CLOUD_CREDENTIALS_JSON", stores::GCS_EMULATOR_CREDENTIALS),
        ("GOOGLE_CLOUD_STORAGE_ENDPOINT", stores::gcs_endpoint()),
    ])
    .await
}

/// Every request the bot made to Looker followed the API spec.
pub fn assert_spec_followed(world: &World) {
    let violations = world.sandbox.violations();
    assert!(violations.is_empty(), "{violations:#?}");
}

/// The link of the sandbox's column-chart Look.
pub fn chart_look_link(world: &World) -> String {
    format!("{}/looks/{}", world.sandbox.web_url(), content::COLUMN_LOOK_ID)
}

/// The query behind the column-chart Look (the sandbox gives each Look the query of its own id).
pub const CHART_QUERY_ID: &str = content::COLUMN_LOOK_ID;

/// Polls `probe` until it gives something; fails the test after a while, saying what was awaited.
pub async fn wait_for<T>(world: &World, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "waited {PATIENCE:?} for {what}; Slack received {:#?}",
            world.sim.messages()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The first file uploaded into Slack, once there is one.
pub async fn first_upload(world: &World, what: &str) -> UploadedFile {
    wait_for(world, what, || world.sim.files().into_iter().next()).await
}

/// The first message Slack holds that satisfies `matches` (messages updated in place count in their last state).
pub async fn message_where(world: &World, what: &str, matches: impl Fn(&PostedMessage) -> bool) -> PostedMessage {
    wait_for(world, what, || world.sim.messages().into_iter().find(|m| matches(m))).await
}

/// Whether a message has a block of this type.
pub fn has_block(message: &PostedMessage, block_type: &str) -> bool {
    blocks(message).iter().any(|b| b["type"] == block_type)
}

/// The `image_url`s of a message's image blocks.
pub fn image_urls(message: &PostedMessage) -> Vec<String> {
    blocks(message)
        .iter()
        .filter(|b| b["type"] == "image")
        .filter_map(|b| b["image_url"].as_str().map(str::to_owned))
        .collect()
}

fn blocks(message: &PostedMessage) -> Vec<Value> {
    message
        .blocks
        .as_ref()
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Width and height from a PNG's header.
pub fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 24, "not a PNG");
    let number = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().expect("four bytes"));
    (number(16), number(20))
}

static NEXT_EVENT: AtomicU64 = AtomicU64::new(1);

/// Alice writes `text` to the bot in a thread of her DM (Events API).
pub async fn dm_in_thread(world: &World, text: &str, thread_ts: &str) -> reqwest::Response {
    let n = NEXT_EVENT.fetch_add(1, Ordering::SeqCst);
    let ts = format!("1700000100.{n:06}");
    let body = json!({
        "token": "unused", "team_id": "T0SIM", "api_app_id": "A0SIM", "type": "event_callback",
        "event_id": format!("EvImg{n:08}"), "event_time": 1_700_000_100,
        "event": {"type": "message", "channel": ALICE_DM, "user": ALICE, "text": text, "ts": ts,
                  "thread_ts": thread_ts, "event_ts": ts, "channel_type": "im"}
    });
    world
        .post_signed("/slack/events", "application/json", body.to_string())
        .await
}

/// Looker delivering a scheduled plan to `#channel`, with the webhook token.
pub async fn deliver_plan(world: &World, channel: &str, plan: Value) -> reqwest::Response {
    world
        .http
        .post(format!("{}/slack/post/channel/{channel}", world.url))
        .header("x-looker-webhook-token", WEBHOOK_TOKEN)
        .json(&json!({ "type": "scheduled_plan", "scheduled_plan": plan }))
        .send()
        .await
        .expect("the bot answers the webhook")
}

/// Creates, through the sandbox's API, a column chart whose query cannot run; returns its share slug.
pub async fn failing_chart_slug(world: &World) -> String {
    let query = json!({
        "model": "thelook", "view": "order_items", "fields": ["order_items.no_such_field"],
        "vis_config": {"type": "looker_column"}
    });
    crate::common::create_query(world, query).await
}
