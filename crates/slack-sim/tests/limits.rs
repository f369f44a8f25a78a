//! Slack's documented usage limits, on by default: chat.postMessage per channel (burst, then 429 with
//! Retry-After), 5 posts per response_url within its lifetime, and the largest upload.

mod common;

use std::time::Duration;

use common::{call, client, start, start_with};
use serde_json::json;
use slack_sim::{PostRate, SimConfig};

#[tokio::test]
async fn posts_past_a_channels_burst_get_429_with_retry_after() {
    let sim = start_with(SimConfig {
        post_rate: Some(PostRate {
            burst: 3,
            interval: Duration::from_secs(60),
        }),
        ..SimConfig::default()
    })
    .await;
    for i in 0..3 {
        let (status, body) = call(&sim, "chat.postMessage", &[("channel", "C0GENERAL"), ("text", "hi")]).await;
        assert_eq!((status.as_u16(), body["ok"].as_bool()), (200, Some(true)), "post {i}");
    }
    let response = client()
        .post(format!("{}chat.postMessage", sim.api_url()))
        .bearer_auth(sim.bot_token())
        .form(&[("channel", "C0GENERAL"), ("text", "one too many")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap()["error"],
        "ratelimited"
    );
    let (status, _) = call(&sim, "chat.postMessage", &[("channel", "C0ALERTS"), ("text", "hi")]).await;
    assert_eq!(status, 200, "another channel has its own allowance");
    let (status, _) = call(
        &sim,
        "chat.postEphemeral",
        &[("channel", "C0GENERAL"), ("user", "U0ALICE"), ("text", "hi")],
    )
    .await;
    assert_eq!(status, 200, "only chat.postMessage has the per-channel limit");
    assert_eq!(
        sim.messages()
            .iter()
            .filter(|m| m.text.as_deref() == Some("one too many"))
            .count(),
        0
    );
}

#[tokio::test]
async fn the_default_limit_is_slacks() {
    let config = SimConfig::default();
    let rate = config.post_rate.expect("on by default");
    assert_eq!(
        (rate.burst, rate.interval),
        (8, Duration::from_secs(1)),
        "short bursts, then one a second"
    );
    assert_eq!(
        (config.response_url_uses, config.response_url_lifetime),
        (5, Duration::from_secs(1800))
    );
}

#[tokio::test]
async fn a_response_url_takes_five_posts_and_then_refuses() {
    let sim = start().await;
    let url = sim.response_url_in("cmd-limit", "C0GENERAL");
    for i in 0..5 {
        let response = client()
            .post(&url)
            .json(&json!({ "text": format!("answer {i}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "use {i}");
    }
    let sixth = client()
        .post(&url)
        .json(&json!({ "text": "answer 5" }))
        .send()
        .await
        .unwrap();
    assert_eq!(sixth.status(), 404);
    assert_eq!(sixth.text().await.unwrap(), "used_url");
    assert_eq!(sim.messages().len(), 5, "the refused post is not shown");
    let other = sim.response_url("cmd-other");
    let response = client()
        .post(&other)
        .json(&json!({ "text": "hi" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "each command has its own five");
}

#[tokio::test]
async fn a_response_url_expires() {
    let sim = start_with(SimConfig {
        response_url_lifetime: Duration::from_millis(50),
        ..SimConfig::default()
    })
    .await;
    let url = sim.response_url("cmd-expiring");
    let first = client()
        .post(&url)
        .json(&json!({ "text": "in time" }))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let late = client()
        .post(&url)
        .json(&json!({ "text": "too late" }))
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 404);
    assert_eq!(late.text().await.unwrap(), "expired_url");
}

#[tokio::test]
async fn uploads_over_the_size_limit_are_refused() {
    let sim = start_with(SimConfig {
        max_upload_bytes: 1000,
        ..SimConfig::default()
    })
    .await;
    let (_, body) = call(
        &sim,
        "files.getUploadURLExternal",
        &[("filename", "big.png"), ("length", "1001")],
    )
    .await;
    assert_eq!(body["error"], "file_upload_size_restricted");
    let (_, body) = call(
        &sim,
        "files.getUploadURLExternal",
        &[("filename", "ok.png"), ("length", "1000")],
    )
    .await;
    assert_eq!(body["ok"], true);
    assert_eq!(SimConfig::default().max_upload_bytes, 1_000_000_000);
}

#[tokio::test]
async fn a_second_table_in_one_message_is_refused() {
    let sim = start().await;
    let table = json!({"type": "table", "rows": [[{"type": "raw_text", "text": "a"}]]});
    let blocks = json!([table, table]).to_string();
    let (_, body) = call(
        &sim,
        "chat.postMessage",
        &[("channel", "C0GENERAL"), ("blocks", blocks.as_str())],
    )
    .await;
    assert_eq!(body["error"], "invalid_blocks");
    assert!(body.to_string().contains("only one table"), "{body}");
}
