//! The PostgreSQL implementation of [`Store`], shared by every replica pointed at the same database: jobs are
//! claimed with `FOR UPDATE SKIP LOCKED`, so replicas never take the same job, and a job whose replica died is
//! claimed again by another once its lease expires. Event ids are remembered in the same database, so an event
//! handed to two replicas is handled once; so is each Slack channel's posting budget
//! ([`crate::SharedPace`]), so that the replicas together post no faster than Slack allows.

mod errors;
mod jobs;
mod pace;
mod retention;
mod schema;
mod tls;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio::sync::oneshot;
use tokio_postgres::NoTls;

use crate::error::QueueError;
use crate::health::StoreHealth;
use crate::job::{Claimed, Counts, EnqueueOutcome, Job, ListFilter, NewJob};
use crate::sqlite::Retention;
use crate::store::Store;
use crate::time::to_millis;
use crate::written::{SetAside, WriteReply, Written};
use errors::StorageContext;

/// Connections per replica: workers, express deliveries and webhooks share them.
const POOL_SIZE: usize = 16;

/// How long an operation waits for a connection (PostgreSQL down or unreachable) before failing.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Pruning runs at most this often per replica, in the background.
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(60);

/// A [`Store`] in a PostgreSQL database, safe to share between any number of replicas.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    capacity: usize,
    retention: Retention,
    /// When the next pruning pass is due; `None` before the first.
    next_housekeeping: Arc<Mutex<Option<Instant>>>,
    health: Arc<Mutex<StoreHealth>>,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, with `sslmode` and
    /// `sslrootcert` as libpq reads them: see `tls.rs`), running the migrations
    /// it lacks, with the default [`Retention`]. At most `capacity` jobs may be pending or running at once, counted
    /// over all replicas.
    pub async fn connect(url: &str, capacity: usize) -> Result<PostgresStore, QueueError> {
        PostgresStore::connect_with_retention(url, capacity, Retention::default()).await
    }

    pub async fn connect_with_retention(
        url: &str,
        capacity: usize,
        retention: Retention,
    ) -> Result<PostgresStore, QueueError> {
        if capacity == 0 {
            return Err(QueueError::InvalidConfig(
                "the queue capacity must be at least 1".into(),
            ));
        }
        let tls::Connection { mut config, tls } = tls::parse(url)?;
        config.connect_timeout(CONNECT_TIMEOUT);
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match tls {
            Some(tls) => Manager::from_config(config, tls, manager_config),
            None => Manager::from_config(config, NoTls, manager_config),
        };
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| QueueError::InvalidConfig(format!("cannot set up database connections: {e}")))?;
        let mut client = pool
            .get()
            .await
            .context("cannot open the delivery queue in PostgreSQL")?;
        schema::migrate(&mut client).await?;
        Ok(PostgresStore {
            pool,
            capacity,
            retention,
            next_housekeeping: Arc::default(),
            health: Arc::default(),
        })
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Removes old finished jobs and expired event ids now (this also happens by itself about once a minute).
    pub async fn prune_now(&self) -> Result<crate::sqlite::Pruned, QueueError> {
        retention::prune(&self.client().await?, &self.retention).await
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, QueueError> {
        self.housekeeping_if_due();
        self.pool.get().await.context("cannot reach the delivery queue")
    }

    fn health_mut(&self) -> std::sync::MutexGuard<'_, StoreHealth> {
        self.health.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts a pruning pass in the background when the last one is a minute old.
    fn housekeeping_if_due(&self) {
        {
            let mut next = self
                .next_housekeeping
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = Instant::now();
            if next.is_some_and(|next| now < next) {
                return;
            }
            *next = Some(now + HOUSEKEEPING_INTERVAL);
        }
        let store = self.clone();
        tokio::spawn(async move {
            let pruned = match store.pool.get().await.context("cannot reach the delivery queue") {
                Ok(client) => retention::prune(&client, &store.retention).await,
                Err(error) => Err(error),
            };
            if let Err(error) = pruned {
                tracing::warn!(%error, "could not prune the delivery queue");
            }
        });
    }

    /// Writes `job` in a task of its own and waits for the answer. A caller that stops waiting before it is told
    /// gets nothing written, or its job set aside as failed (see [`WriteReply`]).
    async fn write(&self, job: NewJob, lease_ms: Option<i64>) -> Result<Written, QueueError> {
        let (answer, receiver) = oneshot::channel();
        let store = self.clone();
        tokio::spawn(async move {
            let written = match store.client().await {
                Ok(_) if answer.is_closed() => return,
                Ok(mut client) => jobs::insert(&mut client, &job, lease_ms, store.capacity).await,
                Err(error) => Err(error),
            };
            store.record_write(&written);
            if let Err(Ok(Written::Accepted(job))) = answer.send(written) {
                store.set_aside(job.id).await;
            }
        });
        WriteReply::new(receiver, self.clone()).get().await
    }

    fn record_write(&self, written: &Result<Written, QueueError>) {
        let mut health = self.health_mut();
        match written {
            Err(QueueError::Full { .. }) => health.failing = None,
            other => health.record(other),
        }
        if let Ok(written) = written {
            health.group_commits += 1;
            health.jobs_committed += u64::from(matches!(written, Written::Accepted(_)));
        }
    }

    /// Fails a job whose caller is gone, logging (not returning) a failure to do so.
    async fn set_aside(&self, id: i64) {
        let result = match self.client().await {
            Ok(client) => jobs::abandon(&client, id).await,
            Err(error) => Err(error),
        };
        match result {
            Ok(()) => tracing::warn!(job = id, "{}", jobs::ABANDONED),
            Err(error) => tracing::error!(job = id, %error, "a delivery nobody was told about may still go out"),
        }
    }
}

impl SetAside for PostgresStore {
    fn set_aside_later(&self, runtime: &tokio::runtime::Handle, id: i64) {
        let store = self.clone();
        runtime.spawn(async move { store.set_aside(id).await });
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 4)
}

#[async_trait]
impl Store for PostgresStore {
    async fn enqueue(&self, job: NewJob) -> Result<EnqueueOutcome, QueueError> {
        Ok(self.write(job, None).await?.enqueued())
    }

    async fn enqueue_claimed(&self, job: NewJob, lease: Duration) -> Result<Claimed, QueueError> {
        Ok(self.write(job, Some(millis(lease))).await?.claimed())
    }

    async fn claim(&self, lease: Duration) -> Result<Option<Job>, QueueError> {
        let claimed = match self.client().await {
            Ok(client) => jobs::claim(&client, millis(lease)).await,
            Err(error) => Err(error),
        };
        self.health_mut().record(&claimed);
        claimed
    }

    async fn renew_lease(&self, id: i64, lease: Duration) -> Result<(), QueueError> {
        jobs::renew_lease(&self.client().await?, id, millis(lease)).await
    }

    async fn complete(&self, id: i64) -> Result<(), QueueError> {
        jobs::complete(&self.client().await?, id).await
    }

    async fn retry_later(&self, id: i64, at: DateTime<Utc>, error: &str) -> Result<(), QueueError> {
        jobs::retry_later(&self.client().await?, id, to_millis(at), error).await
    }

    async fn fail(&self, id: i64, error: &str) -> Result<(), QueueError> {
        jobs::fail(&self.client().await?, id, error).await
    }

    async fn list(&self, filter: ListFilter) -> Result<Vec<Job>, QueueError> {
        jobs::list(&self.client().await?, filter).await
    }

    async fn requeue_failed(&self, id: i64) -> Result<(), QueueError> {
        jobs::requeue_failed(&self.client().await?, id).await
    }

    async fn counts(&self) -> Result<Counts, QueueError> {
        jobs::counts(&self.client().await?).await
    }

    fn health(&self) -> StoreHealth {
        self.health_mut().clone()
    }

    async fn oldest_waiting(&self) -> Result<Option<DateTime<Utc>>, QueueError> {
        let oldest = jobs::oldest_waiting(&self.client().await?).await?;
        Ok(oldest.and_then(DateTime::from_timestamp_millis))
    }

    async fn probe_write(&self) -> Result<(), QueueError> {
        jobs::probe_write(&self.client().await?).await
    }

    async fn first_sighting(&self, key: &str, ttl: Duration) -> Result<bool, QueueError> {
        jobs::first_sighting(&self.client().await?, key, millis(ttl)).await
    }
}
