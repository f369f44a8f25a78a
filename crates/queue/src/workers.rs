//! The worker pool that delivers queued jobs.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use futures::FutureExt;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::QueueError;
use crate::backoff::{BackoffPolicy, RetryPlan};
use crate::express::{Enqueuer, Express, Stored};
use crate::job::Job;
use crate::store::Store;

/// Delivers one job. Called again for the same job after a [`JobError::Retry`], or after a crash while it ran, so
/// it should tolerate repeats where it can.
#[async_trait]
pub trait JobHandler: Send + Sync {
    async fn handle(&self, job: &Job) -> Result<(), JobError>;

    /// Called once when `job` has been marked failed for good (a permanent failure, or retries given up), so the
    /// people waiting for it can be told. `reason` is what was recorded.
    async fn failed_for_good(&self, _job: &Job, _reason: &str) {}
}

/// Why a delivery attempt did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// May succeed later (rate limit, server error, timeout). `after` is the receiver's Retry-After, if it gave one:
    /// the next attempt never comes earlier.
    Retry { reason: String, after: Option<Duration> },
    /// Will not succeed by trying again (channel not found, bad payload); the job is marked failed at once.
    Permanent { reason: String },
}

/// How the pool runs and retries.
#[derive(Debug, Clone, Copy)]
pub struct WorkerConfig {
    /// Jobs delivered concurrently.
    pub workers: usize,
    /// How long a claimed job stays reserved. Renewed while its handler runs; after a crash, the job is delivered
    /// again once its lease expires.
    pub lease: Duration,
    /// The pause after the first failed attempt; it doubles per attempt.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// A job still failing this long after it was queued is marked failed with its last error.
    pub give_up_after: Duration,
    /// How often idle workers look for due jobs when not woken by [`Workers::notify`] (retries coming due, jobs
    /// enqueued by another process).
    pub poll_interval: Duration,
}

impl Default for WorkerConfig {
    fn default() -> WorkerConfig {
        WorkerConfig {
            workers: 4,
            lease: Duration::from_secs(120),
            base_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(300),
            give_up_after: Duration::from_secs(60 * 60),
            poll_interval: Duration::from_secs(2),
        }
    }
}

/// A running pool of workers. Dropping it stops them abruptly; prefer [`Workers::shutdown`].
pub struct Workers {
    // Declared first so that, when the pool is dropped, the tasks are aborted before the stop signal's sender goes.
    tasks: JoinSet<()>,
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    express: Express,
}

impl Workers {
    /// Starts `cfg.workers` workers (at least one) on the current Tokio runtime, and as many express slots for
    /// jobs handed over by an [`Enqueuer`].
    pub fn spawn(store: Arc<dyn Store>, handler: Arc<dyn JobHandler>, cfg: WorkerConfig) -> Workers {
        let wake = Arc::new(Notify::new());
        let (stop, stopped) = watch::channel(false);
        let worker = |number| Worker {
            number,
            store: Arc::clone(&store),
            handler: Arc::clone(&handler),
            cfg,
            wake: Arc::clone(&wake),
            stopped: stopped.clone(),
        };
        let mut tasks = JoinSet::new();
        let count = cfg.workers.max(1);
        for number in 0..count {
            tasks.spawn(worker(number).run());
        }
        let express = Express::new(count, worker(count));
        Workers {
            tasks,
            wake,
            stop,
            express,
        }
    }

    /// Wakes an idle worker; call after enqueueing so the job goes out without waiting for the next poll.
    pub fn notify(&self) {
        self.wake.notify_one();
    }

    /// A handle that stores new jobs and gets them going, for code that does not own the pool (the HTTP handlers).
    pub fn enqueuer(&self) -> Enqueuer {
        Enqueuer {
            express: self.express.clone(),
        }
    }

    /// Stops claiming jobs and waits up to `grace` for the jobs in progress. Jobs still unfinished then are
    /// abandoned: they stay leased and are delivered again once their lease expires (after a restart).
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.stop.send(true);
        let express = self.express.clone();
        let finished = tokio::time::timeout(grace, async {
            while self.tasks.join_next().await.is_some() {}
            express.close_when_idle().await;
        })
        .await;
        if finished.is_err() {
            tracing::warn!(
                unfinished = self.tasks.len() + self.express.busy(),
                "deliveries still running at shutdown were abandoned; they will be retried after their lease expires"
            );
            self.express.abandon();
            self.tasks.shutdown().await;
        }
    }
}

/// One worker's loop: claim, deliver, record, repeat; wait for a wake-up or the poll interval when idle.
pub(crate) struct Worker {
    number: usize,
    pub(crate) store: Arc<dyn Store>,
    handler: Arc<dyn JobHandler>,
    pub(crate) cfg: WorkerConfig,
    pub(crate) wake: Arc<Notify>,
    stopped: watch::Receiver<bool>,
}

impl Worker {
    async fn run(mut self) {
        // A job claimed with the last done mark is delivered even when the pool is stopping: it is leased already.
        let mut next = None;
        while next.is_some() || !*self.stopped.borrow() {
            let job = match next.take() {
                Some(job) => Some(job),
                None => self.claim().await,
            };
            match job {
                Some(job) => {
                    // There may be more due jobs: let an idle peer look while this one works.
                    self.wake.notify_one();
                    next = self.deliver(job).await;
                }
                None if self.idle().await => {}
                None => break,
            }
        }
    }

    /// The next due job, if any; storage errors are logged and treated as "nothing to do for now".
    async fn claim(&self) -> Option<Job> {
        self.claimed(self.store.claim(self.cfg.lease).await)
    }

    fn claimed(&self, claim: Result<Option<Job>, QueueError>) -> Option<Job> {
        claim
            .inspect_err(|error| tracing::error!(worker = self.number, %error, "cannot claim a delivery"))
            .ok()
            .flatten()
    }

    /// Waits for a wake-up, the poll interval, or the stop signal; false when the worker should stop.
    async fn idle(&mut self) -> bool {
        tokio::select! {
            _ = self.wake.notified() => true,
            changed = self.stopped.changed() => changed.is_ok() && !*self.stopped.borrow(),
            _ = tokio::time::sleep(self.cfg.poll_interval) => true,
        }
    }

    /// Delivers `job` and records the outcome; after a success, the next due job comes with the done mark (one
    /// write for both), unless the pool is stopping.
    async fn deliver(&self, job: Job) -> Option<Job> {
        tracing::debug!(worker = self.number, job = job.id, kind = %job.kind, attempt = job.attempts, "delivering");
        if let Some(reason) = crate::sqlite::damage(&job.payload) {
            // A dead letter: parked as failed with what is wrong, and the queue goes on.
            self.record(&job, Err(JobError::Permanent { reason })).await;
            return None;
        }
        let outcome = self.keeping_lease(self.handle(&job), || Some(job.id)).await;
        if outcome.is_err() || *self.stopped.borrow() {
            self.record(&job, outcome).await;
            return None;
        }
        let (completed, claimed) = self.store.complete_and_claim(job.id, self.cfg.lease).await;
        if let Err(error) = completed {
            not_recorded(&job, &error);
        }
        self.claimed(claimed)
    }

    /// Runs the pool's handler on `job`.
    pub(crate) async fn handle(&self, job: &Job) -> Result<(), JobError> {
        self.handler.handle(job).await
    }

    /// Runs work started before its job was written, and records its outcome once the job is stored (if it is
    /// not, the work had nothing to do and there is nothing to record).
    pub(crate) async fn deliver_started<W>(&self, work: W, stored: Stored)
    where
        W: Future<Output = Result<(), JobError>>,
    {
        let outcome = self.keeping_lease(work, || stored.id_now()).await;
        match stored.job().await {
            Some(job) => self.record(&job, outcome).await,
            None => tracing::debug!(worker = self.number, "a delivery started ahead was not stored; dropped"),
        }
    }

    async fn record(&self, job: &Job, outcome: Result<(), JobError>) {
        let recorded = match outcome {
            Ok(()) => self.store.complete(job.id).await.map(|()| None),
            Err(JobError::Permanent { reason }) => {
                tracing::warn!(job = job.id, kind = %job.kind, %reason, "delivery failed for good");
                self.store.fail(job.id, &reason).await.map(|()| Some(reason))
            }
            Err(JobError::Retry { reason, after }) => self.retry_or_give_up(job, &reason, after).await,
        };
        match recorded {
            Ok(Some(failure)) => self.handler.failed_for_good(job, &failure).await,
            Ok(None) => {}
            Err(error) => not_recorded(job, &error),
        }
    }

    /// Runs `work`, renewing the lease of the job `id` names (once it has one) every half lease so that a slow
    /// delivery is not taken over by another worker. Panicking work counts as a permanent failure: repeating it
    /// would panic again.
    async fn keeping_lease<W>(&self, work: W, id: impl Fn() -> Option<i64>) -> Result<(), JobError>
    where
        W: Future<Output = Result<(), JobError>>,
    {
        let work = AssertUnwindSafe(work).catch_unwind();
        tokio::pin!(work);
        let renew_every = (self.cfg.lease / 2).max(Duration::from_millis(1));
        let mut renewals = tokio::time::interval_at(tokio::time::Instant::now() + renew_every, renew_every);
        loop {
            tokio::select! {
                outcome = &mut work => {
                    return outcome.unwrap_or_else(|panic| Err(JobError::Permanent {
                        reason: format!("the delivery handler crashed: {}", panic_message(panic.as_ref())),
                    }));
                }
                _ = renewals.tick() => {
                    let Some(id) = id() else { continue };
                    if let Err(error) = self.store.renew_lease(id, self.cfg.lease).await {
                        tracing::warn!(job = id, %error, "cannot renew the delivery's lease");
                    }
                }
            }
        }
    }

    /// Schedules the next attempt, or marks the job failed when retrying is over; the failure's recorded reason, if
    /// it failed.
    async fn retry_or_give_up(
        &self,
        job: &Job,
        reason: &str,
        retry_after: Option<Duration>,
    ) -> Result<Option<String>, QueueError> {
        let policy = BackoffPolicy {
            base: self.cfg.base_backoff,
            max: self.cfg.max_backoff,
            give_up_after: self.cfg.give_up_after,
        };
        match policy.plan(
            job.queued_at,
            job.attempts,
            retry_after,
            Utc::now(),
            rand::random::<f64>(),
        ) {
            RetryPlan::At(at) => {
                tracing::info!(job = job.id, kind = %job.kind, %reason, retry_at = %at, "delivery will be retried");
                self.store.retry_later(job.id, at, reason).await.map(|()| None)
            }
            RetryPlan::GiveUp => {
                tracing::warn!(job = job.id, kind = %job.kind, %reason, attempts = job.attempts, "gave up delivery");
                let attempts = job.attempts;
                let plural = if attempts == 1 { "" } else { "s" };
                let failure = format!("{reason} (gave up after {attempts} attempt{plural})");
                self.store.fail(job.id, &failure).await.map(|()| Some(failure))
            }
        }
    }
}

fn not_recorded(job: &Job, error: &QueueError) {
    tracing::error!(job = job.id, %error, "cannot record the delivery's outcome; it may be delivered again");
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic")
}
