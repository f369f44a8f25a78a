//! Nothing lost, nothing let in: the `lookerbot` binary killed and stopped mid-delivery, Looker and Slack failing
//! under the bot, and bounds on what a caller can make it hold.

mod common;
mod reliability_support;

use std::collections::BTreeMap;
use std::time::Duration;

use looker_sandbox::Fault;
use reliability_support::{Peers, channel_name};

/// How many scheduled deliveries the crash test sends.
const DELIVERIES: usize = 200;

/// How often each number occurs.
fn tally(numbers: &[usize]) -> BTreeMap<usize, usize> {
    let mut counts = BTreeMap::new();
    for n in numbers {
        *counts.entry(*n).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_accepted_before_a_kill_9_all_arrive_after_a_restart() {
    let peers = Peers::start(Duration::from_millis(200)).await;
    let bot = peers.spawn_bot().await;
    for number in 0..DELIVERIES {
        let status = peers.post_delivery(&bot, number).await;
        assert_eq!(status, 200, "delivery {number} refused; log:\n{}", bot.log_text());
    }
    let before = peers
        .wait_for_deliveries(Duration::from_secs(30), |n| n.len() >= 10)
        .await;
    bot.kill_hard();
    let at_kill = peers.delivered_numbers().len();
    assert!(
        (10..DELIVERIES).contains(&at_kill),
        "the kill must come while deliveries are pending ({at_kill} of {DELIVERIES} delivered, {} before)",
        before.len()
    );

    let restarted = peers.spawn_bot().await;
    let numbers = peers
        .wait_for_deliveries(Duration::from_secs(40), |n| tally(n).len() == DELIVERIES)
        .await;
    let counts = tally(&numbers);
    let missing: Vec<usize> = (0..DELIVERIES).filter(|n| !counts.contains_key(n)).collect();
    assert!(
        missing.is_empty(),
        "lost deliveries {missing:?}; queue: {}; log:\n{}",
        peers.deliveries(&["--limit", "3"]).1,
        restarted.log_text()
    );
    // At least once: only the deliveries in flight at the kill (one per worker at most) may arrive twice.
    let repeated: Vec<_> = counts.iter().filter(|(_, c)| **c > 1).collect();
    assert!(repeated.len() <= 4, "too many deliveries repeated: {repeated:?}");
    assert!(
        counts.values().all(|c| *c <= 2),
        "a delivery arrived more than twice: {repeated:?}"
    );

    // Every job is recorded done exactly once, whatever Slack saw.
    restarted.terminate();
    let (status, listing) = peers.deliveries(&["--limit", "1"]);
    assert!(status.success(), "{listing}");
    assert!(
        listing.starts_with(&format!("0 pending, 0 running, {DELIVERIES} done, 0 failed")),
        "{listing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deliveries_verb_lists_a_failed_delivery_with_its_reason_and_retries_it() {
    let peers = Peers::start(Duration::ZERO).await;
    let bot = peers.spawn_bot().await;
    // The Look's query is gone when the delivery runs: that will not get better by itself.
    peers.sandbox.inject_fault("query", Fault::Status(404), Some(1));
    assert_eq!(peers.post_delivery(&bot, 7).await, 200);
    let listing = wait_for_listing(&peers, &["--failed"], |out| out.contains(" 1 failed")).await;
    let line = listing.lines().find(|l| l.starts_with('#')).expect("the failed delivery is listed");
    assert!(line.contains("failed") && line.contains(&channel_name(7)), "{listing}");
    assert!(line.contains("— "), "the reason is shown: {line}");
    let id = line.trim_start_matches('#').split_whitespace().next().unwrap().to_string();

    // The operator fixes Looker and retries; the running bot delivers.
    let (status, out) = peers.deliveries(&["--retry", &id]);
    assert!(status.success(), "{out}");
    assert!(out.contains(&format!("Delivery {id} is queued again")), "{out}");
    let numbers = peers.wait_for_deliveries(Duration::from_secs(15), |n| !n.is_empty()).await;
    assert_eq!(numbers, vec![7], "the retried delivery arrives once; log:\n{}", bot.log_text());
    let listing = wait_for_listing(&peers, &[], |out| out.contains("1 done")).await;
    assert!(listing.contains("0 failed"), "{listing}");

    // Only failed deliveries can be retried, and the answer says why not.
    let (status, out) = peers.deliveries(&["--retry", &id]);
    assert!(!status.success(), "retrying a delivered delivery must fail: {out}");
    let (status, out) = peers.deliveries(&["--retry", "999999"]);
    assert!(!status.success(), "retrying an unknown id must fail: {out}");
}

/// Runs `lookerbot deliveries ARGS` until its output satisfies `done` (at most ten seconds); the last output.
async fn wait_for_listing(peers: &Peers, args: &[&str], done: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, out) = peers.deliveries(args);
        assert!(status.success(), "lookerbot deliveries failed: {out}");
        if done(&out) || std::time::Instant::now() > deadline {
            return out;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_delivery_exits_0_promptly_and_loses_nothing() {
    let peers = Peers::start(Duration::ZERO).await;
    let mut bot = peers.spawn_bot().await;
    peers.sim.set_latency(Duration::from_millis(1500));
    assert_eq!(peers.post_delivery(&bot, 1).await, 200);
    let started = std::time::Instant::now();
    while peers.sandbox.calls("run_query") == 0 {
        assert!(started.elapsed() < Duration::from_secs(10), "the delivery never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Looker has answered; the post to Slack is in flight.
    bot.terminate();
    let status = bot.wait_exit(Duration::from_secs(10)).await.expect("lookerbot exits within 10 s of SIGTERM");
    assert!(status.success(), "exit status {status:?}; log:\n{}", bot.log_text());
    peers.sim.set_latency(Duration::ZERO);

    let (_, listing) = peers.deliveries(&[]);
    let delivered = peers.delivered_numbers() == vec![1];
    if delivered {
        assert!(listing.starts_with("0 pending, 0 running, 1 done"), "{listing}");
    } else {
        // Abandoned in flight: still queued, and the next start delivers it.
        assert!(!listing.contains("1 done"), "{listing}");
        let _restarted = peers.spawn_bot().await;
        let numbers = peers.wait_for_deliveries(Duration::from_secs(10), |n| !n.is_empty()).await;
        assert_eq!(numbers, vec![1]);
    }
}
