//! Writes that need not survive power loss (claims, lease renewals, done marks, event ids), committed together: those
//! made in the same turn of the async runtime, or while the storage thread is busy, share the next transaction, at
//! `synchronous = NORMAL` (safe against a crash of the process, not of the machine). Each caller is answered once
//! that transaction committed.
//!
//! One commit per write cost a transaction each: a claim and a done mark per delivery were a fifth of the bot's CPU
//! under load (`perf`, 100 webhook senders).

use std::sync::atomic::Ordering;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::cached::CachedStatements;
use super::errors::StorageContext;
use super::{SqliteStore, now_ms, set_synchronous, thread};
use crate::error::QueueError;

/// One write, run inside the shared transaction; what it returns answers its caller with the commit's outcome.
pub(super) type Write = Box<dyn FnOnce(&Connection, i64) -> Answer + Send>;
type Answer = Box<dyn FnOnce(Result<(), QueueError>) + Send>;

impl SqliteStore {
    /// Runs `op` in the next shared transaction of relaxed writes. `op` must be one statement, or statements whose
    /// partial effect is harmless: a failed one does not undo the others.
    pub(super) async fn relaxed_write<T, F>(&self, op: F) -> Result<T, QueueError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, i64) -> Result<T, QueueError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let write: Write = Box::new(move |conn, now| {
            let result = op(conn, now);
            Box::new(move |committed: Result<(), QueueError>| {
                let _ = answer.send(committed.and(result));
            })
        });
        if self.relaxed.push(write) {
            // Handed over once the runtime's turn is over, so that the writes of every reply finished in that turn
            // share the transaction: an idle storage thread took each done mark alone (a transaction per delivery,
            // `lookerbot-bench --syscalls`). Without a runtime, or should the runtime drop the task unrun (it is
            // shutting down), the handover happens at once: what waits is never left behind.
            let handover = Handover(Some(self.clone()));
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn(async move {
                    tokio::task::yield_now().await;
                    drop(handover);
                })),
                Err(_) => drop(handover),
            }
        }
        answered.await.map_err(|_| thread::stopped())?
    }

    /// On the storage thread: everything waiting, in one transaction.
    fn write_relaxed(&self) {
        let mut conn = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let writes = self.relaxed.take();
        if writes.is_empty() {
            return;
        }
        // Left at NORMAL afterwards: writes of this kind come in runs, and a PRAGMA is compiled anew each time it
        // runs (it was 5 % of the bot's CPU per delivery when set twice per write).
        let ready = if self.unsynced.load(Ordering::Relaxed) {
            Ok(())
        } else {
            set_synchronous(&conn, "NORMAL").inspect(|()| self.unsynced.store(true, Ordering::Relaxed))
        };
        // Should the transaction not start, each write commits on its own instead (and fails on its own if the disk
        // is the problem).
        let shared = ready
            .and_then(|()| begin(&conn))
            .inspect_err(|error| tracing::warn!(%error, "queue writes are committed one by one"))
            .is_ok();
        let now = now_ms();
        let answers: Vec<Answer> = writes.into_iter().map(|write| write(&conn, now)).collect();
        let committed = if shared { commit(&mut conn) } else { Ok(()) };
        if shared && committed.is_ok() {
            let mut health = self.health_mut();
            health.relaxed_commits += 1;
            health.relaxed_writes += answers.len() as u64;
        }
        for answer in answers {
            answer(committed.clone());
        }
        self.housekeeping_if_due(&conn, now);
    }
}

/// Hands the waiting relaxed writes to the storage thread when dropped, however it is dropped.
struct Handover(Option<SqliteStore>);

impl Drop for Handover {
    fn drop(&mut self) {
        if let Some(store) = self.0.take() {
            let writer = store.clone();
            store.thread.spawn(move || writer.write_relaxed());
        }
    }
}

fn begin(conn: &Connection) -> Result<(), QueueError> {
    conn.cached_execute("BEGIN IMMEDIATE", [])
        .map(drop)
        .context("cannot start a queue write")
}

/// Commits, or rolls back what is left when the commit fails (so the connection is usable for the next write).
fn commit(conn: &mut Connection) -> Result<(), QueueError> {
    let committed = conn
        .cached_execute("COMMIT", [])
        .map(drop)
        .context("cannot commit a queue write");
    if committed.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    committed
}
