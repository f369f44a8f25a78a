//! Several `lookerbot serve` processes on one PostgreSQL queue (`LOOKERBOT_DATABASE_URL`), as behind a load
//! balancer: every webhook is delivered once whichever replica took it; webhooks get 503 while PostgreSQL is down and
//! nothing answered 200 is lost; `lookerbot deliveries` reads the shared queue; `lookerbot migrate-queue` moves a
//! SQLite queue's waiting deliveries into it; an event Slack hands to two replicas is handled by one.

use crate::reliability_support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use queue::{NewJob, PostgresStore, SqliteStore, Store};
use reliability_support::Peers;
use slack::dedupe::DurableDedupe;
use slack::dedupe::EventDedupe;
use testbed::postgres::{Cluster, fresh_database};

/// How often each number occurs.
fn tally(numbers: &[usize]) -> BTreeMap<usize, usize> {
    let mut counts = BTreeMap::new();
    for n in numbers {
        *counts.entry(*n).or_default() += 1;
    }
    counts
}

async fn peers_on(database_url: String) -> Peers {
    let mut peers = Peers::start(Duration::ZERO).await;
    peers.database_url = Some(database_url);
    peers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_bots_on_one_database_deliver_every_webhook_once() {
    const DELIVERIES: usize = 40;
    let peers = peers_on(fresh_database()).await;
    let bots = [peers.spawn_bot().await, peers.spawn_bot().await];
    for number in 0..DELIVERIES {
        let bot = &bots[number % bots.len()];
        assert_eq!(peers.post_delivery(bot, number).await, 200, "log:\n{}", bot.log_text());
    }
    let numbers = peers
        .wait_for_deliveries(Duration::from_secs(60), |n| tally(n).len() == DELIVERIES)
        .await;
    let counts = tally(&numbers);
    assert_eq!(counts.len(), DELIVERIES, "none lost");
    let twice: Vec<_> = counts.iter().filter(|(_, c)| **c > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");

    let listing = wait_for_listing(&peers, &format!("{DELIVERIES} done")).await;
    assert!(
        listing.starts_with(&format!(
            "0 pending, 0 running, {DELIVERIES} done, 0 failed (PostgreSQL"
        )),
        "{listing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_get_503_while_postgres_is_down_and_nothing_answered_200_is_lost() {
    let mut cluster = Cluster::create();
    let peers = peers_on(cluster.url()).await;
    let bot = peers.spawn_bot().await;
    let mut accepted = Vec::new();
    for number in 0..10 {
        assert_eq!(peers.post_delivery(&bot, number).await, 200, "log:\n{}", bot.log_text());
        accepted.push(number);
    }

    tokio::task::block_in_place(|| cluster.stop());
    assert_eq!(
        peers.post_delivery(&bot, 100).await,
        503,
        "Looker is told to send again later; log:\n{}",
        bot.log_text()
    );
    tokio::task::block_in_place(|| cluster.start());

    let deadline = Instant::now() + Duration::from_secs(60);
    for number in 10..20 {
        // The first webhooks after the restart may meet connections the restart closed: Looker sends them again.
        while peers.post_delivery(&bot, number).await != 200 {
            assert!(
                Instant::now() < deadline,
                "webhooks still refused; log:\n{}",
                bot.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        accepted.push(number);
    }
    let numbers = peers
        .wait_for_deliveries(Duration::from_secs(60), |n| accepted.iter().all(|a| n.contains(a)))
        .await;
    let missing: Vec<_> = accepted.iter().filter(|a| !numbers.contains(a)).collect();
    assert!(
        missing.is_empty(),
        "answered 200 but never delivered: {missing:?}; log:\n{}",
        bot.log_text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_queue_moves_waiting_deliveries_into_postgres_once() {
    let url = fresh_database();
    let peers = peers_on(url.clone()).await;
    let file = SqliteStore::default_path(&peers.data_dir());
    {
        let sqlite = SqliteStore::open(&file, 100).unwrap();
        for n in 0..3 {
            sqlite
                .enqueue(NewJob::new("test", serde_json::json!({ "n": n })))
                .await
                .unwrap();
        }
        let done = sqlite.claim(Duration::from_secs(30)).await.unwrap().unwrap();
        sqlite.complete(done.id).await.unwrap();
    }

    let output = peers.run_verb(&["migrate-queue"]);
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(said.starts_with("Moved 2 waiting deliveries"), "{said}");
    let again = peers.run_verb(&["migrate-queue"]);
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(
        said.starts_with("Moved 0 waiting deliveries into PostgreSQL (2 were there already)"),
        "{said}"
    );

    let shared = PostgresStore::connect(&url, 100).await.unwrap();
    let counts = shared.counts().await.unwrap();
    assert_eq!((counts.pending, counts.done), (2, 0));
}

#[tokio::test]
async fn migrate_queue_without_a_database_says_what_to_set() {
    let peers = Peers::start(Duration::ZERO).await;
    let output = peers.run_verb(&["migrate-queue"]);
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("LOOKERBOT_DATABASE_URL is not set"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_handed_to_two_replicas_is_handled_by_one() {
    let url = fresh_database();
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&url, 10).await.unwrap());
        replicas.push(DurableDedupe::shared(store));
    }
    for n in 0..50 {
        let event_id = format!("Ev{n:08}");
        // First deliveries, at the same moment, on two Socket Mode connections of two replicas.
        let (a, b) = tokio::join!(
            replicas[0].first_sighting(&event_id, false),
            replicas[1].first_sighting(&event_id, false)
        );
        assert!(a ^ b, "event {event_id} handled by exactly one replica");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_events_are_still_handled_while_postgres_is_down() {
    let mut cluster = Cluster::create();
    let store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&cluster.url(), 10).await.unwrap());
    let dedupe = DurableDedupe::shared(store);
    assert!(dedupe.first_sighting("Ev-before", false).await);
    tokio::task::block_in_place(|| cluster.stop());
    assert!(
        dedupe.first_sighting("Ev-during", false).await,
        "without its store the dedupe lets events through rather than dropping them"
    );
}

/// Runs `lookerbot deliveries` until its output contains `wanted` (at most 20 seconds); the last output.
async fn wait_for_listing(peers: &Peers, wanted: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, out) = peers.deliveries(&[]);
        assert!(status.success(), "lookerbot deliveries failed: {out}");
        if out.contains(wanted) || Instant::now() > deadline {
            return out;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
