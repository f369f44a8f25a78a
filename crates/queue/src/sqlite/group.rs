//! Group commit: enqueues that arrive while another is being written wait together and share the next transaction
//! and its disk sync, so concurrent webhooks cost one fsync, not one each.
//!
//! Each caller is told only after the commit succeeded, and a job is delivered only once its caller was told: a caller
//! that stopped waiting (its webhook timed out and was answered with an error) gets its job set aside as failed,
//! either here, when its answer cannot be handed over, or by its [`Reply`] when it is dropped holding an unread one.

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use super::errors::StorageContext;
use super::jobs;
use super::{SqliteStore, now_ms};
use crate::error::QueueError;
use crate::job::NewJob;
use crate::written::{Answer, SetAside, WriteReply, Written};

/// An enqueue waiting for the next group commit.
pub(super) struct Waiting {
    job: NewJob,
    lease_ms: Option<i64>,
    answer: oneshot::Sender<Answer>,
}

/// The answer to one enqueue, awaited by its caller (see [`WriteReply`]).
pub(super) type Reply = WriteReply<SqliteStore>;

impl SetAside for SqliteStore {
    fn set_aside_later(&self, _runtime: &tokio::runtime::Handle, id: i64) {
        let store = self.clone();
        self.thread.spawn(move || set_aside(&store.lock(), id));
    }
}

impl SqliteStore {
    /// Queues `job` for the next group commit and starts a writer; the caller awaits the [`Reply`].
    pub(super) fn submit(&self, job: NewJob, lease_ms: Option<i64>) -> Result<Reply, QueueError> {
        let (answer, receiver) = oneshot::channel();
        let waiting = Waiting { job, lease_ms, answer };
        if self.waiting.push(waiting) {
            let store = self.clone();
            self.thread.spawn(move || {
                let mut conn = store.lock();
                let group = store.waiting.take();
                if !group.is_empty() {
                    let now = now_ms();
                    write_group(&mut conn, group, &store, now);
                    store.housekeeping_if_due(&conn, now);
                }
            });
        }
        Ok(WriteReply::new(receiver, self.clone()))
    }
}

/// Writes `group` in one transaction and answers each caller. A storage error fails the whole group (nothing of it
/// is stored); a full queue or a duplicate is one job's own answer.
fn write_group(conn: &mut Connection, group: Vec<Waiting>, store: &SqliteStore, now_ms: i64) {
    // A caller that gave up before its job was written gets nothing written.
    let (answers, jobs): (Vec<_>, Vec<_>) = group
        .into_iter()
        .filter(|waiting| !waiting.answer.is_closed())
        .map(|waiting| (waiting.answer, (waiting.job, waiting.lease_ms)))
        .unzip();
    let written = insert_all(conn, jobs, store.capacity, now_ms);
    store.record_group(&written);
    match written {
        Ok(results) => {
            for (answer, result) in answers.into_iter().zip(results) {
                if let Err(Ok(Written::Accepted(job))) = answer.send(result) {
                    set_aside(conn, job.id);
                }
            }
        }
        Err(error) => {
            tracing::error!(%error, deliveries = answers.len(), "could not store deliveries");
            for answer in answers {
                let _ = answer.send(Err(error.clone()));
            }
        }
    }
}

type Row = (NewJob, Option<i64>);

fn insert_all(conn: &mut Connection, rows: Vec<Row>, capacity: usize, now_ms: i64) -> Result<Vec<Answer>, QueueError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .context("cannot start enqueueing")?;
    let mut active = jobs::Active::read(&tx, capacity)?;
    let mut results = Vec::with_capacity(rows.len());
    for (job, lease_ms) in rows {
        results.push(match jobs::insert(&tx, job, lease_ms, &mut active, now_ms) {
            Err(error @ QueueError::Storage(_)) => return Err(error),
            result => result,
        });
    }
    tx.commit().context("cannot commit the job")?;
    Ok(results)
}

impl SqliteStore {
    fn record_group(&self, written: &Result<Vec<Answer>, QueueError>) {
        let mut health = self.health_mut();
        health.record(written);
        if let Ok(results) = written {
            health.group_commits += 1;
            let stored = results.iter().filter(|r| matches!(r, Ok(Written::Accepted(_))));
            health.jobs_committed += stored.count() as u64;
        }
        drop(health);
        let last = written.iter().flatten().filter_map(|result| match result {
            Ok(Written::Accepted(job)) => Some(job.id),
            _ => None,
        });
        if let Some(last) = last.max() {
            self.record_committed(last);
        }
    }
}

/// Fails a job whose caller is gone, logging (not returning) a failure to do so.
fn set_aside(conn: &Connection, id: i64) {
    match jobs::abandon(conn, id, now_ms()) {
        Ok(()) => tracing::warn!(job = id, "{}", jobs::ABANDONED),
        Err(error) => tracing::error!(job = id, %error, "a delivery nobody was told about may still go out"),
    }
}
