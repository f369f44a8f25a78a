//! The storage interface the webhook handlers and workers share.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::QueueError;
use crate::health::StoreHealth;
use crate::job::{Claimed, Counts, EnqueueOutcome, Job, ListFilter, NewJob};

/// What [`Store::complete_and_claim`] did: the done mark's outcome, then the claim's.
pub type CompletedAndClaimed = (Result<(), QueueError>, Result<Option<Job>, QueueError>);

/// Durable job storage plus the event-dedupe memory.
///
/// Written so that a shared store fits: `enqueue` is an insert that does nothing on a conflicting idempotency key,
/// `claim` is an atomic "take the next due row and lease it" (`UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP
/// LOCKED) RETURNING *` in PostgreSQL), and every state change is a single conditional update.
#[async_trait]
pub trait Store: Send + Sync {
    /// Stores a job durably (committed to disk) before returning. A job whose idempotency key is already stored is
    /// a [`EnqueueOutcome::Duplicate`]. Fails with [`QueueError::Full`] when pending plus running jobs reach the
    /// capacity.
    ///
    /// A caller that drops this future before it returned was told nothing, and its webhook was answered with an
    /// error: the job must then never be delivered (not stored, or stored as failed), whenever the drop happens.
    async fn enqueue(&self, job: NewJob) -> Result<EnqueueOutcome, QueueError>;

    /// [`Store::enqueue`] for a job its caller delivers at once: it is stored already claimed (running, leased for
    /// `lease`, first attempt) and returned once committed. The caller has usually started the work ahead (reading
    /// from Looker) and acts on the world only once this returned the job. Dropping the future before it returned
    /// must leave no deliverable job, as for `enqueue`.
    async fn enqueue_claimed(&self, job: NewJob, lease: Duration) -> Result<Claimed, QueueError>;

    /// Takes the next due job: a pending job whose `next_attempt_at` has come, or a running job whose lease expired
    /// (its worker crashed). Marks it running, leased for `lease`, and counts the attempt.
    async fn claim(&self, lease: Duration) -> Result<Option<Job>, QueueError>;

    /// Extends the lease of a running job, for deliveries that take longer than one lease.
    async fn renew_lease(&self, id: i64, lease: Duration) -> Result<(), QueueError>;

    /// Records a running job as delivered. Completing a job already done is not an error.
    async fn complete(&self, id: i64) -> Result<(), QueueError>;

    /// [`Store::complete`], then [`Store::claim`]: what a worker does after each delivery. A store may write both in
    /// one transaction (SQLite does: that halves the pages written per delivery); each keeps its own outcome.
    async fn complete_and_claim(&self, id: i64, lease: Duration) -> CompletedAndClaimed {
        (self.complete(id).await, self.claim(lease).await)
    }

    /// Puts a running job back to wait until `at`, remembering why this attempt failed.
    async fn retry_later(&self, id: i64, at: DateTime<Utc>, error: &str) -> Result<(), QueueError>;

    /// Records a running job as failed for good, with the reason.
    async fn fail(&self, id: i64, error: &str) -> Result<(), QueueError>;

    /// Jobs selected by `filter`, newest first.
    async fn list(&self, filter: ListFilter) -> Result<Vec<Job>, QueueError>;

    /// Puts a failed job back in the queue, due now, with a fresh retry window (`lookerbot deliveries --retry ID`).
    async fn requeue_failed(&self, id: i64) -> Result<(), QueueError>;

    async fn counts(&self) -> Result<Counts, QueueError>;

    /// When the job waiting longest (pending, not running) was queued; `None` when none waits. For the
    /// `lookerbot_queue_oldest_waiting_seconds` metric.
    async fn oldest_waiting(&self) -> Result<Option<DateTime<Utc>>, QueueError>;

    /// Writes a throwaway row, commits it as durably as a delivery, and removes it: proves that deliveries can be
    /// stored right now (disk full, read-only file, lost database), for readiness.
    async fn probe_write(&self) -> Result<(), QueueError>;

    /// Whether enqueue commits and claims work, as last seen (for a readiness check); no I/O.
    fn health(&self) -> StoreHealth;

    /// Event dedupe: true the first time `key` is seen, false when it was seen less than `ttl` ago.
    async fn first_sighting(&self, key: &str, ttl: Duration) -> Result<bool, QueueError>;
}
