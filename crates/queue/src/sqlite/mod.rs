//! The SQLite implementation of [`Store`]: one file under the data directory, one connection used from the store's
//! own storage thread (`thread`) so that the async workers never wait on disk I/O.

mod cached;
mod errors;
mod events;
mod group;
mod jobs;
mod relaxed;
mod retention;
mod room;
mod rows;
mod salvage;
mod schema;
mod startup;
mod thread;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

pub use retention::{Pruned, Retention};
pub(crate) use rows::damage;
pub use salvage::{Inspection, Salvaged};

use crate::error::QueueError;
use crate::health::StoreHealth;
use crate::job::{Claimed, Counts, EnqueueOutcome, Job, ListFilter, NewJob};
use crate::store::{CompletedAndClaimed, Store};
use crate::time::to_millis;
use cached::CachedStatements;
use thread::StorageThread;

/// The file name inside the data directory.
const FILE_NAME: &str = "deliveries.sqlite3";

/// Pruning runs at most this often, piggybacking on whatever operation comes along.
const HOUSEKEEPING_INTERVAL_MS: i64 = 60_000;

/// A [`Store`] in one SQLite file (WAL mode; every commit that accepts, finishes or fails a job is fsync'd).
#[derive(Clone)]
pub struct SqliteStore {
    path: Arc<Path>,
    /// The highest job id recorded in the marker next to the file (see `startup`).
    last_job: Arc<AtomicI64>,
    conn: Arc<Mutex<Connection>>,
    /// Where every operation on `conn` runs.
    thread: StorageThread,
    /// Whether the connection was left at `synchronous = NORMAL` by the last writes that need not survive power
    /// loss (`relaxed`); [`SqliteStore::lock`] restores `FULL` for everything else. Only read and written while the
    /// connection is locked.
    unsynced: Arc<AtomicBool>,
    capacity: usize,
    retention: Retention,
    last_housekeeping_ms: Arc<AtomicI64>,
    /// Enqueues waiting for the next group commit.
    waiting: Arc<room::Room<group::Waiting>>,
    /// Relaxed writes waiting for the next shared transaction.
    relaxed: Arc<room::Room<relaxed::Write>>,
    health: Arc<Mutex<StoreHealth>>,
}

impl SqliteStore {
    /// Moves a damaged or unwanted queue file aside (with its `-wal` and `-shm`), so that the next start begins with
    /// an empty queue; returns where it went (`lookerbot deliveries --reset`).
    pub fn set_aside(path: &Path) -> Result<PathBuf, QueueError> {
        startup::set_aside(path)
    }

    /// Carries the deliveries that can still be read from a damaged queue file into a fresh one, keeping their
    /// ids, and sets the damaged file aside (`lookerbot deliveries --salvage`).
    pub fn salvage(path: &Path) -> Result<Salvaged, QueueError> {
        salvage::salvage(path)
    }

    /// What a queue file holds and what is wrong with it, read without changing it (`lookerbot deliveries
    /// --inspect`).
    pub fn inspect(path: &Path) -> Result<Inspection, QueueError> {
        salvage::inspect(path)
    }

    /// Where the queue file lives inside lookerbot's data directory.
    pub fn default_path(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE_NAME)
    }

    /// Opens (creating it and its directory if needed) the queue file, with the default [`Retention`]. At most
    /// `capacity` jobs may be pending or running at once.
    pub fn open(path: &Path, capacity: usize) -> Result<SqliteStore, QueueError> {
        SqliteStore::open_with_retention(path, capacity, Retention::default())
    }

    pub fn open_with_retention(path: &Path, capacity: usize, retention: Retention) -> Result<SqliteStore, QueueError> {
        if capacity == 0 {
            return Err(QueueError::InvalidConfig(
                "the queue capacity must be at least 1".into(),
            ));
        }
        let cannot_open =
            |why: String| QueueError::Storage(format!("cannot open the queue file {}: {why}", path.display()));
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                cannot_open(format!(
                    "cannot create its directory ({e}); check the data directory setting"
                ))
            })?;
        }
        startup::check_not_lost(path)?;
        // Read before the file is opened: a process writing the same queue only ever records committed jobs.
        let recorded = startup::recorded_last_job(path);
        let mut conn = Connection::open(path).map_err(|e| {
            cannot_open(format!(
                "{e}; check that the data directory exists and lookerbot may write to it"
            ))
        })?;
        // Until the file passed its checks, closing leaves it and its write-ahead log exactly as they were found.
        startup::leave_as_found(&conn, true)?;
        schema::configure(&conn).map_err(cannot_open)?;
        startup::check_intact(&conn, path)?;
        startup::check_commits_kept(&conn, path, recorded)?;
        startup::leave_as_found(&conn, false)?;
        schema::migrate(&mut conn).map_err(cannot_open)?;
        let last_job = startup::mark_in_use(&conn, path, recorded)?;
        let store = SqliteStore {
            path: path.into(),
            last_job: Arc::new(AtomicI64::new(last_job)),
            conn: Arc::new(Mutex::new(conn)),
            thread: StorageThread::start()?,
            unsynced: Arc::default(),
            capacity,
            retention,
            last_housekeeping_ms: Arc::new(AtomicI64::new(i64::MIN)),
            waiting: Arc::default(),
            relaxed: Arc::default(),
            health: Arc::default(),
        };
        store.housekeeping_if_due(&store.lock(), now_ms());
        Ok(store)
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Removes old finished jobs and expired event ids now (this also happens by itself about once a minute).
    pub async fn prune_now(&self) -> Result<Pruned, QueueError> {
        let retention = self.retention;
        self.with_conn(move |conn, now| retention::prune(conn, &retention, now).map_err(prune_error))
            .await
    }

    /// Runs `op` on the connection in the storage thread, with the current time in milliseconds.
    async fn with_conn<T, F>(&self, op: F) -> Result<T, QueueError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, i64) -> Result<T, QueueError> + Send + 'static,
    {
        let store = self.clone();
        self.thread
            .run(move || {
                let mut conn = store.lock();
                let now = now_ms();
                let result = op(&mut conn, now);
                store.housekeeping_if_due(&conn, now);
                result
            })
            .await
    }

    /// The connection at `synchronous = FULL`; a panic in another thread leaves it usable (SQLite rolled back the
    /// open transaction).
    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        let conn = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.unsynced.load(Ordering::Relaxed) {
            match set_synchronous(&conn, "FULL") {
                Ok(()) => self.unsynced.store(false, Ordering::Relaxed),
                Err(error) => tracing::error!(%error, "a queue write may not survive power loss"),
            }
        }
        conn
    }

    /// Records `id` in the marker as the highest job id committed, when it is higher than the one recorded. Called
    /// after the commit, with the connection held, so that records follow commits in order.
    fn record_committed(&self, id: i64) {
        if self.last_job.fetch_max(id, Ordering::Relaxed) >= id {
            return;
        }
        if let Err(error) = startup::record_last_job(&self.path, id) {
            tracing::warn!(%error, "could not record the last stored delivery next to the queue file");
        }
    }

    fn health_mut(&self) -> std::sync::MutexGuard<'_, StoreHealth> {
        self.health.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn housekeeping_if_due(&self, conn: &Connection, now: i64) {
        let last = self.last_housekeeping_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) < HOUSEKEEPING_INTERVAL_MS
            || self
                .last_housekeeping_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        match retention::prune(conn, &self.retention, now) {
            Ok(pruned) if pruned != Pruned::default() => {
                tracing::debug!(
                    jobs = pruned.jobs,
                    seen_events = pruned.seen_events,
                    "pruned the delivery queue"
                )
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = %prune_error(error), "could not prune the delivery queue")
            }
        }
    }
}

fn set_synchronous(conn: &Connection, level: &str) -> Result<(), QueueError> {
    conn.cached_execute(&format!("PRAGMA synchronous = {level}"), [])
        .map(drop)
        .map_err(|e| QueueError::Storage(format!("cannot set the queue's durability to {level}: {e}")))
}

fn prune_error(error: rusqlite::Error) -> QueueError {
    QueueError::Storage(format!("cannot prune old deliveries: {error}"))
}

fn now_ms() -> i64 {
    to_millis(Utc::now())
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[async_trait]
impl Store for SqliteStore {
    /// Group-committed with concurrent enqueues (see `group`).
    async fn enqueue(&self, job: NewJob) -> Result<EnqueueOutcome, QueueError> {
        Ok(self.submit(job, None)?.get().await?.enqueued())
    }

    async fn enqueue_claimed(&self, job: NewJob, lease: Duration) -> Result<Claimed, QueueError> {
        Ok(self.submit(job, Some(millis(lease)))?.get().await?.claimed())
    }

    /// Not fsync'd: a lease lost to power loss leaves the job pending, so it is delivered again, as it would be
    /// once the lease of a crashed process expires. Waiting for the disk here only delayed every delivery.
    async fn claim(&self, lease: Duration) -> Result<Option<Job>, QueueError> {
        let claimed = self
            .relaxed_write(move |conn, now| jobs::claim(conn, millis(lease), now))
            .await;
        self.health_mut().record(&claimed);
        claimed
    }

    /// One transaction for both.
    async fn complete_and_claim(&self, id: i64, lease: Duration) -> CompletedAndClaimed {
        let both = self
            .relaxed_write(move |conn, now| {
                let completed = jobs::complete(conn, id, now);
                Ok((completed, jobs::claim(conn, millis(lease), now)))
            })
            .await;
        let (completed, claimed) = match both {
            Ok(both) => both,
            Err(error) => (Err(error.clone()), Err(error)),
        };
        self.health_mut().record(&claimed);
        (completed, claimed)
    }

    fn health(&self) -> StoreHealth {
        self.health_mut().clone()
    }

    async fn renew_lease(&self, id: i64, lease: Duration) -> Result<(), QueueError> {
        self.relaxed_write(move |conn, now| jobs::renew_lease(conn, id, millis(lease), now))
            .await
    }

    /// Not fsync'd: a done mark lost to power loss leaves the job running, so it is delivered again once its lease
    /// expires (at least once, as after a crash). Waiting for the disk here held up the next webhook's enqueue.
    async fn complete(&self, id: i64) -> Result<(), QueueError> {
        self.relaxed_write(move |conn, now| jobs::complete(conn, id, now)).await
    }

    async fn retry_later(&self, id: i64, at: DateTime<Utc>, error: &str) -> Result<(), QueueError> {
        let error = error.to_owned();
        self.with_conn(move |conn, _| jobs::retry_later(conn, id, to_millis(at), &error))
            .await
    }

    async fn fail(&self, id: i64, error: &str) -> Result<(), QueueError> {
        let error = error.to_owned();
        self.with_conn(move |conn, now| jobs::fail(conn, id, &error, now)).await
    }

    async fn list(&self, filter: ListFilter) -> Result<Vec<Job>, QueueError> {
        self.with_conn(move |conn, _| jobs::list(conn, filter)).await
    }

    async fn requeue_failed(&self, id: i64) -> Result<(), QueueError> {
        self.with_conn(move |conn, now| jobs::requeue_failed(conn, id, now))
            .await
    }

    async fn counts(&self) -> Result<Counts, QueueError> {
        self.with_conn(|conn, _| jobs::counts(conn)).await
    }

    async fn oldest_waiting(&self) -> Result<Option<DateTime<Utc>>, QueueError> {
        let oldest = self.with_conn(|conn, _| jobs::oldest_waiting(conn)).await?;
        Ok(oldest.and_then(DateTime::from_timestamp_millis))
    }

    async fn probe_write(&self) -> Result<(), QueueError> {
        self.with_conn(|conn, now| events::probe_write(conn, now)).await
    }

    /// Not fsync'd: it runs before every chat message is handled, and an event id lost to power loss costs at most
    /// one duplicate answer to a redelivery after the restart.
    async fn first_sighting(&self, key: &str, ttl: Duration) -> Result<bool, QueueError> {
        let key = key.to_owned();
        self.relaxed_write(move |conn, now| events::first_sighting(conn, &key, millis(ttl), now))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synchronous(store: &SqliteStore) -> i64 {
        store
            .lock()
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .unwrap()
    }

    #[tokio::test]
    async fn relaxed_writes_leave_the_connection_fully_synced() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&SqliteStore::default_path(dir.path()), 10).unwrap();
        const FULL: i64 = 2;
        assert_eq!(synchronous(&store), FULL);
        assert!(store.first_sighting("ev-1", Duration::from_secs(60)).await.unwrap());
        assert!(!store.first_sighting("ev-1", Duration::from_secs(60)).await.unwrap());
        store.enqueue(NewJob::new("kind", serde_json::json!({}))).await.unwrap();
        let job = store.claim(Duration::from_secs(60)).await.unwrap().expect("the job");
        store.renew_lease(job.id, Duration::from_secs(60)).await.unwrap();
        assert_eq!(
            synchronous(&store),
            FULL,
            "enqueue and complete still wait for the disk"
        );
    }
}
