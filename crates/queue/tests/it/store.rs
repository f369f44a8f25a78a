//! The store on its own: state changes, limits, dedupe, recovery after the process goes away. The contract's tests
//! run against both stores (SQLite and PostgreSQL); the last ones are about the SQLite file only.

use std::time::Duration;

use chrono::Utc;
use queue::{Counts, EnqueueOutcome, JobSelection, JobStatus, ListFilter, QueueError, Retention, SqliteStore};

use crate::on_both_stores;
use crate::stores::Backend;
use crate::support::{TempStore, job};

const LEASE: Duration = Duration::from_secs(30);

async fn enqueue_claim_complete(backend: Backend) {
    let temp = backend.open(10).await;
    let store = &temp.store;
    let EnqueueOutcome::Accepted(id) = store.enqueue(job(7)).await.unwrap() else {
        panic!("not accepted")
    };

    let claimed = store.claim(LEASE).await.unwrap().expect("a due job");
    assert_eq!(
        (claimed.id, claimed.status, claimed.attempts),
        (id, JobStatus::Running, 1)
    );
    assert_eq!(
        claimed.payload.read::<serde_json::Value>().unwrap(),
        serde_json::json!({ "n": 7 })
    );
    assert_eq!(claimed.kind, "test");
    assert!(
        store.claim(LEASE).await.unwrap().is_none(),
        "a running job must not be claimed twice"
    );

    store.complete(id).await.unwrap();
    assert_eq!(
        store.counts().await.unwrap(),
        Counts {
            done: 1,
            ..Counts::default()
        }
    );
    let done = store.list(ListFilter::new(JobSelection::Done, 10)).await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].status, JobStatus::Done);
    assert!(done[0].finished_at.is_some());
    store.complete(id).await.expect("completing twice is harmless");
    assert!(
        store.claim(LEASE).await.unwrap().is_none(),
        "a done job is never redone"
    );
}

async fn a_done_mark_brings_the_next_due_job_and_each_keeps_its_outcome(backend: Backend) {
    let temp = backend.open(10).await;
    let store = &temp.store;
    let first = store.enqueue(job(1)).await.unwrap().id();
    let second = store.enqueue(job(2)).await.unwrap().id();
    store.claim(LEASE).await.unwrap().unwrap();

    let (completed, claimed) = store.complete_and_claim(first, LEASE).await;
    completed.unwrap();
    let claimed = claimed.unwrap().expect("the second job");
    assert_eq!(
        (claimed.id, claimed.status, claimed.attempts),
        (second, JobStatus::Running, 1)
    );
    assert_eq!(
        store.counts().await.unwrap(),
        Counts {
            running: 1,
            done: 1,
            ..Counts::default()
        }
    );

    // A done mark refused (the job is not running) still claims; nothing left to claim is no job.
    let (completed, claimed) = store.complete_and_claim(first, LEASE).await;
    completed.expect("completing twice is harmless");
    assert!(claimed.unwrap().is_none());
    store.fail(second, "gone").await.unwrap();
    let third = store.enqueue(job(3)).await.unwrap().id();
    let (completed, claimed) = store.complete_and_claim(second, LEASE).await;
    assert_eq!(
        completed,
        Err(QueueError::NotRunning {
            id: second,
            status: JobStatus::Failed
        })
    );
    assert_eq!(claimed.unwrap().map(|job| job.id), Some(third));
}

async fn claims_in_due_order(backend: Backend) {
    let temp = backend.open(10).await;
    let store = &temp.store;
    let first = store.enqueue(job(1)).await.unwrap().id();
    let second = store.enqueue(job(2)).await.unwrap().id();
    assert_eq!(store.claim(LEASE).await.unwrap().unwrap().id, first);
    assert_eq!(store.claim(LEASE).await.unwrap().unwrap().id, second);
}

async fn same_idempotency_key_is_a_duplicate_even_after_completion(backend: Backend) {
    let temp = backend.open(1).await;
    let store = &temp.store;
    let keyed = || job(1).with_idempotency_key("plan-42@2026-11-29T10:00");
    let EnqueueOutcome::Accepted(id) = store.enqueue(keyed()).await.unwrap() else {
        panic!("not accepted")
    };
    // The queue is full now, but a duplicate must still be recognised rather than refused.
    assert_eq!(store.enqueue(keyed()).await.unwrap(), EnqueueOutcome::Duplicate(id));

    store.claim(LEASE).await.unwrap().unwrap();
    store.complete(id).await.unwrap();
    assert_eq!(store.enqueue(keyed()).await.unwrap(), EnqueueOutcome::Duplicate(id));
    assert!(store.claim(LEASE).await.unwrap().is_none());
    let other = store.enqueue(job(2).with_idempotency_key("another")).await.unwrap();
    assert!(matches!(other, EnqueueOutcome::Accepted(new) if new != id));
}

async fn refuses_jobs_beyond_capacity_until_some_finish(backend: Backend) {
    let temp = backend.open(2).await;
    let store = &temp.store;
    store.enqueue(job(1)).await.unwrap();
    store.enqueue(job(2)).await.unwrap();
    let refused = store.enqueue(job(3)).await.unwrap_err();
    assert_eq!(refused, QueueError::Full { capacity: 2 });
    assert!(refused.to_string().contains("raise the queue capacity"), "{refused}");

    let running = store.claim(LEASE).await.unwrap().unwrap();
    assert_eq!(
        store.enqueue(job(3)).await.unwrap_err(),
        QueueError::Full { capacity: 2 },
        "running jobs count"
    );
    store.complete(running.id).await.unwrap();
    assert!(matches!(
        store.enqueue(job(3)).await.unwrap(),
        EnqueueOutcome::Accepted(_)
    ));
}

async fn retry_later_waits_until_the_given_time(backend: Backend) {
    let temp = backend.open(10).await;
    let store = &temp.store;
    let id = store.enqueue(job(1)).await.unwrap().id();
    store.claim(LEASE).await.unwrap().unwrap();
    let at = Utc::now() + chrono::TimeDelta::milliseconds(150);
    store.retry_later(id, at, "rate limited").await.unwrap();

    assert!(
        store.claim(LEASE).await.unwrap().is_none(),
        "claimed before its retry time"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let again = store.claim(LEASE).await.unwrap().expect("due again");
    assert_eq!((again.id, again.attempts), (id, 2));
    assert_eq!(again.last_error.as_deref(), Some("rate limited"));
    assert!(again.next_attempt_at >= at - chrono::TimeDelta::milliseconds(1));
}

async fn failed_jobs_keep_their_reason_and_can_be_requeued(backend: Backend) {
    let temp = backend.open(10).await;
    let store = &temp.store;
    let id = store.enqueue(job(1)).await.unwrap().id();
    assert!(matches!(
        store.requeue_failed(id).await,
        Err(QueueError::NotFailed {
            status: JobStatus::Pending,
            ..
        })
    ));
    store.claim(LEASE).await.unwrap().unwrap();
    store.fail(id, "channel_not_found: #nowhere").await.unwrap();

    let failed = store.list(ListFilter::new(JobSelection::Failed, 10)).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].last_error.as_deref(), Some("channel_not_found: #nowhere"));
    assert!(
        store.claim(LEASE).await.unwrap().is_none(),
        "failed jobs are not retried by themselves"
    );

    store.requeue_failed(id).await.unwrap();
    let again = store.claim(LEASE).await.unwrap().expect("requeued job is due");
    assert_eq!((again.id, again.attempts), (id, 1));
    assert!(again.finished_at.is_none());
    assert_eq!(store.requeue_failed(9999).await, Err(QueueError::NotFound(9999)));
}

async fn outcomes_for_jobs_not_held_are_refused(backend: Backend) {
    let temp = backend.open(10).await;
    let store = &temp.store;
    let id = store.enqueue(job(1)).await.unwrap().id();
    assert_eq!(
        store.complete(id).await,
        Err(QueueError::NotRunning {
            id,
            status: JobStatus::Pending
        })
    );
    assert_eq!(store.fail(404, "x").await, Err(QueueError::NotFound(404)));
    store.claim(LEASE).await.unwrap().unwrap();
    store.fail(id, "gone").await.unwrap();
    assert_eq!(
        store.complete(id).await,
        Err(QueueError::NotRunning {
            id,
            status: JobStatus::Failed
        })
    );
}

async fn expired_lease_is_reclaimed_after_reopening(backend: Backend) {
    let temp = backend.open(10).await;
    let lease = Duration::from_millis(300);
    let id = temp.store.enqueue(job(1)).await.unwrap().id();
    let taken = temp.store.claim(lease).await.unwrap().unwrap();
    assert_eq!(taken.id, id);
    // Simulated crash: the store goes away without recording an outcome, and comes back (or another replica does).
    let reopened = temp.reopen().await;
    assert!(
        reopened.claim(lease).await.unwrap().is_none(),
        "reclaimed while the lease was still valid"
    );
    tokio::time::sleep(lease + Duration::from_millis(50)).await;
    let reclaimed = reopened
        .claim(lease)
        .await
        .unwrap()
        .expect("expired lease is reclaimed");
    assert_eq!(
        (reclaimed.id, reclaimed.attempts, reclaimed.status),
        (id, 2, JobStatus::Running)
    );
    reopened.complete(id).await.unwrap();
}

/// Jobs whose lease ran out and jobs pending are claimed together in due order, whichever kind comes first.
async fn expired_leases_and_pending_jobs_are_claimed_in_due_order(backend: Backend) {
    let temp = backend.open(10).await;
    let store = &temp.store;
    let short = Duration::from_millis(200);
    // In order: the one retried, the one abandoned, the one waiting.
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(store.enqueue(job(n)).await.unwrap().id());
    }
    assert_eq!(store.claim(LEASE).await.unwrap().unwrap().id, ids[0]);
    assert_eq!(store.claim(short).await.unwrap().unwrap().id, ids[1]);
    // Due before every other job: pending, and due first.
    let long_ago = Utc::now() - chrono::Duration::hours(1);
    store.retry_later(ids[0], long_ago, "try again").await.unwrap();
    tokio::time::sleep(short + Duration::from_millis(50)).await;
    let mut claimed = Vec::new();
    while let Some(job) = store.claim(LEASE).await.unwrap() {
        claimed.push((job.id, job.status));
    }
    assert_eq!(
        claimed,
        ids.iter().map(|id| (*id, JobStatus::Running)).collect::<Vec<_>>(),
        "the retried job (pending, due an hour ago), the abandoned one (lease ran out), then the waiting one"
    );
}

async fn renewing_a_lease_keeps_the_job(backend: Backend) {
    let temp = backend.open(10).await;
    let store = &temp.store;
    let lease = Duration::from_millis(150);
    let id = store.enqueue(job(1)).await.unwrap().id();
    store.claim(lease).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    store.renew_lease(id, lease).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        store.claim(lease).await.unwrap().is_none(),
        "renewed lease was taken over"
    );
}

async fn first_sighting_is_true_once_per_ttl(backend: Backend) {
    let temp = backend.open(10).await;
    let store = &temp.store;
    let ttl = Duration::from_millis(150);
    assert!(store.first_sighting("Ev0123", ttl).await.unwrap());
    assert!(!store.first_sighting("Ev0123", ttl).await.unwrap());
    assert!(
        store.first_sighting("Ev0456", ttl).await.unwrap(),
        "keys are independent"
    );
    tokio::time::sleep(ttl + Duration::from_millis(50)).await;
    assert!(
        store.first_sighting("Ev0123", ttl).await.unwrap(),
        "seen again after the ttl"
    );
    assert!(!store.first_sighting("Ev0123", ttl).await.unwrap());
}

async fn event_ids_survive_reopening(backend: Backend) {
    let temp = backend.open(10).await;
    assert!(temp.store.first_sighting("Ev9", Duration::from_secs(60)).await.unwrap());
    let reopened = temp.reopen().await;
    assert!(!reopened.first_sighting("Ev9", Duration::from_secs(60)).await.unwrap());
}

async fn pruning_keeps_only_the_newest_done_jobs(backend: Backend) {
    let retention = Retention {
        keep_done: 2,
        ..Retention::default()
    };
    let temp = backend.open_with_retention(10, retention).await;
    let store = &temp.store;
    let mut ids = Vec::new();
    for n in 0..5 {
        let id = store.enqueue(job(n)).await.unwrap().id();
        store.claim(LEASE).await.unwrap().unwrap();
        store.complete(id).await.unwrap();
        ids.push(id);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let failing = store.enqueue(job(9)).await.unwrap().id();
    store.claim(LEASE).await.unwrap().unwrap();
    store.fail(failing, "kept for an operator").await.unwrap();

    let pruned = temp.prune_now().await.unwrap();
    assert_eq!(pruned.jobs, 3);
    let kept: Vec<i64> = store
        .list(ListFilter::new(JobSelection::All, 10))
        .await
        .unwrap()
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(kept, vec![failing, ids[4], ids[3]]);
}

async fn list_filters_and_limits_newest_first(backend: Backend) {
    let temp = backend.open(10).await;
    let store = &temp.store;
    let a = store.enqueue(job(1)).await.unwrap().id();
    let b = store.enqueue(job(2)).await.unwrap().id();
    let c = store.enqueue(job(3)).await.unwrap().id();
    store.claim(LEASE).await.unwrap().unwrap();
    store.complete(a).await.unwrap();
    store.claim(LEASE).await.unwrap().unwrap(); // b stays running

    let ids = |jobs: Vec<queue::Job>| jobs.into_iter().map(|j| j.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.list(ListFilter::new(JobSelection::All, 10)).await.unwrap()),
        vec![c, b, a]
    );
    assert_eq!(
        ids(store.list(ListFilter::new(JobSelection::All, 2)).await.unwrap()),
        vec![c, b]
    );
    assert_eq!(
        ids(store.list(ListFilter::new(JobSelection::Pending, 10)).await.unwrap()),
        vec![c, b]
    );
    assert_eq!(
        ids(store.list(ListFilter::new(JobSelection::Done, 10)).await.unwrap()),
        vec![a]
    );
    assert_eq!(
        store.counts().await.unwrap(),
        Counts {
            pending: 1,
            running: 1,
            done: 1,
            failed: 0
        }
    );
}

on_both_stores!(
    enqueue_claim_complete,
    a_done_mark_brings_the_next_due_job_and_each_keeps_its_outcome,
    claims_in_due_order,
    same_idempotency_key_is_a_duplicate_even_after_completion,
    refuses_jobs_beyond_capacity_until_some_finish,
    retry_later_waits_until_the_given_time,
    failed_jobs_keep_their_reason_and_can_be_requeued,
    outcomes_for_jobs_not_held_are_refused,
    expired_lease_is_reclaimed_after_reopening,
    expired_leases_and_pending_jobs_are_claimed_in_due_order,
    renewing_a_lease_keeps_the_job,
    first_sighting_is_true_once_per_ttl,
    event_ids_survive_reopening,
    pruning_keeps_only_the_newest_done_jobs,
    list_filters_and_limits_newest_first,
    oldest_waiting_is_the_longest_pending_job_and_the_write_probe_commits_harmlessly,
);

#[test]
fn open_explains_bad_settings_and_paths() {
    let dir = tempfile::tempdir().unwrap();
    let zero = SqliteStore::open(&dir.path().join("q.sqlite3"), 0).err().unwrap();
    assert!(matches!(zero, QueueError::InvalidConfig(_)), "{zero}");

    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let error = SqliteStore::open(&file.join("q.sqlite3"), 10).err().unwrap();
    let message = error.to_string();
    assert!(matches!(error, QueueError::Storage(_)));
    assert!(
        message.contains("not-a-dir") && message.contains("data directory"),
        "{message}"
    );
}

#[tokio::test]
async fn open_refuses_a_file_from_a_newer_version() {
    let temp = TempStore::new(10);
    let path = temp.path();
    rusqlite_bump_version(&path);
    let error = SqliteStore::open(&path, 10).err().unwrap().to_string();
    assert!(error.contains("newer lookerbot"), "{error}");
}

/// Marks the file as written by a future layout version, through the store's own SQLite.
fn rusqlite_bump_version(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
}

async fn oldest_waiting_is_the_longest_pending_job_and_the_write_probe_commits_harmlessly(backend: Backend) {
    let temp = backend.open(10).await;
    let store = &temp.store;
    assert_eq!(store.oldest_waiting().await.unwrap(), None);
    store.enqueue(job(1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    store.enqueue(job(2)).await.unwrap();
    store.claim(LEASE).await.unwrap().expect("job 1 runs");
    let pending = store.list(ListFilter::new(JobSelection::Pending, 10)).await.unwrap();
    let second = pending.iter().find(|j| j.status == JobStatus::Pending).unwrap();
    assert_eq!(
        store.oldest_waiting().await.unwrap(),
        Some(second.queued_at),
        "running jobs are not waiting"
    );

    store.probe_write().await.unwrap();
    store.probe_write().await.expect("the probe can run again and again");
    assert!(
        store.first_sighting("lookerbot:write-probe", LEASE).await.unwrap(),
        "the probe's row never dedupes anything"
    );
    assert_eq!(store.counts().await.unwrap().pending, 1, "the probe adds no job");
}
