//! What writing one job did, and the answer its caller awaits, shared by both stores: a job is delivered only once
//! its caller was told it is stored, so an answer dropped unread sets the job aside as failed.

use tokio::sync::oneshot;

use crate::error::QueueError;
use crate::job::{Claimed, EnqueueOutcome, Job};

/// What writing one job did: the job as stored (for a claimed job, handed to its caller) or the duplicate's id.
pub(crate) enum Written {
    Accepted(Job),
    Duplicate(i64),
}

impl Written {
    pub(crate) fn enqueued(self) -> EnqueueOutcome {
        match self {
            Written::Accepted(job) => EnqueueOutcome::Accepted(job.id),
            Written::Duplicate(id) => EnqueueOutcome::Duplicate(id),
        }
    }

    pub(crate) fn claimed(self) -> Claimed {
        match self {
            Written::Accepted(job) => Claimed::Accepted(job),
            Written::Duplicate(id) => Claimed::Duplicate(id),
        }
    }
}

/// The result of one write, as handed to its caller.
pub(crate) type Answer = Result<Written, QueueError>;

/// How a store fails a job whose caller is gone, in the background (the caller is not there to wait).
pub(crate) trait SetAside: Send + 'static {
    fn set_aside_later(&self, runtime: &tokio::runtime::Handle, id: i64);
}

/// The answer to one write, awaited by its caller. Dropped unread after the commit (the caller gave up at that very
/// moment), it sets the job aside so that nothing is delivered for an answer nobody received.
pub(crate) struct WriteReply<S: SetAside> {
    answer: Option<oneshot::Receiver<Answer>>,
    store: S,
}

impl<S: SetAside> WriteReply<S> {
    pub(crate) fn new(answer: oneshot::Receiver<Answer>, store: S) -> Self {
        WriteReply {
            answer: Some(answer),
            store,
        }
    }

    pub(crate) async fn get(mut self) -> Answer {
        let answer = self.answer.as_mut().expect("a reply is awaited once");
        let result = answer.await;
        self.answer = None;
        result.map_err(|_| QueueError::Storage("the queue's writer stopped unexpectedly".into()))?
    }
}

impl<S: SetAside> Drop for WriteReply<S> {
    fn drop(&mut self) {
        let Some(mut answer) = self.answer.take() else {
            return;
        };
        answer.close();
        if let Ok(Ok(Written::Accepted(job))) = answer.try_recv()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            self.store.set_aside_later(&runtime, job.id);
        }
    }
}
