//! A delivery posted once where Slack lets the bot tell: its message carries the delivery's mark in metadata, and
//! an attempt after one whose post went unanswered looks in the conversation's history first.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bot::failure::Failure;
use bot::reply::Reply;
use bot::sink::{ChatSink, DeliveryMark, Destination};
use common::{fast_config, web_with};
use slack::directory::Directory;
use slack::sink::{DELIVERY_EVENT_TYPE, SlackSink};
use slack_sim::{SimConfig, SlackSim, default_bot_scopes};

async fn sim_with_scopes(scopes: Vec<String>) -> SlackSim {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    SlackSim::start(SimConfig {
        scopes,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

fn sink_with(sim: &SlackSim, config: slack::web::WebConfig) -> SlackSink {
    let web = web_with(sim, config);
    SlackSink::new(web.clone(), Arc::new(Directory::new(web, Duration::from_secs(60))))
}

/// A sink whose Slack calls give up after 300 ms.
fn impatient_sink(sim: &SlackSim) -> SlackSink {
    let config = slack::web::WebConfig {
        timeout: Duration::from_millis(300),
        ..fast_config()
    };
    sink_with(sim, config)
}

fn mark(id: &str, look_first: bool) -> DeliveryMark {
    DeliveryMark {
        id: id.into(),
        stored_at: SystemTime::now(),
        look_first,
    }
}

fn posts(sim: &SlackSim) -> Vec<slack_sim::PostedMessage> {
    sim.messages()
        .into_iter()
        .filter(|m| m.method == "chat.postMessage")
        .collect()
}

#[tokio::test]
async fn a_post_slack_answers_too_late_is_found_by_the_next_attempt_and_not_posted_again() {
    let sim = sim_with_scopes(default_bot_scopes()).await;
    let sink = impatient_sink(&sim);
    let to = Destination::Channel("#alerts".into());
    sim.answer_late("chat.postMessage", 1, Duration::from_secs(3));

    let first = sink
        .post_delivery(&to, &Reply::text("Weekly revenue"), &mark("41-7", false))
        .await
        .expect_err("the answer came after the timeout");
    assert!(first.is_retryable(), "{first}");
    assert!(Failure::is_outcome_unknown(&first.message), "{first}");
    let landed = posts(&sim);
    assert_eq!(landed.len(), 1, "Slack took the post all the same");
    let metadata = landed[0].metadata.clone().expect("the post carries the mark");
    assert_eq!(metadata["event_type"], DELIVERY_EVENT_TYPE);
    assert_eq!(metadata["event_payload"]["delivery"], "41-7");

    let again = sink
        .post_delivery(&to, &Reply::text("Weekly revenue"), &mark("41-7", true))
        .await
        .unwrap()
        .expect("the message found");
    assert_eq!(again.message, landed[0].ts);
    assert_eq!(posts(&sim).len(), 1, "not posted twice");
    let looked = sim.calls_to("conversations.history");
    assert_eq!(looked.len(), 1);
    assert_eq!(looked[0].args["include_all_metadata"], "true");
    assert_eq!(looked[0].args["channel"], "C0ALERTS");
    assert!(
        looked[0].args["oldest"].as_str().is_some_and(|t| t.contains('.')),
        "{:?}",
        looked[0].args
    );
}

#[tokio::test]
async fn another_deliverys_mark_or_none_found_means_posting() {
    let sim = sim_with_scopes(default_bot_scopes()).await;
    let sink = impatient_sink(&sim);
    let to = Destination::Channel("#alerts".into());
    sink.post_delivery(&to, &Reply::text("one"), &mark("1-5", false))
        .await
        .unwrap();
    sink.post(&to, &Reply::text("unmarked")).await.unwrap();
    sink.post_delivery(&to, &Reply::text("two"), &mark("2-5", true))
        .await
        .unwrap();
    assert_eq!(posts(&sim).len(), 3, "delivery 2 was not there yet");
    assert_eq!(sim.calls_to("conversations.history").len(), 1);
}

#[tokio::test]
async fn a_direct_message_is_looked_for_in_the_dm() {
    let sim = sim_with_scopes(default_bot_scopes()).await;
    let sink = impatient_sink(&sim);
    let to = Destination::Person("U0ALICE".into());
    sink.post_delivery(&to, &Reply::text("for alice"), &mark("3-5", false))
        .await
        .unwrap();
    sink.post_delivery(&to, &Reply::text("for alice"), &mark("3-5", true))
        .await
        .unwrap();
    assert_eq!(posts(&sim).len(), 1);
    let looked = sim.calls_to("conversations.history");
    assert!(
        looked[0].args["channel"].as_str().unwrap().starts_with('D'),
        "{:?}",
        looked[0].args
    );
}

#[tokio::test]
async fn without_the_history_scope_a_repeat_is_posted_again_not_failed() {
    let scopes = default_bot_scopes()
        .into_iter()
        .filter(|s| s != "groups:history")
        .collect();
    let sim = sim_with_scopes(scopes).await;
    let sink = impatient_sink(&sim);
    let to = Destination::Channel("secret-plans".into());
    sink.post_delivery(&to, &Reply::text("psst"), &mark("4-5", false))
        .await
        .unwrap();
    sink.post_delivery(&to, &Reply::text("psst"), &mark("4-5", true))
        .await
        .expect("a history the bot may not read does not fail the delivery");
    assert_eq!(posts(&sim).len(), 2, "at least once");
    let looked = sim.calls_to("conversations.history");
    assert_eq!(looked[0].response["error"], "missing_scope");
}

#[tokio::test]
async fn a_history_slack_cannot_show_now_is_tried_again_later_without_posting() {
    let sim = sim_with_scopes(default_bot_scopes()).await;
    let sink = impatient_sink(&sim);
    let to = Destination::Channel("#alerts".into());
    sim.fail("conversations.history", 1, 503);
    let failure = sink
        .post_delivery(&to, &Reply::text("later"), &mark("5-5", true))
        .await
        .expect_err("Slack could not say");
    assert!(failure.is_retryable(), "{failure}");
    assert!(
        Failure::is_outcome_unknown(&failure.message),
        "the next attempt looks again: {failure}"
    );
    assert!(posts(&sim).is_empty());
}

#[tokio::test]
async fn an_app_outside_the_marketplace_looks_once_a_minute_and_waits_rather_than_posting_twice() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let sim = SlackSim::start(SimConfig {
        history: slack_sim::HistoryLimits::NON_MARKETPLACE,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let sink = impatient_sink(&sim);
    let to = Destination::Channel("#alerts".into());
    sink.post_delivery(&to, &Reply::text("first"), &mark("6-5", false))
        .await
        .unwrap();
    let found = sink
        .post_delivery(&to, &Reply::text("first"), &mark("6-5", true))
        .await
        .unwrap();
    assert!(found.is_some(), "the one look a minute found it");
    let waiting = sink
        .post_delivery(&to, &Reply::text("second"), &mark("7-5", true))
        .await
        .expect_err("the next look must wait a minute, longer than the client waits out");
    assert!(
        waiting.is_retryable() && Failure::is_outcome_unknown(&waiting.message),
        "{waiting}"
    );
    assert_eq!(posts(&sim).len(), 1, "nothing posted without a look");
}

#[tokio::test]
async fn a_mark_older_than_ten_pages_of_history_is_not_found_and_the_delivery_is_posted() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let sim = SlackSim::start(SimConfig {
        post_rate: None,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    // Pages of 2 messages: ten pages hold 20.
    let config = slack::web::WebConfig {
        page_size: 2,
        ..fast_config()
    };
    let sink = sink_with(&sim, config);
    let to = Destination::Channel("#alerts".into());
    sink.post_delivery(&to, &Reply::text("marked"), &mark("8-5", false))
        .await
        .unwrap();
    for n in 0..21 {
        sink.post(&to, &Reply::text(format!("chatter {n}"))).await.unwrap();
    }
    sink.post_delivery(&to, &Reply::text("marked"), &mark("8-5", true))
        .await
        .expect("posted, at least once");
    assert_eq!(
        sim.calls_to("conversations.history").len(),
        slack::web::MAX_HISTORY_PAGES
    );
    assert_eq!(posts(&sim).len(), 23, "posted again");
}
