//! Bulkheads: a hung Looker holds at most its own delivery slots, messages that need no Looker call never wait
//! behind it, and once its circuit breaker opens the channels of its deliveries are told, once each.

use crate::common;
use crate::pushes_support;

use std::time::Duration;

use common::{GENERAL, World, all_text, options};
use looker_sandbox::content;
use pushes_support::{look_webhook, message_where, push};
use serde_json::json;

const DELIVERIES: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_looker_holds_up_no_message_and_its_channels_are_told_once() {
    let mut start = options();
    start.looker.timeout = Duration::from_secs(3);
    start.looker.query_timeout = Duration::from_secs(3);
    start.looker.breaker_open_for = Duration::from_secs(2);
    let world = World::start_with_options(&[], start).await;
    world.sandbox.set_latency(Duration::from_secs(3600));

    for n in 0..DELIVERIES {
        let mut plan = look_webhook(&world, content::SINGLE_VALUE_LOOK_ID);
        plan["scheduled_plan"]["title"] = json!(format!("Hung {n}"));
        plan["scheduled_plan"]["filters_differ_from_look"] = json!(true);
        let (status, answer) = push(&world, "/slack/post/channel/general", &plan).await;
        assert_eq!(status, 200, "{answer}");
    }
    let message = json!({"form_params": {"message": "not behind Looker", "channel": "general"}});
    let (status, answer) = push(&world, "/data_actions", &message).await;
    assert_eq!(status, 200, "{answer}");
    // Posted while every delivery of the hung Looker still waits on it (its calls time out after 3 s).
    message_where(&world, |m| m.text.as_deref() == Some("not behind Looker")).await;
    let scheduled = |world: &World| {
        world
            .sim
            .messages()
            .iter()
            .filter(|m| m.method == "chat.postMessage" && all_text(m).contains("Hung "))
            .count()
    };
    assert_eq!(scheduled(&world), 0);
    assert!(
        world.content_calls() <= endpoints::DELIVERIES_PER_LOOKER as u64,
        "{} deliveries are waiting on Looker at once",
        world.content_calls()
    );

    // The breaker opens: each delivery's channel gets one warning saying Looker is down.
    let warned = |world: &World| {
        world
            .sim
            .messages()
            .iter()
            .filter(|m| m.channel == GENERAL && all_text(m).contains(":warning:"))
            .map(all_text)
            .collect::<Vec<_>>()
    };
    pushes_support::eventually("a channel is told its Looker is down", || !warned(&world).is_empty()).await;
    for warning in warned(&world) {
        assert!(warning.contains("is not answering"), "{warning}");
        assert!(
            warning.contains(world.sandbox.web_url().as_str().trim_end_matches('/')),
            "{warning}"
        );
    }

    // Looker is back: every delivery arrives, and no channel was warned twice for one delivery.
    world.sandbox.set_latency(Duration::ZERO);
    pushes_support::eventually("every delivery arrived", || scheduled(&world) == DELIVERIES).await;
    assert!(warned(&world).len() <= DELIVERIES, "{:#?}", warned(&world));
    world.stop().await;
}
