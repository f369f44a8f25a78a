//! The posting budget replicas share in PostgreSQL: posts reserved at once through two stores (two replicas) on one
//! database get one burst between them, then successive slots an interval apart; other channels are not held up.
//! The interval is a minute, so that the few milliseconds the reservations take cannot blur the slots.

use std::time::Duration;

use futures::future::join_all;
use queue::{PostgresStore, SharedPace};
use testbed::postgres::fresh_database;

const INTERVAL: Duration = Duration::from_secs(60);
const BURST: u32 = 3;

/// The whole minutes in `wait`, rounding up (a slot reserved a few milliseconds after another is that much nearer).
fn slot(wait: Duration) -> u64 {
    wait.as_millis().div_ceil(1000 * 60) as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_share_one_burst_then_one_post_per_interval_per_channel() {
    let url = fresh_database();
    let first = PostgresStore::connect(&url, 10).await.unwrap();
    let second = PostgresStore::connect(&url, 10).await.unwrap();
    let reservations = (0..10).map(|n| {
        let store = if n % 2 == 0 { &first } else { &second };
        store.reserve_post("C1", INTERVAL, BURST)
    });
    let mut waits: Vec<Duration> = join_all(reservations)
        .await
        .into_iter()
        .map(|wait| wait.expect("a slot"))
        .collect();
    waits.sort();
    let slots: Vec<u64> = waits.iter().map(|wait| slot(*wait)).collect();
    assert_eq!(
        slots,
        [0, 0, 0, 1, 2, 3, 4, 5, 6, 7],
        "one burst of {BURST} for both replicas, then one post a minute: {waits:?}"
    );
    assert!(
        waits[BURST as usize..]
            .iter()
            .all(|wait| *wait > INTERVAL.mul_f64(0.9) * slot(*wait) as u32),
        "each later slot is a whole interval after the one before: {waits:?}"
    );

    assert_eq!(
        second.reserve_post("C2", INTERVAL, BURST).await.unwrap(),
        Duration::ZERO,
        "another channel has its own budget"
    );
    assert_eq!(
        first.reserve_post("C3", Duration::ZERO, BURST).await.unwrap(),
        Duration::ZERO,
        "a zero interval never waits"
    );
}

#[tokio::test]
async fn a_bucket_refills_to_its_burst_and_no_further() {
    let url = fresh_database();
    let store = PostgresStore::connect(&url, 10).await.unwrap();
    for _ in 0..2 {
        assert_eq!(store.reserve_post("C1", INTERVAL, 2).await.unwrap(), Duration::ZERO);
    }
    // Ten intervals pass (the row is moved back in time rather than the test waiting ten minutes).
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    let connection = tokio::spawn(connection);
    let ten_intervals = i64::try_from(INTERVAL.as_millis()).unwrap() * 10;
    let moved = client
        .execute(
            "UPDATE lookerbot_pace SET due_at = due_at - $1 WHERE channel = 'C1'",
            &[&ten_intervals],
        )
        .await
        .unwrap();
    assert_eq!(moved, 1, "one row holds the channel's bucket");
    drop(client);
    let _ = connection.await;

    let mut waits = Vec::new();
    for _ in 0..3 {
        waits.push(store.reserve_post("C1", INTERVAL, 2).await.unwrap());
    }
    assert_eq!(
        waits.iter().map(|wait| slot(*wait)).collect::<Vec<_>>(),
        [0, 0, 1],
        "the bucket holds two posts again, not ten: {waits:?}"
    );
}
