//! The storage thread: every operation on the queue's connection runs on one thread of the store's own, in the order
//! asked. A blocking-pool thread per operation, as before, left up to a hundred threads waiting for the one
//! connection under load (138 with 100 webhook senders), each costing a spawn and a context switch; now an
//! operation costs a message and a wake-up.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;

use tokio::sync::oneshot;

use crate::error::QueueError;

type Task = Box<dyn FnOnce() + Send>;

/// Hands work to the storage thread. The thread ends once every handle is gone and the work handed over is done.
#[derive(Clone)]
pub(super) struct StorageThread(mpsc::Sender<Task>);

impl StorageThread {
    pub(super) fn start() -> Result<StorageThread, QueueError> {
        let (sender, tasks) = mpsc::channel::<Task>();
        std::thread::Builder::new()
            .name("queue-storage".into())
            .spawn(move || {
                for task in tasks {
                    // A panicking operation fails its own caller (its answer is dropped), not every later one.
                    if std::panic::catch_unwind(AssertUnwindSafe(task)).is_err() {
                        tracing::error!("a queue operation crashed; the queue goes on");
                    }
                }
            })
            .map_err(|e| QueueError::Storage(format!("cannot start the queue's storage thread: {e}")))?;
        Ok(StorageThread(sender))
    }

    /// Runs `work` on the storage thread after the work handed over before it; its answer comes back here.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, QueueError> + Send + 'static,
    ) -> Result<T, QueueError> {
        let (answer, answered) = oneshot::channel();
        self.spawn(move || {
            let _ = answer.send(work());
        });
        answered.await.map_err(|_| stopped())?
    }

    /// Hands `work` to the storage thread without waiting for it.
    pub(super) fn spawn(&self, work: impl FnOnce() + Send + 'static) {
        // The thread outlives every handle, so sending fails only if it is gone; the work's answer, dropped with it,
        // tells its caller.
        let _ = self.0.send(Box::new(work));
    }
}

pub(super) fn stopped() -> QueueError {
    QueueError::Storage("the queue's storage thread stopped unexpectedly; restart lookerbot".into())
}
