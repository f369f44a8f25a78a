//! Two `lookerbot serve` replicas on one PostgreSQL database share each channel's posting budget: scheduled
//! deliveries into one channel, taken by both replicas at once, reserve their posts in the database's budget of
//! that channel and reach the simulator (which answers 429 past Slack's per-channel burst and rate) without a
//! single 429, each once. (`crates/slack/tests/shared_pace.rs` shows that replicas pacing alone overrun a channel.)

use crate::reliability_support;

use std::collections::BTreeSet;
use std::time::Duration;

use reliability_support::{Peers, channel_id, channel_name};
use testbed::postgres::fresh_database;

/// More posts than Slack lets into one channel at once (a burst of 8).
const DELIVERIES: usize = 14;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_posting_into_one_channel_share_its_budget_and_keep_slacks_rate() {
    let mut peers = Peers::start(Duration::ZERO).await;
    let database_url = fresh_database();
    peers.database_url = Some(database_url.clone());
    let bots = [peers.spawn_bot().await, peers.spawn_bot().await];
    let channel = channel_name(0);
    // Deliveries 0, CHANNELS, 2 × CHANNELS, ... all go to channel 0.
    let numbers: Vec<usize> = (0..DELIVERIES).map(|n| n * reliability_support::CHANNELS).collect();
    let posts = numbers.iter().enumerate().map(|(i, number)| {
        let payload = peers.numbered_delivery(*number);
        let (bot, channel) = (&bots[i % bots.len()], &channel);
        let peers = &peers;
        async move { peers.post_to(bot, channel, &payload).await }
    });
    let statuses = futures::future::join_all(posts).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");

    let delivered = peers
        .wait_for_deliveries(Duration::from_secs(90), |n| n.len() >= DELIVERIES)
        .await;
    assert_eq!(
        delivered.iter().copied().collect::<BTreeSet<_>>(),
        numbers.iter().copied().collect::<BTreeSet<_>>(),
        "every delivery arrived"
    );
    assert_eq!(delivered.len(), DELIVERIES, "none twice: {delivered:?}");
    let refused: Vec<_> = peers
        .sim
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|call| call.http_status == 429)
        .collect();
    assert!(refused.is_empty(), "Slack's per-channel limit was hit: {refused:#?}");
    assert!(
        paced_channels(&database_url).await.contains(&channel_id(0)),
        "the replicas reserved their posts in the shared budget"
    );
}

/// The channels with a posting budget in the shared database.
async fn paced_channels(database_url: &str) -> Vec<String> {
    let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let connection = tokio::spawn(connection);
    let rows = client.query("SELECT channel FROM lookerbot_pace", &[]).await.unwrap();
    drop(client);
    let _ = connection.await;
    rows.iter().map(|row| row.get(0)).collect()
}
