//! Work started before its job is written: `Enqueuer::enqueue_with_head_start` and its `Stored` gate.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use queue::{EnqueueOutcome, JobError, JobStatus, ListFilter, QueueError, Store, WorkerConfig, Workers};
use rusqlite::Connection;
use tokio::sync::{Notify, mpsc};

use crate::support::{Recorder, TempStore, fast_config, job, wait_until, wait_until_drained};

const PATIENCE: Duration = Duration::from_secs(10);

/// A pool whose claiming workers, once idle, never poll on their own: only the express path and wake-ups deliver.
async fn pool(temp: &TempStore, recorder: Arc<Recorder>, workers: usize) -> Workers {
    let cfg = WorkerConfig {
        poll_interval: Duration::from_secs(60),
        ..fast_config(workers)
    };
    let workers = Workers::spawn(temp.dyn_store(), recorder, cfg);
    tokio::time::sleep(Duration::from_millis(50)).await; // let the workers go idle
    workers
}

async fn status_of(store: &dyn Store, id: i64) -> JobStatus {
    let jobs = store
        .list(ListFilter::new(queue::JobSelection::All, 100))
        .await
        .unwrap();
    jobs.iter().find(|j| j.id == id).expect("the job is stored").status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_starts_while_the_write_waits_and_acts_only_once_it_is_stored() {
    let temp = TempStore::new(10);
    let workers = pool(&temp, Recorder::succeeding(Duration::ZERO), 1).await;
    // Another process holds the write lock: the enqueue waits for it (busy timeout).
    let blocker = Connection::open(temp.path()).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();

    let (events, mut seen) = mpsc::unbounded_channel();
    let enqueuer = workers.enqueuer();
    let enqueue = tokio::spawn(async move {
        enqueuer
            .enqueue_with_head_start(job(1), move |stored| async move {
                events.send("started").unwrap();
                let job = stored.job().await.expect("stored");
                events
                    .send(if job.status == JobStatus::Running {
                        "stored"
                    } else {
                        "?"
                    })
                    .unwrap();
                Ok(())
            })
            .await
    });
    assert_eq!(seen.recv().await, Some("started"), "the work began before the write");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(seen.try_recv().is_err(), "nothing is done before the job is stored");
    assert!(!enqueue.is_finished());

    blocker.execute_batch("COMMIT").unwrap();
    let outcome = enqueue.await.unwrap().unwrap();
    assert_eq!(seen.recv().await, Some("stored"));
    wait_until_drained(temp.store.as_ref(), PATIENCE).await;
    assert_eq!(status_of(temp.store.as_ref(), outcome.id()).await, JobStatus::Done);
    workers.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn work_for_a_job_not_stored_learns_it_and_records_nothing() {
    let temp = TempStore::new(2);
    let recorder = Recorder::succeeding(Duration::ZERO);
    let workers = pool(&temp, recorder.clone(), 1).await;
    let first = temp.store.enqueue(job(1).with_idempotency_key("k")).await.unwrap();
    let told_not_stored = Arc::new(Notify::new());
    let work = |told: Arc<Notify>| {
        move |stored: queue::Stored| async move {
            if stored.job().await.is_none() {
                told.notify_one();
            }
            Ok(())
        }
    };

    let duplicate = workers
        .enqueuer()
        .enqueue_with_head_start(job(1).with_idempotency_key("k"), work(told_not_stored.clone()))
        .await;
    assert_eq!(duplicate.unwrap(), EnqueueOutcome::Duplicate(first.id()));
    tokio::time::timeout(PATIENCE, told_not_stored.notified())
        .await
        .unwrap();
    temp.store.enqueue(job(2)).await.unwrap();
    let full = workers
        .enqueuer()
        .enqueue_with_head_start(job(3), work(told_not_stored.clone()))
        .await;
    assert!(matches!(full, Err(QueueError::Full { capacity: 2 })), "{full:?}");
    tokio::time::timeout(PATIENCE, told_not_stored.notified())
        .await
        .unwrap();

    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        status_of(temp.store.as_ref(), first.id()).await,
        JobStatus::Pending,
        "the duplicate's success was not recorded against the stored job"
    );
    assert!(recorder.attempts_per_job().is_empty());
    workers.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_free_slot_the_work_is_dropped_and_the_handler_delivers() {
    let temp = TempStore::new(10);
    let recorder = Recorder::succeeding(Duration::ZERO);
    let workers = pool(&temp, recorder.clone(), 1).await;
    let release = Arc::new(Notify::new());
    let held = release.clone();
    let busy = workers
        .enqueuer()
        .enqueue_with_head_start(job(1), move |_| async move {
            held.notified().await;
            Ok(())
        })
        .await
        .unwrap();

    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let waiting = workers
        .enqueuer()
        .enqueue_with_head_start(job(2), move |_| async move {
            flag.store(true, Ordering::SeqCst);
            Ok(())
        })
        .await
        .unwrap();
    wait_until("a worker delivered the second job", PATIENCE, || async {
        recorder.attempts_per_job().contains_key(&waiting.id())
    })
    .await;
    release.notify_one();
    wait_until_drained(temp.store.as_ref(), PATIENCE).await;
    assert!(
        !ran.load(Ordering::SeqCst),
        "the head start of a job without a slot never runs"
    );
    assert!(!recorder.attempts_per_job().contains_key(&busy.id()));
    workers.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn failures_of_work_started_ahead_are_recorded_like_a_workers() {
    let temp = TempStore::new(10);
    let recorder = Recorder::succeeding(Duration::ZERO);
    // Polling, for the retry.
    let workers = Workers::spawn(temp.dyn_store(), recorder.clone(), fast_config(2));
    let failed = workers
        .enqueuer()
        .enqueue_with_head_start(job(1), |_| async {
            Err(JobError::Permanent {
                reason: "no such channel".into(),
            })
        })
        .await
        .unwrap();
    let crashed = workers
        .enqueuer()
        .enqueue_with_head_start(job(2), |_| async { panic!("boom") })
        .await
        .unwrap();
    let retried = workers
        .enqueuer()
        .enqueue_with_head_start(job(3), |_| async {
            Err(JobError::Retry {
                reason: "Looker is down".into(),
                after: None,
            })
        })
        .await
        .unwrap();

    wait_until_drained(temp.store.as_ref(), PATIENCE).await;
    let jobs = temp
        .store
        .list(ListFilter::new(queue::JobSelection::All, 10))
        .await
        .unwrap();
    let find = |id: i64| jobs.iter().find(|j| j.id == id).unwrap();
    assert_eq!(find(failed.id()).status, JobStatus::Failed);
    assert_eq!(find(failed.id()).last_error.as_deref(), Some("no such channel"));
    assert_eq!(find(crashed.id()).status, JobStatus::Failed);
    assert!(find(crashed.id()).last_error.as_deref().unwrap().contains("boom"));
    // The retry is the pool's handler's, on the stored job.
    assert_eq!(find(retried.id()).status, JobStatus::Done);
    assert_eq!(recorder.attempts_per_job().get(&retried.id()), Some(&1));
    assert_eq!(find(retried.id()).attempts, 2);
    workers.shutdown(Duration::from_secs(1)).await;
}

/// Enqueues job `n` and gives up waiting after `patience`, as a webhook whose request timed out does; whether the
/// head start's [`queue::Stored`] gate ever opened is reported through `opened`.
async fn enqueue_giving_up(workers: &Workers, n: u32, patience: Duration, opened: Arc<AtomicBool>) {
    let enqueuer = workers.enqueuer();
    let enqueue = enqueuer.enqueue_with_head_start(job(n), move |stored| async move {
        if stored.job().await.is_some() {
            opened.store(true, Ordering::SeqCst);
        }
        Ok(())
    });
    let gave_up = tokio::time::timeout(patience, enqueue).await;
    assert!(gave_up.is_err(), "the enqueue waited for the frozen write: {gave_up:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_that_stops_waiting_for_a_frozen_commit_gets_nothing_delivered() {
    let temp = TempStore::new(10);
    let recorder = Recorder::succeeding(Duration::ZERO);
    // Polling workers: a job left deliverable would be picked up.
    let workers = Workers::spawn(temp.dyn_store(), recorder.clone(), fast_config(1));
    let blocker = Connection::open(temp.path()).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();

    // The first job takes the express slot, the second goes to the pool: both callers give up while the disk is held.
    let opened = Arc::new(AtomicBool::new(false));
    enqueue_giving_up(&workers, 1, Duration::from_millis(300), opened.clone()).await;
    enqueue_giving_up(&workers, 2, Duration::from_millis(300), opened.clone()).await;
    blocker.execute_batch("COMMIT").unwrap();

    // Whatever was written afterwards is set aside as failed, never delivered.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let jobs = temp
        .store
        .list(ListFilter::new(queue::JobSelection::All, 10))
        .await
        .unwrap();
    for job in &jobs {
        assert_eq!(job.status, JobStatus::Failed, "{job:?}");
        assert!(
            job.last_error.as_deref().unwrap().contains("stopped waiting"),
            "{job:?}"
        );
    }
    assert!(
        !opened.load(Ordering::SeqCst),
        "the gate opened for an enqueue nobody was told about"
    );
    assert!(
        recorder.attempts_per_job().is_empty(),
        "delivered: {:?}",
        recorder.attempts_per_job()
    );

    // The queue still works.
    let ok = workers.enqueuer().enqueue(job(3)).await.unwrap();
    wait_until_drained(temp.store.as_ref(), PATIENCE).await;
    assert_eq!(status_of(temp.store.as_ref(), ok.id()).await, JobStatus::Done);
    workers.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_opens_only_after_the_commit_is_visible_to_others() {
    let temp = TempStore::new(10);
    let workers = pool(&temp, Recorder::succeeding(Duration::ZERO), 1).await;
    let path = temp.path();
    let (seen, mut visible) = mpsc::unbounded_channel();
    workers
        .enqueuer()
        .enqueue_with_head_start(job(1), move |stored| async move {
            if stored.job().await.is_some() {
                // Another connection reads only committed rows.
                let reader = Connection::open(&path).unwrap();
                let rows: i64 = reader
                    .query_row("SELECT COUNT(*) FROM jobs", [], |row| row.get(0))
                    .unwrap();
                seen.send(rows).unwrap();
            }
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(visible.recv().await, Some(1));
    workers.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_enqueues_share_one_commit() {
    let temp = TempStore::new(100);
    let blocker = Connection::open(temp.path()).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let before = temp.store.health().group_commits;
    let enqueues: Vec<_> = (0..20)
        .map(|n| {
            let store = temp.store.clone();
            tokio::spawn(async move { store.enqueue(job(n)).await })
        })
        .collect();
    // Every enqueue is waiting for the disk now.
    tokio::time::sleep(Duration::from_millis(200)).await;
    blocker.execute_batch("COMMIT").unwrap();
    for enqueue in enqueues {
        assert!(matches!(enqueue.await.unwrap(), Ok(EnqueueOutcome::Accepted(_))));
    }
    let commits = temp.store.health().group_commits - before;
    assert!(
        commits <= 2,
        "20 concurrent enqueues took {commits} commits (the first may be alone, the others share one)"
    );
    assert_eq!(temp.store.counts().await.unwrap().pending, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_and_done_marks_share_one_commit() {
    let temp = TempStore::new(100);
    for n in 0..20 {
        temp.store.enqueue(job(n)).await.unwrap();
    }
    let blocker = Connection::open(temp.path()).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let before = temp.store.health();
    let claims: Vec<_> = (0..20)
        .map(|_| {
            let store = temp.store.clone();
            tokio::spawn(async move { store.claim(Duration::from_secs(60)).await })
        })
        .collect();
    // Every claim is waiting for the disk now.
    tokio::time::sleep(Duration::from_millis(200)).await;
    blocker.execute_batch("COMMIT").unwrap();
    let mut claimed = Vec::new();
    for claim in claims {
        claimed.push(claim.await.unwrap().unwrap().expect("a job for every claim").id);
    }
    claimed.sort();
    claimed.dedup();
    assert_eq!(claimed.len(), 20, "each job is claimed once");
    let claim_commits = temp.store.health().relaxed_commits - before.relaxed_commits;
    assert!(
        claim_commits <= 2,
        "20 claims held up by the disk took {claim_commits} commits (the first may be alone, the others share one)"
    );
    let done: Vec<_> = claimed
        .iter()
        .map(|&id| {
            let store = temp.store.clone();
            tokio::spawn(async move { store.complete(id).await })
        })
        .collect();
    for done in done {
        done.await.unwrap().unwrap();
    }
    // A worker's done mark and its next claim are one write.
    temp.store.enqueue(job(21)).await.unwrap();
    let (completed, claimed) = temp.store.complete_and_claim(claimed[0], Duration::from_secs(60)).await;
    assert!(completed.is_ok() && claimed.unwrap().is_some());
    let after = temp.store.health();
    assert_eq!(after.relaxed_writes - before.relaxed_writes, 41);
    assert!(after.relaxed_commits - before.relaxed_commits <= claim_commits + 20 + 1);
    assert_eq!(temp.store.counts().await.unwrap().done, 20);
    assert_eq!(temp.store.counts().await.unwrap().running, 1);
}

/// The store's writes need no Tokio runtime: claims and done marks made on another executor are written too.
#[test]
fn relaxed_writes_are_written_without_a_tokio_runtime() {
    let temp = TempStore::new(10);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(temp.store.enqueue(job(1))).unwrap();
    drop(runtime);
    let claimed = futures::executor::block_on(temp.store.claim(Duration::from_secs(60)))
        .unwrap()
        .expect("the job enqueued");
    futures::executor::block_on(temp.store.complete(claimed.id)).unwrap();
    assert_eq!(futures::executor::block_on(temp.store.counts()).unwrap().done, 1);
}

/// Done marks made in one turn of the runtime (replies that arrived together) are handed to the storage thread
/// together, even when it is idle: one commit, not one each.
#[tokio::test(flavor = "current_thread")]
async fn done_marks_made_in_one_turn_share_one_commit() {
    let temp = TempStore::new(100);
    let mut ids = Vec::new();
    for n in 0..10 {
        temp.store.enqueue(job(n)).await.unwrap();
        ids.push(temp.store.claim(Duration::from_secs(60)).await.unwrap().unwrap().id);
    }
    let before = temp.store.health();
    let done: Vec<_> = ids
        .iter()
        .map(|&id| {
            let store = temp.store.clone();
            tokio::spawn(async move {
                // The reply's own work before its done mark: the storage thread, idle, would commit the first
                // mark alone meanwhile if it were handed over at once.
                std::thread::sleep(Duration::from_millis(2));
                store.complete(id).await
            })
        })
        .collect();
    for done in done {
        done.await.unwrap().unwrap();
    }
    let after = temp.store.health();
    assert_eq!(after.relaxed_writes - before.relaxed_writes, 10);
    assert_eq!(after.relaxed_commits - before.relaxed_commits, 1);
    assert_eq!(temp.store.counts().await.unwrap().done, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_that_reads_long_before_looking_at_the_gate_keeps_its_lease() {
    let temp = TempStore::new(10);
    let recorder = Recorder::succeeding(Duration::ZERO);
    let cfg = WorkerConfig {
        lease: Duration::from_millis(200),
        ..fast_config(1)
    };
    // Polling workers, which would take over a job whose lease ran out.
    let workers = Workers::spawn(temp.dyn_store(), recorder.clone(), cfg);
    let outcome = workers
        .enqueuer()
        .enqueue_with_head_start(job(1), |stored| async move {
            // A slow Looker read, five leases long, before the gate is looked at.
            tokio::time::sleep(Duration::from_secs(1)).await;
            assert!(stored.job().await.is_some());
            Ok(())
        })
        .await
        .unwrap();
    wait_until_drained(temp.store.as_ref(), PATIENCE).await;
    assert_eq!(status_of(temp.store.as_ref(), outcome.id()).await, JobStatus::Done);
    assert!(
        recorder.attempts_per_job().is_empty(),
        "a worker took over a job whose head start was still reading"
    );
    workers.shutdown(Duration::from_secs(1)).await;
}
