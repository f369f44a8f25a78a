//! A real crash: a child process enqueues and delivers jobs and is killed with SIGKILL in the middle; reopening the
//! file must find every job it acknowledged, and workers must deliver all of them.
//!
//! The child is this same test binary, run with `CRASH_CHILD_DIR` set so that [`child_role`] does the child's work.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use queue::{Job, JobError, JobHandler, JobSelection, JobStatus, ListFilter, NewJob, SqliteStore, Store, Workers};

use crate::support::{Recorder, fast_config, wait_until_drained};

const CHILD_DIR_VAR: &str = "CRASH_CHILD_DIR";
const CHILD_WORKERS: usize = 2;
const LEASE: Duration = Duration::from_millis(500);

/// Appends each delivered job id to a file, synced, before reporting success: the child's delivery receipts.
pub(crate) struct ReceiptWriter {
    pub(crate) path: PathBuf,
}

#[async_trait]
impl JobHandler for ReceiptWriter {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .unwrap();
        writeln!(file, "{}", job.id).unwrap();
        file.sync_data().unwrap();
        Ok(())
    }
}

pub(crate) fn receipts_path(dir: &Path) -> PathBuf {
    dir.join("receipts.txt")
}

pub(crate) fn read_receipts(dir: &Path) -> Vec<i64> {
    std::fs::read_to_string(receipts_path(dir))
        .unwrap_or_default()
        .lines()
        .map(|line| line.parse().expect("receipt line"))
        .collect()
}

/// The child's work; does nothing when run as an ordinary test.
#[tokio::test]
async fn child_role() {
    let Some(dir) = std::env::var_os(CHILD_DIR_VAR).map(PathBuf::from) else {
        return;
    };
    let store = Arc::new(SqliteStore::open(&SqliteStore::default_path(&dir), 10_000).unwrap());
    let handler = Arc::new(ReceiptWriter {
        path: receipts_path(&dir),
    });
    let workers = Workers::spawn(
        store.clone(),
        handler,
        queue::WorkerConfig {
            lease: LEASE,
            ..fast_config(CHILD_WORKERS)
        },
    );
    let started = Instant::now();
    for n in 0.. {
        let id = store
            .enqueue(NewJob::new("crash", serde_json::json!({ "n": n })))
            .await
            .unwrap()
            .id();
        // Acknowledge only after enqueue returned, like a webhook answering Looker.
        println!("enqueued {id}");
        std::io::stdout().flush().unwrap();
        workers.notify();
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the parent never killed this child"
        );
    }
}

/// Kills the child if the test fails before it does.
pub(crate) struct KillOnDrop(pub(crate) Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_job_is_delivered_after_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = KillOnDrop(
        Command::new(std::env::current_exe().unwrap())
            .args(["crash::child_role", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR_VAR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let dir_path = dir.path().to_owned();
    let acknowledged = tokio::task::spawn_blocking(move || {
        let mut acknowledged = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        for line in BufReader::new(stdout).lines() {
            if let Some(id) = line.unwrap().strip_prefix("enqueued ") {
                acknowledged.push(id.parse::<i64>().unwrap());
            }
            if acknowledged.len() >= 30 && read_receipts(&dir_path).len() >= 3 {
                break;
            }
            assert!(Instant::now() < deadline, "the child made too little progress");
        }
        acknowledged
    })
    .await
    .unwrap();
    child.0.kill().unwrap(); // SIGKILL: no destructor, no flush, no outcome recorded for jobs in progress
    child.0.wait().unwrap();

    let delivered_by_child = read_receipts(dir.path());
    let store = Arc::new(SqliteStore::open(&SqliteStore::default_path(dir.path()), 10_000).unwrap());
    let stored: HashMap<i64, Job> = store
        .list(ListFilter::new(JobSelection::All, 10_000))
        .await
        .unwrap()
        .into_iter()
        .map(|j| (j.id, j))
        .collect();
    for id in &acknowledged {
        assert!(stored.contains_key(id), "acknowledged job {id} was lost in the crash");
    }
    let unfinished = stored.values().filter(|job| job.status != JobStatus::Done).count();
    assert!(
        unfinished > 0,
        "the child finished everything before the kill; the test proves nothing"
    );

    let recorder = Recorder::succeeding(Duration::ZERO);
    let workers = Workers::spawn(
        store.clone(),
        recorder.clone(),
        queue::WorkerConfig {
            lease: LEASE,
            ..fast_config(4)
        },
    );
    wait_until_drained(store.as_ref(), Duration::from_secs(20)).await;
    workers.shutdown(Duration::from_secs(1)).await;

    let after: Vec<Job> = store.list(ListFilter::new(JobSelection::All, 10_000)).await.unwrap();
    assert_eq!(after.len(), stored.len());
    assert!(
        after.iter().all(|job| job.status == JobStatus::Done),
        "some jobs were not delivered after restart"
    );
    let delivered_by_parent: HashSet<i64> = recorder.attempts_per_job().into_keys().collect();
    let all_delivered: HashSet<i64> = delivered_by_child
        .iter()
        .copied()
        .chain(delivered_by_parent.iter().copied())
        .collect();
    assert_eq!(
        all_delivered,
        stored.keys().copied().collect::<HashSet<_>>(),
        "every stored job was delivered"
    );
    assert!(
        recorder.attempts_per_job().values().all(|&n| n == 1),
        "the restarted workers redelivered a job"
    );
    // Only jobs the child was in the middle of (at most one per worker) may have been delivered twice.
    let child_receipts: HashSet<i64> = delivered_by_child.iter().copied().collect();
    assert_eq!(
        child_receipts.len(),
        delivered_by_child.len(),
        "the child delivered a job twice"
    );
    let twice = child_receipts.intersection(&delivered_by_parent).count();
    assert!(twice <= CHILD_WORKERS, "{twice} jobs were delivered twice");
}
