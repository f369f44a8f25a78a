//! Bounded memory: whatever Looker sends, one answer costs the bot a bounded amount. Looker is asked only for the
//! rows a reply shows plus one, and a Looker that sends more anyway (200,000 rows, a 50 MB image) is cut off at the
//! bot's caps with a reason. Measured on the `lookerbot` binary as a child process, from `/proc`.

use crate::common;
use crate::reliability_support;

use std::time::Duration;

use looker_sandbox::{Fault, content};
use reliability_support::{Peers, channel_name};

const MB: u64 = 1024 * 1024;
/// What one answer may add to the bot's peak memory.
const BOUND: u64 = 50 * MB;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200000_row_answer_and_a_50_mb_image_stay_within_the_memory_bound() {
    let peers = Peers::start(Duration::ZERO).await;
    let bot = peers.spawn_bot().await;
    assert_eq!(peers.post_delivery(&bot, 0).await, 200);
    peers
        .wait_for_deliveries(Duration::from_secs(15), |n| n.contains(&0))
        .await;
    let before = bot.peak_memory();

    // A Looker that ignores the row limit and sends 200,000 rows.
    peers
        .sandbox
        .inject_fault("run_query", Fault::Oversized(200_000), Some(1));
    assert_eq!(peers.post_delivery(&bot, 1).await, 200);
    wait_for_refusal(&peers, &bot, 1).await;

    // A chart of 50 MB.
    peers
        .sandbox
        .inject_fault("run_query", Fault::Oversized(50 * MB as usize), Some(1));
    let chart = peers
        .sandbox
        .scheduled_look_webhook(content::COLUMN_LOOK_ID, "json")
        .unwrap();
    assert_eq!(peers.post_to(&bot, &channel_name(2), &chart).await, 200);
    wait_for_refusal(&peers, &bot, 2).await;

    let grown = bot.peak_memory().saturating_sub(before);
    assert!(grown < BOUND, "the bot's peak memory grew by {} MB", grown / MB);
}

/// Waits until the channel of delivery `number` is told Looker's answer was too large (or the delivery is listed
/// as failed for that reason).
async fn wait_for_refusal(peers: &Peers, bot: &reliability_support::BotProcess, number: usize) {
    let channel = reliability_support::channel_id(number % reliability_support::CHANNELS);
    for _ in 0..300 {
        let told = peers
            .sim
            .messages()
            .iter()
            .any(|m| m.channel == channel && common::all_text(m).contains("larger than"));
        let (_, failed) = peers.deliveries(&["--failed"]);
        if told || failed.contains("larger than") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "delivery {number} was not refused as too large; the bot's log:\n{}",
        bot.log_text()
    );
}
