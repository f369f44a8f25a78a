//! The worker pool: concurrency, retries and their timing, giving up, shutdown.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use queue::{JobError, JobSelection, JobStatus, ListFilter, Store, WorkerConfig, Workers};

use crate::support::{Recorder, TempStore, fast_config, job, wait_until_drained, wait_until_started};

const PATIENCE: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivers_every_job_exactly_once_concurrently() {
    let temp = TempStore::new(1000);
    let recorder = Recorder::succeeding(Duration::from_millis(20));
    let workers = Workers::spawn(temp.dyn_store(), recorder.clone(), fast_config(4));
    let mut ids = Vec::new();
    for n in 0..40 {
        ids.push(temp.store.enqueue(job(n)).await.unwrap().id());
        workers.notify();
    }
    wait_until_drained(temp.store.as_ref(), PATIENCE).await;
    workers.shutdown(Duration::from_secs(1)).await;

    let per_job = recorder.attempts_per_job();
    for id in &ids {
        assert_eq!(
            per_job.get(id),
            Some(&1),
            "job {id} delivered {:?} times",
            per_job.get(id)
        );
    }
    assert_eq!(per_job.len(), ids.len());
    assert!(
        recorder.max_in_flight.load(Ordering::SeqCst) > 1,
        "deliveries did not overlap"
    );
    assert!(
        recorder.max_in_flight.load(Ordering::SeqCst) <= 4,
        "more deliveries at once than workers"
    );
    assert_eq!(temp.store.counts().await.unwrap().done, 40);
}

#[tokio::test]
async fn notify_wakes_idle_workers_without_waiting_for_the_poll() {
    let temp = TempStore::new(10);
    let recorder = Recorder::succeeding(Duration::ZERO);
    let cfg = WorkerConfig {
        poll_interval: Duration::from_secs(60),
        ..fast_config(2)
    };
    let workers = Workers::spawn(temp.dyn_store(), recorder.clone(), cfg);
    tokio::time::sleep(Duration::from_millis(50)).await; // let the workers go idle
    temp.store.enqueue(job(1)).await.unwrap();
    workers.notify();
    wait_until_drained(temp.store.as_ref(), Duration::from_secs(5)).await;
    workers.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let temp = TempStore::new(10);
    let retry_after = Duration::from_millis(300);
    let recorder = Recorder::new(Duration::ZERO, move |job| match job.attempts {
        1 => Err(JobError::Retry {
            reason: "ratelimited".into(),
            after: Some(retry_after),
        }),
        _ => Ok(()),
    });
    let workers = Workers::spawn(temp.dyn_store(), recorder.clone(), fast_config(1));
    let id = temp.store.enqueue(job(1)).await.unwrap().id();
    workers.notify();
    wait_until_drained(temp.store.as_ref(), PATIENCE).await;
    workers.shutdown(Duration::from_secs(1)).await;

    let times = recorder.attempt_times(id);
    assert_eq!(times.len(), 2);
    let gap = times[1] - times[0];
    assert!(
        gap >= retry_after,
        "retried after {gap:?}, before Retry-After {retry_after:?}"
    );
    let done = &temp.store.list(ListFilter::new(JobSelection::Done, 1)).await.unwrap()[0];
    assert_eq!(
        done.last_error.as_deref(),
        Some("ratelimited"),
        "the store remembers why it was retried"
    );
}

#[tokio::test]
async fn backoff_grows_between_attempts() {
    let temp = TempStore::new(10);
    let recorder = Recorder::new(Duration::ZERO, |job| match job.attempts {
        1..=3 => Err(JobError::Retry {
            reason: "503".into(),
            after: None,
        }),
        _ => Ok(()),
    });
    let cfg = WorkerConfig {
        base_backoff: Duration::from_millis(80),
        max_backoff: Duration::from_secs(1),
        poll_interval: Duration::from_millis(5),
        ..fast_config(1)
    };
    let workers = Workers::spawn(temp.dyn_store(), recorder.clone(), cfg);
    let id = temp.store.enqueue(job(1)).await.unwrap().id();
    workers.notify();
    wait_until_drained(temp.store.as_ref(), PATIENCE).await;
    workers.shutdown(Duration::from_secs(1)).await;

    let times = recorder.attempt_times(id);
    assert_eq!(times.len(), 4);
    // With equal jitter the n-th pause is at least half of base * 2^(n-1): 40ms, 80ms, 160ms.
    for (n, pair) in times.windows(2).enumerate() {
        let minimum = Duration::from_millis(40 << n);
        assert!(
            pair[1] - pair[0] >= minimum,
            "pause {n} was {:?}, less than {minimum:?}",
            pair[1] - pair[0]
        );
    }
}

#[tokio::test]
async fn gives_up_after_the_window_with_the_last_reason() {
    let temp = TempStore::new(10);
    let recorder = Recorder::new(Duration::ZERO, |job| {
        Err(JobError::Retry {
            reason: format!("slack returned 500 (attempt {})", job.attempts),
            after: None,
        })
    });
    let cfg = WorkerConfig {
        give_up_after: Duration::from_millis(250),
        ..fast_config(1)
    };
    let workers = Workers::spawn(temp.dyn_store(), recorder.clone(), cfg);
    let id = temp.store.enqueue(job(1)).await.unwrap().id();
    workers.notify();
    wait_until_drained(temp.store.as_ref(), PATIENCE).await;
    workers.shutdown(Duration::from_secs(1)).await;

    let failed = crate::support::failed_jobs(temp.store.as_ref()).await;
    assert_eq!(failed.len(), 1);
    let attempts = recorder.attempt_times(id).len();
    assert!(attempts >= 2, "gave up after only {attempts} attempt");
    let reason = failed[0].last_error.clone().unwrap();
    assert!(
        reason.starts_with(&format!("slack returned 500 (attempt {attempts})")),
        "{reason}"
    );
    assert!(reason.contains("gave up"), "{reason}");
}

#[tokio::test]
async fn requeued_job_gets_a_fresh_retry_window() {
    let temp = TempStore::new(10);
    let recorder = Recorder::new(Duration::ZERO, |job| match job.attempts {
        1 => Err(JobError::Retry {
            reason: "down".into(),
            after: None,
        }),
        _ => Ok(()),
    });
    let id = temp.store.enqueue(job(1)).await.unwrap().id();
    temp.store.claim(Duration::from_secs(5)).await.unwrap().unwrap();
    temp.store.fail(id, "down").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await; // longer than the window below

    temp.store.requeue_failed(id).await.unwrap();
    let cfg = WorkerConfig {
        give_up_after: Duration::from_millis(250),
        ..fast_config(1)
    };
    let workers = Workers::spawn(temp.dyn_store(), recorder.clone(), cfg);
    wait_until_drained(temp.store.as_ref(), PATIENCE).await;
    workers.shutdown(Duration::from_secs(1)).await;
    assert_eq!(
        recorder.attempt_times(id).len(),
        2,
        "the requeued job was retried within its new window"
    );
    assert_eq!(temp.store.counts().await.unwrap().done, 1);
}

#[tokio::test]
async fn permanent_errors_and_panics_fail_at_once() {
    let temp = TempStore::new(10);
    let recorder = Recorder::new(Duration::ZERO, |job| {
        match job.payload.read::<serde_json::Value>().unwrap()["n"].as_u64() {
            Some(1) => Err(JobError::Permanent {
                reason: "channel_not_found".into(),
            }),
            _ => panic!("handler bug"),
        }
    });
    let workers = Workers::spawn(temp.dyn_store(), recorder.clone(), fast_config(2));
    temp.store.enqueue(job(1)).await.unwrap();
    temp.store.enqueue(job(2)).await.unwrap();
    workers.notify();
    wait_until_drained(temp.store.as_ref(), PATIENCE).await;
    workers.shutdown(Duration::from_secs(1)).await;

    let failed = crate::support::failed_jobs(temp.store.as_ref()).await;
    let reason_of = |n: u64| {
        let job = failed
            .iter()
            .find(|job| job.payload.read::<serde_json::Value>().unwrap()["n"] == n)
            .expect("failed job");
        assert_eq!(job.attempts, 1, "failed without retrying");
        job.last_error.clone().unwrap()
    };
    assert_eq!(reason_of(1), "channel_not_found");
    assert!(reason_of(2).contains("handler bug"), "{}", reason_of(2));
}

#[tokio::test]
async fn shutdown_waits_for_jobs_in_progress() {
    let temp = TempStore::new(10);
    let recorder = Recorder::succeeding(Duration::from_millis(150));
    let workers = Workers::spawn(temp.dyn_store(), recorder.clone(), fast_config(1));
    temp.store.enqueue(job(1)).await.unwrap();
    workers.notify();
    wait_until_started(&recorder).await;
    workers.shutdown(Duration::from_secs(5)).await;
    assert_eq!(temp.store.counts().await.unwrap().done, 1);
}

#[tokio::test]
async fn shutdown_leaves_unfinished_jobs_to_be_reclaimed() {
    let temp = TempStore::new(10);
    let lease = Duration::from_millis(400);
    let stuck = Recorder::succeeding(Duration::from_secs(3600));
    let cfg = WorkerConfig {
        lease,
        ..fast_config(1)
    };
    let workers = Workers::spawn(temp.dyn_store(), stuck.clone(), cfg);
    let id = temp.store.enqueue(job(1)).await.unwrap().id();
    temp.store.enqueue(job(2)).await.unwrap();
    workers.notify();
    wait_until_started(&stuck).await;

    let started = Instant::now();
    workers.shutdown(Duration::from_millis(100)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "shutdown overran its grace period"
    );
    let counts = temp.store.counts().await.unwrap();
    assert_eq!(
        (counts.running, counts.pending),
        (1, 1),
        "the second job must not have been claimed"
    );
    assert_eq!(stuck.attempts_per_job().len(), 1);

    let store: Arc<dyn Store> = temp.dyn_store();
    let pending = store.claim(lease).await.unwrap().expect("the untouched job is due");
    assert_ne!(pending.id, id);
    assert!(
        store.claim(lease).await.unwrap().is_none(),
        "the abandoned job must stay leased for now"
    );
    tokio::time::sleep(lease).await;
    let reclaimed = store
        .claim(lease)
        .await
        .unwrap()
        .expect("abandoned job reclaimed after its lease");
    assert_eq!(
        (reclaimed.id, reclaimed.attempts, reclaimed.status),
        (id, 2, JobStatus::Running)
    );
}

#[tokio::test]
async fn long_deliveries_keep_their_lease() {
    let temp = TempStore::new(10);
    let lease = Duration::from_millis(100);
    let slow = Recorder::succeeding(Duration::from_millis(400));
    let workers = Workers::spawn(
        temp.dyn_store(),
        slow.clone(),
        WorkerConfig {
            lease,
            ..fast_config(1)
        },
    );
    let id = temp.store.enqueue(job(1)).await.unwrap().id();
    workers.notify();
    wait_until_started(&slow).await;
    tokio::time::sleep(lease * 2).await;
    assert!(
        temp.store.claim(lease).await.unwrap().is_none(),
        "a job in progress was taken over"
    );
    wait_until_drained(temp.store.as_ref(), PATIENCE).await;
    workers.shutdown(Duration::from_secs(1)).await;
    assert_eq!(slow.attempt_times(id).len(), 1);
}
