//! conversations.history and message metadata as Slack has them: metadata stored with a post and shown only when
//! asked for, a history scope per conversation type, pages no larger than the tier allows, the tier's rate; and a
//! late answer that takes effect at once.

mod common;

use std::time::Duration;

use common::{call, call_json, client, documented_example, missing_keys, start, start_with};
use serde_json::{Value, json};
use slack_sim::{HistoryLimits, PostRate, SimConfig, default_bot_scopes};

const MARK: &str = r#"{"event_type":"lookerbot_delivery","event_payload":{"delivery":"7-1"}}"#;

async fn history(sim: &slack_sim::SlackSim, args: &[(&str, &str)]) -> Value {
    let (status, body) = call(sim, "conversations.history", args).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn texts(body: &Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no messages in {body}"))
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn metadata_is_kept_with_a_post_and_shown_only_when_asked_for() {
    let sim = start().await;
    let posted = call_json(
        &sim,
        "chat.postMessage",
        json!({ "channel": "C0GENERAL", "text": "marked", "metadata": serde_json::from_str::<Value>(MARK).unwrap() }),
    )
    .await;
    assert_eq!(posted["ok"], true, "{posted}");
    assert!(
        posted["message"].get("metadata").is_none(),
        "the post's echo has no metadata"
    );
    let (_, form_post) = call(
        &sim,
        "chat.postMessage",
        &[("channel", "C0GENERAL"), ("text", "form"), ("metadata", MARK)],
    )
    .await;
    assert_eq!(
        form_post["ok"], true,
        "a form carries metadata as a JSON string: {form_post}"
    );

    let plain = history(&sim, &[("channel", "C0GENERAL")]).await;
    assert_eq!(texts(&plain), ["form", "marked"], "newest first");
    assert!(plain["messages"][0].get("metadata").is_none(), "{plain}");
    let with = history(&sim, &[("channel", "C0GENERAL"), ("include_all_metadata", "true")]).await;
    assert_eq!(with["messages"][1]["metadata"]["event_payload"]["delivery"], "7-1");
    assert_eq!(with["messages"][1]["metadata"]["event_type"], "lookerbot_delivery");
    let documented = documented_example("conversations.history", "success");
    assert_eq!(missing_keys(&documented, &with), Vec::<String>::new());

    for (bad, error) in [
        ("{not json", "invalid_metadata_format"),
        (r#"{"event_type":"x"}"#, "invalid_metadata_schema"),
        (
            r#"{"event_type":"x","event_payload":"text"}"#,
            "invalid_metadata_schema",
        ),
    ] {
        let (_, body) = call(
            &sim,
            "chat.postMessage",
            &[("channel", "C0GENERAL"), ("text", "t"), ("metadata", bad)],
        )
        .await;
        assert_eq!(body["error"], error, "{bad}: {body}");
    }
}

#[tokio::test]
async fn oldest_latest_and_limit_bound_the_page_and_cursors_go_on() {
    let sim = start_with(SimConfig {
        post_rate: None,
        ..SimConfig::default()
    })
    .await;
    let mut stamps = Vec::new();
    for i in 0..5 {
        let (_, body) = call(
            &sim,
            "chat.postMessage",
            &[("channel", "G0PRIVATE"), ("text", &i.to_string())],
        )
        .await;
        stamps.push(body["ts"].as_str().unwrap().to_owned());
    }
    let after_first = history(&sim, &[("channel", "G0PRIVATE"), ("oldest", &stamps[0])]).await;
    assert_eq!(texts(&after_first), ["4", "3", "2", "1"], "oldest is exclusive");
    let between = history(
        &sim,
        &[
            ("channel", "G0PRIVATE"),
            ("oldest", &stamps[1]),
            ("latest", &stamps[3]),
            ("inclusive", "true"),
        ],
    )
    .await;
    assert_eq!(texts(&between), ["3", "2", "1"]);

    let first = history(&sim, &[("channel", "G0PRIVATE"), ("limit", "2")]).await;
    assert_eq!(texts(&first), ["4", "3"]);
    assert_eq!(first["has_more"], true);
    let cursor = first["response_metadata"]["next_cursor"].as_str().unwrap().to_owned();
    let rest = history(&sim, &[("channel", "G0PRIVATE"), ("limit", "10"), ("cursor", &cursor)]).await;
    assert_eq!(texts(&rest), ["2", "1", "0"]);
    assert_eq!(rest["has_more"], false);

    let (_, bad) = call(
        &sim,
        "conversations.history",
        &[("channel", "G0PRIVATE"), ("oldest", "soon")],
    )
    .await;
    assert_eq!(bad["error"], "invalid_ts_oldest");
}

#[tokio::test]
async fn a_non_marketplace_app_gets_pages_of_15_and_one_call_a_minute() {
    let sim = start_with(SimConfig {
        post_rate: None,
        history: HistoryLimits::NON_MARKETPLACE,
        ..SimConfig::default()
    })
    .await;
    for i in 0..20 {
        call(
            &sim,
            "chat.postMessage",
            &[("channel", "C0GENERAL"), ("text", &i.to_string())],
        )
        .await;
    }
    let page = history(&sim, &[("channel", "C0GENERAL"), ("limit", "200")]).await;
    assert_eq!(texts(&page).len(), 15, "the page is cut to 15 whatever was asked");
    assert_eq!(page["has_more"], true);
    let response = client()
        .post(format!("{}conversations.history", sim.api_url()))
        .bearer_auth(sim.bot_token())
        .form(&[("channel", "C0GENERAL")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((50..=60).contains(&retry_after), "{retry_after}");
}

#[tokio::test]
async fn tier_3_allows_a_burst_of_50_then_answers_429() {
    let sim = start_with(SimConfig {
        history: HistoryLimits {
            rate: Some(PostRate {
                burst: 3,
                interval: Duration::from_secs(60),
            }),
            ..HistoryLimits::TIER_3
        },
        ..SimConfig::default()
    })
    .await;
    for _ in 0..3 {
        history(&sim, &[("channel", "C0GENERAL")]).await;
    }
    let (status, body) = call(&sim, "conversations.history", &[("channel", "C0GENERAL")]).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (429, Some("ratelimited")));
}

#[tokio::test]
async fn each_conversation_type_needs_its_own_history_scope_and_membership() {
    let scopes: Vec<String> = default_bot_scopes()
        .into_iter()
        .filter(|s| s != "groups:history")
        .collect();
    let sim = start_with(SimConfig {
        scopes,
        ..SimConfig::default()
    })
    .await;
    let (_, private) = call(&sim, "conversations.history", &[("channel", "G0PRIVATE")]).await;
    assert_eq!(private["error"], "missing_scope", "{private}");
    assert_eq!(private["needed"], "groups:history");
    history(&sim, &[("channel", "C0GENERAL")]).await;
    let (_, outside) = call(&sim, "conversations.history", &[("channel", "C0RANDOM")]).await;
    assert_eq!(outside["error"], "not_in_channel", "{outside}");
}

#[tokio::test]
async fn a_late_answer_takes_effect_before_the_client_gives_up() {
    let sim = start().await;
    sim.answer_late("chat.postMessage", 1, Duration::from_secs(30));
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let sent = impatient
        .post(format!("{}chat.postMessage", sim.api_url()))
        .bearer_auth(sim.bot_token())
        .form(&[("channel", "C0GENERAL"), ("text", "slow but there")])
        .send()
        .await;
    assert!(sent.is_err_and(|e| e.is_timeout()), "the answer did not come in time");
    let seen = history(&sim, &[("channel", "C0GENERAL")]).await;
    assert_eq!(texts(&seen), ["slow but there"], "the post was accepted all the same");
    let (_, next) = call(
        &sim,
        "chat.postMessage",
        &[("channel", "C0GENERAL"), ("text", "on time")],
    )
    .await;
    assert_eq!(next["ok"], true, "only the one call was late");
}
