//! Express deliveries: a new job's delivery starts the moment it is handed to the [`Enqueuer`], while the job is
//! still being written, instead of after the write, a commit's disk sync, a wake-up and a claim.

use std::future::Future;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::Shared;
use tokio::runtime::Handle;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};

use crate::QueueError;
use crate::job::{Claimed, EnqueueOutcome, Job, NewJob};
use crate::workers::{JobError, Worker};

/// Opens once the job is committed to the queue (stored running and leased, synced to disk) and its caller was told
/// so, i.e. once the webhook is answered with success. Work started ahead of the write must not act on the world
/// (post a message) before it opens; if the job was not stored (a duplicate, a full queue, a storage error, a commit
/// that failed or that its caller stopped waiting for), it never opens and the work must do nothing.
#[derive(Clone)]
pub struct Stored(Shared<oneshot::Receiver<Job>>);

impl Stored {
    fn new() -> (oneshot::Sender<Job>, Stored) {
        let (tx, rx) = oneshot::channel();
        (tx, Stored(rx.shared()))
    }

    /// The stored job, once it is written; `None` if it will not be.
    pub async fn job(self) -> Option<Job> {
        self.0.await.ok()
    }

    /// The stored job's id, if it is written already. Polls the gate itself: the work may not have looked yet
    /// (it reads from Looker first), and the lease must be renewed meanwhile.
    pub(crate) fn id_now(&self) -> Option<i64> {
        if self.0.peek().is_none() {
            // Completes the shared gate if its job arrived (the result is kept by the gate).
            let _ = self.0.clone().now_or_never();
        }
        self.0.peek().and_then(|job| job.as_ref().ok()).map(|job| job.id)
    }
}

/// The express slots: as many as the pool has workers, on top of them.
#[derive(Clone)]
pub(crate) struct Express {
    slots: Arc<Semaphore>,
    size: usize,
    worker: Arc<Worker>,
    runtime: Handle,
    /// Set when shutdown gives up waiting: deliveries still running stop where they are.
    abandon: Arc<watch::Sender<bool>>,
}

impl Express {
    pub(crate) fn new(size: usize, worker: Worker) -> Express {
        Express {
            slots: Arc::new(Semaphore::new(size)),
            size,
            worker: Arc::new(worker),
            runtime: Handle::current(),
            abandon: Arc::new(watch::channel(false).0),
        }
    }

    /// Runs `work` on the pool's runtime, holding `slot` until it ends, and records its outcome against the job
    /// once `stored` opens.
    fn start<W>(&self, work: W, stored: Stored, slot: OwnedSemaphorePermit)
    where
        W: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        // Boxed once here: a delivery's future is large, and unboxed it was copied on each of its moves into the
        // task and through the lease keeping (seven per delivery, callgrind).
        let work = Box::pin(work);
        let worker = Arc::clone(&self.worker);
        let mut abandoned = self.abandon.subscribe();
        self.runtime.spawn(async move {
            tokio::select! {
                _ = worker.deliver_started(work, stored) => {}
                _ = abandoned.wait_for(|abandon| *abandon) => {}
            }
            drop(slot);
        });
    }

    pub(crate) fn abandon(&self) {
        self.slots.close();
        let _ = self.abandon.send(true);
    }

    pub(crate) fn busy(&self) -> usize {
        self.size - self.slots.available_permits()
    }

    /// Waits until no express delivery runs, and takes no more.
    pub(crate) async fn close_when_idle(&self) {
        let all = u32::try_from(self.size).unwrap_or(u32::MAX);
        if let Ok(permits) = self.slots.acquire_many(all).await {
            permits.forget();
        }
        self.slots.close();
    }
}

/// Stores new jobs and gets them delivered: at once on a free express slot, otherwise by waking an idle worker.
/// Cheap to clone.
#[derive(Clone)]
pub struct Enqueuer {
    /// The express slots, and through their worker the pool's store, handler and wake-up signal.
    pub(crate) express: Express,
}

impl Enqueuer {
    /// Like [`crate::Store::enqueue`]: returns once the job is durable. On a free express slot the pool's handler
    /// delivers it as soon as it is written.
    pub async fn enqueue(&self, job: NewJob) -> Result<EnqueueOutcome, QueueError> {
        let worker = Arc::clone(&self.express.worker);
        self.enqueue_with_head_start(job, move |stored| async move {
            match stored.job().await {
                Some(job) => worker.handle(&job).await,
                None => Ok(()),
            }
        })
        .await
    }

    /// [`Enqueuer::enqueue`] for a caller that can start the delivery itself, before the job is even written:
    /// on a free express slot, `work` starts at once, concurrently with the write and its disk sync, and its outcome
    /// is recorded like a worker's (done, retried later through the pool's handler, or failed). `work` must wait for
    /// [`Stored`], which opens once the job is committed and this returns it, before any side effect. Without a
    /// free slot, `work` is dropped unstarted and a worker delivers the stored
    /// job through the pool's handler.
    pub async fn enqueue_with_head_start<W, F>(&self, job: NewJob, work: W) -> Result<EnqueueOutcome, QueueError>
    where
        W: FnOnce(Stored) -> F,
        F: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let worker = &self.express.worker;
        let Ok(slot) = Arc::clone(&self.express.slots).try_acquire_owned() else {
            let outcome = worker.store.enqueue(job).await?;
            worker.wake.notify_one();
            return Ok(outcome);
        };
        let (written, stored) = Stored::new();
        self.express.start(work(stored.clone()), stored, slot);
        // Opened in the same poll that returns success to the caller: no answer, no gate.
        let claimed = worker.store.enqueue_claimed(job, worker.cfg.lease).await?;
        let outcome = claimed.outcome();
        if let Claimed::Accepted(job) = claimed {
            let _ = written.send(job);
        }
        Ok(outcome)
    }
}
