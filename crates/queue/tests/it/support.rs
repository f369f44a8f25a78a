//! Helpers shared by the tests: temporary stores, a scriptable handler that records what it delivered, waiting.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use queue::{Job, JobError, JobHandler, NewJob, SqliteStore, Store, WorkerConfig};
use tempfile::TempDir;

/// A store in its own temporary directory (kept alive as long as the value).
pub struct TempStore {
    pub dir: TempDir,
    pub store: Arc<SqliteStore>,
}

impl TempStore {
    pub fn new(capacity: usize) -> TempStore {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = Arc::new(SqliteStore::open(&SqliteStore::default_path(dir.path()), capacity).expect("open"));
        TempStore { dir, store }
    }

    pub fn path(&self) -> PathBuf {
        SqliteStore::default_path(self.dir.path())
    }

    pub fn dyn_store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }
}

pub fn job(n: u32) -> NewJob {
    NewJob::new("test", serde_json::json!({ "n": n }))
}

/// Settings small enough for tests.
pub fn fast_config(workers: usize) -> WorkerConfig {
    WorkerConfig {
        workers,
        lease: Duration::from_secs(5),
        base_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        give_up_after: Duration::from_secs(10),
        poll_interval: Duration::from_millis(10),
    }
}

type Script = dyn Fn(&Job) -> Result<(), JobError> + Send + Sync;

/// A handler that takes `work` per attempt, answers what `script` says, and records every attempt.
pub struct Recorder {
    script: Box<Script>,
    work: Duration,
    attempts: Mutex<Vec<(i64, Instant)>>,
    in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
}

impl Recorder {
    pub fn new(work: Duration, script: impl Fn(&Job) -> Result<(), JobError> + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Recorder {
            script: Box::new(script),
            work,
            attempts: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        })
    }

    pub fn succeeding(work: Duration) -> Arc<Self> {
        Recorder::new(work, |_| Ok(()))
    }

    /// When each attempt on job `id` started.
    pub fn attempt_times(&self, id: i64) -> Vec<Instant> {
        self.attempts
            .lock()
            .unwrap()
            .iter()
            .filter(|(job, _)| *job == id)
            .map(|(_, at)| *at)
            .collect()
    }

    /// How many attempts each job got.
    pub fn attempts_per_job(&self) -> HashMap<i64, usize> {
        let mut counts = HashMap::new();
        for (id, _) in self.attempts.lock().unwrap().iter() {
            *counts.entry(*id).or_insert(0) += 1;
        }
        counts
    }
}

#[async_trait]
impl JobHandler for Recorder {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        self.attempts.lock().unwrap().push((job.id, Instant::now()));
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.work).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        (self.script)(job)
    }
}

/// Polls `condition` until it holds, panicking with `what` after `timeout`.
pub async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until the recorder's first delivery attempt has begun.
pub async fn wait_until_started(recorder: &Recorder) {
    wait_until("the delivery started", Duration::from_secs(10), || async {
        !recorder.attempts_per_job().is_empty()
    })
    .await;
}

/// The failed jobs, newest first (up to 10).
pub async fn failed_jobs(store: &dyn Store) -> Vec<Job> {
    store
        .list(queue::ListFilter::new(queue::JobSelection::Failed, 10))
        .await
        .unwrap()
}

/// Waits until no job is pending or running.
pub async fn wait_until_drained(store: &dyn Store, timeout: Duration) {
    wait_until("the queue is drained", timeout, || async {
        let counts = store.counts().await.unwrap();
        counts.pending + counts.running == 0
    })
    .await;
}
