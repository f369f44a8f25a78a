//! The response_url stand-in.

mod common;

use common::start;
use serde_json::{Value, json};

#[tokio::test]
async fn response_url_posts_are_recorded() {
    let sim = start().await;
    let url = sim.response_url("cmd-1");
    let blocks = json!([{ "type": "section", "text": { "type": "mrkdwn", "text": "done" } }]);
    let body = json!({ "response_type": "in_channel", "text": "done", "blocks": blocks, "replace_original": true });
    let response = common::client().post(&url).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["ok"], true);

    let in_channel = sim.response_url_in("cmd-2", "C0GENERAL");
    common::client()
        .post(&in_channel)
        .json(&json!({ "text": "second" }))
        .send()
        .await
        .unwrap();

    let messages = sim.messages();
    assert_eq!(messages.len(), 2);
    let first = &messages[0];
    assert_eq!(first.method, "response_url");
    assert_eq!(first.text.as_deref(), Some("done"));
    assert_eq!(first.blocks.as_ref(), Some(&blocks));
    assert_eq!(first.response_type.as_deref(), Some("in_channel"));
    assert_eq!(first.replace_original, Some(true));
    assert_eq!(messages[1].channel, "C0GENERAL");
    assert_eq!(messages[1].response_type, None);
}

#[tokio::test]
async fn response_url_refuses_bad_payloads_and_accepts_delete() {
    let sim = start().await;
    let url = sim.response_url("cmd-3");
    let client = common::client();
    let not_json = client.post(&url).body("text=hi").send().await.unwrap();
    assert_eq!(not_json.status(), 400);
    let empty = client
        .post(&url)
        .json(&json!({ "response_type": "ephemeral" }))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 400);
    assert_eq!(empty.text().await.unwrap(), "no_text");
    let delete = client
        .post(&url)
        .json(&json!({ "delete_original": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 200);
    assert_eq!(sim.messages().len(), 1);

    sim.rate_limit("response_url", 1, 2);
    let limited = client.post(&url).json(&json!({ "text": "x" })).send().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "2");
}

#[tokio::test]
async fn every_call_leaves_a_timed_span_named_by_what_was_called() {
    let sim = start().await;
    let before = std::time::Instant::now();
    common::client()
        .post(sim.response_url("cmd-1"))
        .json(&json!({ "text": "done" }))
        .send()
        .await
        .unwrap();
    common::call(&sim, "auth.test", &[]).await;
    let spans = sim.handler_spans();
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["response_url", "auth.test"]);
    assert!(spans.iter().all(|s| before <= s.start && s.start <= s.end));
    assert_eq!(sim.handler_span_count(), 2);
    sim.clear_handler_spans();
    sim.clear_messages();
    assert_eq!(sim.handler_span_count(), 0);
    assert!(sim.messages().is_empty());
}

#[tokio::test]
async fn waiting_for_spans_returns_once_they_are_recorded_or_after_the_timeout() {
    let sim = start().await;
    let patience = std::time::Duration::from_secs(5);
    let waiting = sim.wait_for_handler_spans(2, patience);
    let calls = async {
        common::call(&sim, "auth.test", &[]).await;
        common::call(&sim, "auth.test", &[]).await;
    };
    let (arrived, ()) = tokio::join!(waiting, calls);
    assert!(arrived, "two calls were recorded");
    let started = std::time::Instant::now();
    assert!(
        !sim.wait_for_handler_spans(3, std::time::Duration::from_millis(100))
            .await,
        "no third call came"
    );
    assert!(started.elapsed() < patience);
}
