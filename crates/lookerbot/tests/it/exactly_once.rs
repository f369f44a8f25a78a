//! A slow Slack (finding 5 of issue 16): a Slack that takes a post but answers after the bot's timeout no longer gets
//! the delivery twice, because the retry looks in the channel's history for the delivery's mark first (exactly once
//! where Slack lets the bot tell); without the history scope the delivery still arrives, at least once; and
//! deliveries waiting on Slack do not hold their Looker's slots.

use crate::common;
use crate::reliability_support;

use std::time::{Duration, Instant};

use looker_sandbox::{Sandbox, SandboxConfig};
use reliability_support::{CHANNELS, Peers, channel, channel_id, channel_name, start_in_process};
use slack_sim::{SimConfig, SlackSim, default_bot_scopes};

/// Peers whose Slack workspace is configured by `sim_config`.
async fn peers_with(sim_config: SimConfig) -> Peers {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let sim = SlackSim::start(sim_config).await.unwrap();
    for n in 0..CHANNELS {
        sim.add_channel(channel(&channel_id(n), &channel_name(n)));
    }
    Peers {
        sandbox: Sandbox::start(SandboxConfig::default()).await.unwrap(),
        sim,
        data: tempfile::tempdir().unwrap(),
        http: reqwest::Client::new(),
        database_url: None,
    }
}

/// Peers whose Slack app was granted every scope the bot asks for but `scope`.
async fn peers_without(scope: &str) -> Peers {
    let scopes = default_bot_scopes().into_iter().filter(|s| s != scope).collect();
    peers_with(SimConfig {
        scopes,
        ..SimConfig::default()
    })
    .await
}

/// A bot whose Slack calls give up after one second.
async fn impatient_bot(peers: &Peers) -> lookerbot::serve::RunningBot {
    let mut options = common::options();
    options.slack.timeout = Duration::from_secs(1);
    start_in_process(peers, options, &[]).await
}

/// Waits up to `timeout` until the queue reports `done` deliveries done (read with `lookerbot deliveries`); its
/// summary line.
async fn wait_until_done(peers: &Peers, done: usize, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let (status, out) = peers.deliveries(&[]);
        assert!(status.success(), "{out}");
        let summary = out.lines().next().unwrap_or_default().to_owned();
        if summary.contains(&format!("{done} done")) || Instant::now() > deadline {
            return summary;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_slack_that_takes_posts_after_the_timeout_gets_each_delivery_once() {
    let peers = peers_with(SimConfig::default()).await;
    let bot = impatient_bot(&peers).await;
    // Slack takes each post at once but answers after 3 s, past the bot's 1 s (finding 5: 20 s past 15 s; scaled
    // down, since a delivery holds one of its Looker's 4 slots while it waits on Slack).
    peers.sim.answer_late("chat.postMessage", 20, Duration::from_secs(3));
    for number in 0..20 {
        assert_eq!(peers.post_delivery_at(bot.addr(), number).await.status(), 200);
    }
    let summary = wait_until_done(&peers, 20, Duration::from_secs(60)).await;
    assert!(
        summary.starts_with("0 pending, 0 running, 20 done, 0 failed"),
        "{summary}"
    );

    let mut delivered = peers.delivered_numbers();
    delivered.sort_unstable();
    assert_eq!(delivered, (0..20).collect::<Vec<_>>(), "each delivery exactly once");
    let posts = peers.sim.calls_to("chat.postMessage");
    assert_eq!(posts.len(), 20, "no post was made again");
    assert!(
        posts
            .iter()
            .all(|post| post.args["metadata"]["event_type"] == "lookerbot_delivery"),
        "every post carried its mark"
    );
    let looked = peers.sim.calls_to("conversations.history");
    assert!(
        looked.len() >= 20,
        "each retry looked before posting: {} looks",
        looked.len()
    );
    let metrics = common::get_text(&peers.http, &format!("http://{}/metrics", bot.addr())).await;
    let avoided: f64 = metrics
        .lines()
        .find_map(|line| line.strip_prefix("lookerbot_delivery_repeats_avoided_total "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(avoided >= 20.0, "counted on /metrics:\n{metrics}");
    bot.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_history_scope_a_slow_post_is_delivered_at_least_once_not_failed() {
    let peers = peers_without("channels:history").await;
    let bot = impatient_bot(&peers).await;
    peers.sim.answer_late("chat.postMessage", 1, Duration::from_secs(3));
    assert_eq!(peers.post_delivery_at(bot.addr(), 7).await.status(), 200);
    let summary = wait_until_done(&peers, 1, Duration::from_secs(30)).await;
    assert!(
        summary.starts_with("0 pending, 0 running, 1 done, 0 failed"),
        "{summary}"
    );
    assert_eq!(peers.delivered_numbers(), [7, 7], "posted again, as before this change");
    let refused = peers.sim.calls_to("conversations.history");
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].response["error"], "missing_scope");
    bot.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_posted_just_before_a_kill_9_is_not_posted_again_after_the_restart() {
    let peers = peers_with(SimConfig::default()).await;
    let bot = peers.spawn_bot().await;
    // Slack takes the post but is slow to say so; the bot dies meanwhile, before it could record the delivery done.
    peers.sim.answer_late("chat.postMessage", 1, Duration::from_secs(60));
    assert_eq!(peers.post_delivery(&bot, 3).await, 200);
    let posted = peers
        .wait_for_deliveries(Duration::from_secs(20), |numbers| numbers.contains(&3))
        .await;
    assert_eq!(posted, [3]);
    bot.kill_hard();

    let restarted = peers.spawn_bot().await;
    assert!(
        !restarted.log_text().contains("lacks history scopes"),
        "every history scope granted: {}",
        restarted.log_text()
    );
    let summary = wait_until_done(&peers, 1, Duration::from_secs(30)).await;
    assert!(
        summary.starts_with("0 pending, 0 running, 1 done, 0 failed"),
        "{summary}"
    );
    assert_eq!(peers.delivered_numbers(), [3], "found in the channel, not posted again");
    assert_eq!(peers.sim.calls_to("conversations.history").len(), 1);
    drop(restarted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_waiting_on_a_slow_slack_leave_their_looker_free_for_the_next() {
    let peers = peers_with(SimConfig::default()).await;
    let mut options = common::options();
    options.slack.timeout = Duration::from_secs(60);
    let bot = start_in_process(&peers, options, &[]).await;
    // Four posts wait 30 s for Slack's answer: as many as one Looker has delivery slots.
    peers.sim.answer_late("chat.postMessage", 4, Duration::from_secs(30));
    for number in 0..4 {
        assert_eq!(peers.post_delivery_at(bot.addr(), number).await.status(), 200);
    }
    peers
        .wait_for_deliveries(Duration::from_secs(20), |numbers| numbers.len() == 4)
        .await;
    assert_eq!(peers.post_delivery_at(bot.addr(), 4).await.status(), 200);
    let summary = wait_until_done(&peers, 1, Duration::from_secs(20)).await;
    assert!(
        summary.starts_with("0 pending, 4 running, 1 done"),
        "the fifth was read and posted while the four waited on Slack: {summary}"
    );
    bot.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_without_a_history_scope_says_so_when_it_starts() {
    let peers = peers_without("groups:history").await;
    let bot = peers.spawn_bot().await;
    let log = bot.log_text();
    let warning = log
        .lines()
        .find(|line| line.contains("lacks history scopes"))
        .unwrap_or_else(|| panic!("no warning in:\n{log}"));
    assert!(
        warning.contains("WARN") && warning.contains("groups:history"),
        "{warning}"
    );
    assert!(!warning.contains("channels:history"), "{warning}");
}
