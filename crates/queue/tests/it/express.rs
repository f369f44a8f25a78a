//! Jobs that start the moment they are written: `Store::enqueue_claimed` and the pool's `Enqueuer`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use queue::{Claimed, JobStatus, QueueError, Store, WorkerConfig, Workers};
use rusqlite::{Connection, OpenFlags};

use crate::support::{Recorder, TempStore, fast_config, job, wait_until_drained, wait_until_started};

const PATIENCE: Duration = Duration::from_secs(10);

/// Rows another connection sees: only committed ones.
fn committed_rows(path: &std::path::Path) -> i64 {
    let reader = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("reader");
    reader
        .query_row("SELECT COUNT(*) FROM jobs", [], |row| row.get(0))
        .expect("count")
}

#[tokio::test]
async fn a_claimed_job_is_returned_once_committed_and_stays_leased() {
    let temp = TempStore::new(10);
    let lease = Duration::from_millis(300);
    let claimed = temp.store.enqueue_claimed(job(5), lease).await.unwrap();

    let Claimed::Accepted(job) = claimed else {
        panic!("stored: {claimed:?}")
    };
    assert_eq!(committed_rows(&temp.path()), 1, "durable once enqueue_claimed returned");
    assert_eq!((job.status, job.attempts), (JobStatus::Running, 1));
    assert_eq!(
        job.payload.read::<serde_json::Value>().unwrap(),
        serde_json::json!({ "n": 5 })
    );

    assert!(
        temp.store.claim(lease).await.unwrap().is_none(),
        "a job handed over is leased, not claimable"
    );
    tokio::time::sleep(lease).await;
    let reclaimed = temp
        .store
        .claim(lease)
        .await
        .unwrap()
        .expect("reclaimed after its lease");
    assert_eq!((reclaimed.id, reclaimed.attempts), (job.id, 2));
}

#[tokio::test]
async fn duplicates_and_a_full_queue_claim_nothing() {
    let temp = TempStore::new(1);
    let keyed = || job(1).with_idempotency_key("k");
    let first = temp.store.enqueue(keyed()).await.unwrap();
    let duplicate = temp.store.enqueue_claimed(keyed(), Duration::from_secs(5)).await;
    assert_eq!(duplicate, Ok(Claimed::Duplicate(first.id())));
    let full = temp.store.enqueue_claimed(job(2), Duration::from_secs(5)).await;
    assert!(matches!(full, Err(QueueError::Full { capacity: 1 })), "{full:?}");
    assert_eq!(committed_rows(&temp.path()), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_enqueuer_delivers_every_job_once_without_waiting_for_a_poll() {
    let temp = TempStore::new(1000);
    let recorder = Recorder::succeeding(Duration::from_millis(20));
    let cfg = WorkerConfig {
        poll_interval: Duration::from_secs(60),
        ..fast_config(2)
    };
    let workers = Workers::spawn(temp.dyn_store(), recorder.clone(), cfg);
    tokio::time::sleep(Duration::from_millis(50)).await; // let the workers go idle
    let enqueuer = workers.enqueuer();
    let mut ids = Vec::new();
    // More at once than express slots: the rest go through the store and wake the claiming workers.
    for n in 0..20 {
        ids.push(enqueuer.enqueue(job(n)).await.unwrap().id());
    }
    wait_until_drained(temp.store.as_ref(), PATIENCE).await;
    workers.shutdown(Duration::from_secs(1)).await;

    let per_job = recorder.attempts_per_job();
    assert_eq!(per_job.len(), ids.len());
    assert!(per_job.values().all(|&n| n == 1), "{per_job:?}");
    let most = recorder.max_in_flight.load(Ordering::SeqCst);
    assert!(
        most <= 4,
        "{most} deliveries at once with 2 workers and 2 express slots"
    );
    assert_eq!(temp.store.counts().await.unwrap().done, 20);
}

#[tokio::test]
async fn shutdown_waits_for_express_deliveries() {
    let temp = TempStore::new(10);
    let recorder = Recorder::succeeding(Duration::from_millis(150));
    let workers = Workers::spawn(temp.dyn_store(), recorder.clone(), fast_config(1));
    workers.enqueuer().enqueue(job(1)).await.unwrap();
    wait_until_started(&recorder).await;
    workers.shutdown(Duration::from_secs(5)).await;
    assert_eq!(temp.store.counts().await.unwrap().done, 1);
}

#[tokio::test]
async fn shutdown_abandons_express_deliveries_past_its_grace() {
    let temp = TempStore::new(10);
    let stuck = Recorder::succeeding(Duration::from_secs(3600));
    let workers = Workers::spawn(temp.dyn_store(), stuck.clone(), fast_config(1));
    workers.enqueuer().enqueue(job(1)).await.unwrap();
    wait_until_started(&stuck).await;
    let started = std::time::Instant::now();
    workers.shutdown(Duration::from_millis(100)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "shutdown overran its grace period"
    );
    assert_eq!(
        temp.store.counts().await.unwrap().running,
        1,
        "left leased, for a restart to deliver"
    );
}
