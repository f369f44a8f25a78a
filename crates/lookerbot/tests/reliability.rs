//! Nothing lost, nothing let in: the `lookerbot` binary killed and stopped mid-delivery, Looker and Slack failing
//! under the bot, and bounds on what a caller can make it hold.

mod common;
mod reliability_support;

use std::collections::BTreeMap;
use std::time::Duration;

use reliability_support::Peers;

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
