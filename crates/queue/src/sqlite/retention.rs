//! Pruning old records so that the file does not grow forever.

use std::time::Duration;

use rusqlite::{Connection, params};

/// How long finished records are kept. Idempotency keys are remembered as long as their job is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// At most this many done jobs are kept (the most recently finished).
    pub keep_done: usize,
    /// Done jobs older than this are removed even when fewer than `keep_done` remain.
    pub done_max_age: Duration,
    /// Failed jobs stay this long for an operator to inspect and requeue.
    pub failed_max_age: Duration,
}

impl Default for Retention {
    fn default() -> Retention {
        const DAY: Duration = Duration::from_secs(24 * 60 * 60);
        Retention {
            keep_done: 1000,
            done_max_age: 7 * DAY,
            failed_max_age: 30 * DAY,
        }
    }
}

/// How many records one pruning pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub jobs: usize,
    pub seen_events: usize,
}

pub(super) fn prune(conn: &Connection, retention: &Retention, now_ms: i64) -> rusqlite::Result<Pruned> {
    let age_cutoff = |age: Duration| now_ms.saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX));
    let keep_done = i64::try_from(retention.keep_done).unwrap_or(i64::MAX);
    let done = conn.execute(
        "DELETE FROM jobs WHERE status = 'done' AND (finished_at < ?1 OR id NOT IN (
             SELECT id FROM jobs WHERE status = 'done' ORDER BY finished_at DESC, id DESC LIMIT ?2))",
        params![age_cutoff(retention.done_max_age), keep_done],
    )?;
    let failed = conn.execute(
        "DELETE FROM jobs WHERE status = 'failed' AND finished_at < ?1",
        params![age_cutoff(retention.failed_max_age)],
    )?;
    let seen_events = conn.execute("DELETE FROM seen_events WHERE expires_at <= ?1", params![now_ms])?;
    Ok(Pruned {
        jobs: done + failed,
        seen_events,
    })
}
