//! The job operations, each one SQLite transaction.

use rusqlite::types::ToSql;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::cached::CachedStatements;
use super::errors::StorageContext;
use super::rows::{JOB_COLUMNS, job_columns, job_from_row};
use crate::error::QueueError;
use crate::job::{Counts, Job, JobSelection, JobStatus, ListFilter, NewJob};
use crate::time::from_millis;
use crate::written::Written;

/// Each status counted on its own: an index holds one status's jobs, and `status IN (…)` would read the table.
const ACTIVE: &str = "SELECT (SELECT COUNT(*) FROM jobs WHERE status = 'pending')
                           + (SELECT COUNT(*) FROM jobs WHERE status = 'running')";

/// How many jobs are pending or running, read once per group commit (counting is a walk over their indexes, one
/// per status, see [`ACTIVE`]) and kept up to date by [`insert`] inside that transaction.
pub(super) struct Active {
    pub(super) count: usize,
    pub(super) capacity: usize,
}

impl Active {
    pub(super) fn read(tx: &Transaction<'_>, capacity: usize) -> Result<Active, QueueError> {
        let count: i64 = tx
            .cached_row(ACTIVE, [], |row| row.get(0))
            .context("cannot count queued jobs")?;
        Ok(Active {
            count: usize::try_from(count).unwrap_or(usize::MAX),
            capacity,
        })
    }
}

/// Inserts one job inside the caller's transaction (see `group`): nothing if its idempotency key is stored already,
/// [`QueueError::Full`] at capacity. With `lease_ms` it is stored already claimed: running, leased, first attempt.
pub(super) fn insert(
    tx: &Transaction<'_>,
    job: NewJob,
    lease_ms: Option<i64>,
    active: &mut Active,
    now_ms: i64,
) -> Result<Written, QueueError> {
    if let Some(key) = &job.idempotency_key
        && let Some(id) = tx
            .cached_row("SELECT id FROM jobs WHERE idempotency_key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()
            .context("cannot look up the idempotency key")?
    {
        return Ok(Written::Duplicate(id));
    }
    if active.count >= active.capacity {
        return Err(QueueError::Full {
            capacity: active.capacity,
        });
    }
    let (status, attempts, lease_until) = match lease_ms {
        Some(lease_ms) => (JobStatus::Running, 1u32, Some(now_ms.saturating_add(lease_ms))),
        None => (JobStatus::Pending, 0, None),
    };
    // The id is read back with `last_insert_rowid`: `RETURNING` builds a temporary table on every insert.
    tx.cached_execute(
        "INSERT INTO jobs (kind, payload, idempotency_key, status, attempts, lease_until, created_at, queued_at,
                           next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7)",
        params![
            job.kind,
            job.payload.text(),
            job.idempotency_key,
            status.as_str(),
            attempts,
            lease_until,
            now_ms
        ],
    )
    .context("cannot store the job")?;
    let id = tx.last_insert_rowid();
    active.count += 1;
    let at = from_millis(now_ms);
    Ok(Written::Accepted(Job {
        id,
        kind: job.kind,
        payload: job.payload,
        idempotency_key: job.idempotency_key,
        attempts,
        status,
        last_error: None,
        created_at: at,
        queued_at: at,
        next_attempt_at: at,
        finished_at: None,
    }))
}

/// Why a job is failed by [`abandon`].
pub(super) const ABANDONED: &str = "not delivered: whoever handed it over stopped waiting before it was stored (a \
                                    webhook answered with an error, which Looker sends again)";

/// Fails a job stored for a caller who is gone (see `group`): it must never be delivered.
pub(super) fn abandon(conn: &Connection, id: i64, now_ms: i64) -> Result<(), QueueError> {
    conn.cached_execute(
        "UPDATE jobs SET status = 'failed', lease_until = NULL, finished_at = ?2, last_error = ?3
         WHERE id = ?1 AND status IN ('pending', 'running')",
        params![id, now_ms, ABANDONED],
    )
    .map(drop)
    .context("cannot set aside a delivery whose webhook was answered with an error")
}

/// The first pending job that is due, as (`next_attempt_at`, id). One walk down `jobs_pending_due`.
const FIRST_DUE: &str = "SELECT next_attempt_at, id FROM jobs WHERE status = 'pending' AND next_attempt_at <= ?1
                         ORDER BY next_attempt_at, id LIMIT 1";

/// The running job whose lease ran out first, as (`next_attempt_at`, id). One walk down `jobs_running_lease`.
const FIRST_LEASE_OUT: &str = "SELECT next_attempt_at, id FROM jobs WHERE status = 'running' AND lease_until <= ?1
                               ORDER BY lease_until, id LIMIT 1";

/// Takes job `?3`, leased until `?2`, if it is still due at `?1` (the candidates were read by a statement of their
/// own: outside a shared transaction another process may have taken it since).
const TAKE: &str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = ?2
                    WHERE id = ?3
                      AND (status = 'pending' AND next_attempt_at <= ?1 OR status = 'running' AND lease_until <= ?1)";

/// One job, by id.
const JOB_BY_ID: &str = concat!("SELECT ", job_columns!(), " FROM jobs WHERE id = ?1");

/// Takes the next due job, leased until `now_ms + lease_ms`: the earlier (by `next_attempt_at`, then id) of the first
/// pending job that is due ([`FIRST_DUE`]) and the running job whose lease ran out first ([`FIRST_LEASE_OUT`]). It
/// may run inside a transaction shared with other writes (see `relaxed`).
///
/// Plain statements, each a walk down one index or a seek by id, none building a temporary table. Written as one
/// statement (the two candidates joined by `UNION ALL` and sorted, the row read back with `RETURNING`), SQLite
/// built three on every claim, and a claim took twice the instructions (callgrind); with an `OR`, it read and
/// sorted every due job.
pub(super) fn claim(conn: &Connection, lease_ms: i64, now_ms: i64) -> Result<Option<Job>, QueueError> {
    let candidate = |sql: &str| {
        conn.cached_row(sql, [now_ms], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)))
            .optional()
            .context("cannot look for a due job")
    };
    let Some((_, id)) = candidate(FIRST_DUE)?
        .into_iter()
        .chain(candidate(FIRST_LEASE_OUT)?)
        .min()
    else {
        return Ok(None);
    };
    let taken = conn
        .cached_execute(TAKE, params![now_ms, now_ms.saturating_add(lease_ms), id])
        .context("cannot claim a job")?;
    if taken == 0 {
        return Ok(None);
    }
    conn.cached_row(JOB_BY_ID, [id], job_from_row)
        .optional()
        .context("cannot read the claimed job")
}

pub(super) fn renew_lease(conn: &Connection, id: i64, lease_ms: i64, now_ms: i64) -> Result<(), QueueError> {
    update_running(conn, id, "lease_until = ?2", &[&now_ms.saturating_add(lease_ms)])
}

pub(super) fn complete(conn: &Connection, id: i64, now_ms: i64) -> Result<(), QueueError> {
    match update_running(
        conn,
        id,
        "status = 'done', lease_until = NULL, finished_at = ?2",
        &[&now_ms],
    ) {
        Err(QueueError::NotRunning {
            status: JobStatus::Done,
            ..
        }) => Ok(()),
        other => other,
    }
}

pub(super) fn retry_later(conn: &Connection, id: i64, at_ms: i64, error: &str) -> Result<(), QueueError> {
    update_running(
        conn,
        id,
        "status = 'pending', lease_until = NULL, next_attempt_at = ?2, last_error = ?3",
        &[&at_ms, &error],
    )
}

pub(super) fn fail(conn: &Connection, id: i64, error: &str, now_ms: i64) -> Result<(), QueueError> {
    update_running(
        conn,
        id,
        "status = 'failed', lease_until = NULL, finished_at = ?2, last_error = ?3",
        &[&now_ms, &error],
    )
}

pub(super) fn requeue_failed(conn: &Connection, id: i64, now_ms: i64) -> Result<(), QueueError> {
    let changed = conn
        .cached_execute(
            "UPDATE jobs SET status = 'pending', attempts = 0, queued_at = ?2, next_attempt_at = ?2,
                 finished_at = NULL
             WHERE id = ?1 AND status = 'failed'",
            params![id, now_ms],
        )
        .context("cannot requeue the job")?;
    if changed == 1 {
        return Ok(());
    }
    Err(match status_of(conn, id)? {
        None => QueueError::NotFound(id),
        Some(status) => QueueError::NotFailed { id, status },
    })
}

/// The newest jobs of one status.
fn newest(status: &str) -> String {
    newest_through(status, "")
}

/// The newest jobs of one status, read through `index` (`INDEXED BY …`, or nothing to let SQLite choose).
fn newest_through(status: &str, index: &str) -> String {
    format!("SELECT {JOB_COLUMNS} FROM jobs {index} WHERE status = '{status}' ORDER BY id DESC LIMIT ?1")
}

pub(super) fn list(conn: &Connection, filter: ListFilter) -> Result<Vec<Job>, QueueError> {
    let mut statement = conn.prepare(&list_sql(filter.selection)).context("cannot list jobs")?;
    let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
    statement
        .query_map([limit], job_from_row)
        .and_then(|rows| rows.collect())
        .context("cannot read the job list")
}

/// The newest jobs of `selection`, at most `?1`.
fn list_sql(selection: JobSelection) -> String {
    match selection {
        JobSelection::All => format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY id DESC LIMIT ?1"),
        // Waiting jobs are few among many finished ones: each status is read through its own index and sorted,
        // not found by walking the table back from the newest row (which SQLite would choose to avoid the sort).
        JobSelection::Pending => format!(
            "SELECT * FROM ({}) UNION ALL SELECT * FROM ({}) ORDER BY id DESC LIMIT ?1",
            newest_through("pending", "INDEXED BY jobs_pending_due"),
            newest_through("running", "INDEXED BY jobs_running_lease")
        ),
        JobSelection::Done => newest("done"),
        JobSelection::Failed => newest("failed"),
    }
}

/// Each status counted through its own index (a `GROUP BY status` would read the whole table).
const COUNTS: &str = "SELECT (SELECT COUNT(*) FROM jobs WHERE status = 'pending'),
                             (SELECT COUNT(*) FROM jobs WHERE status = 'running'),
                             (SELECT COUNT(*) FROM jobs WHERE status = 'done'),
                             (SELECT COUNT(*) FROM jobs WHERE status = 'failed')";

pub(super) fn counts(conn: &Connection) -> Result<Counts, QueueError> {
    let count = |row: &rusqlite::Row<'_>, column: usize| {
        row.get::<_, i64>(column)
            .map(|count| usize::try_from(count).unwrap_or(0))
    };
    conn.cached_row(COUNTS, [], |row| {
        Ok(Counts {
            pending: count(row, 0)?,
            running: count(row, 1)?,
            done: count(row, 2)?,
            failed: count(row, 3)?,
        })
    })
    .context("cannot count jobs")
}

/// `queued_at` of the longest-waiting pending job, in milliseconds.
pub(super) fn oldest_waiting(conn: &Connection) -> Result<Option<i64>, QueueError> {
    conn.query_row("SELECT MIN(queued_at) FROM jobs WHERE status = 'pending'", [], |row| {
        row.get(0)
    })
    .context("cannot read the oldest waiting job")
}

/// Applies `assignments` (parameters from `?2` on) to job `id` if it is running; otherwise says why not.
fn update_running(conn: &Connection, id: i64, assignments: &str, values: &[&dyn ToSql]) -> Result<(), QueueError> {
    let mut all_values: Vec<&dyn ToSql> = vec![&id];
    all_values.extend_from_slice(values);
    let changed = conn
        .cached_execute(
            &format!("UPDATE jobs SET {assignments} WHERE id = ?1 AND status = 'running'"),
            all_values.as_slice(),
        )
        .context("cannot update the job")?;
    if changed == 1 {
        return Ok(());
    }
    Err(match status_of(conn, id)? {
        None => QueueError::NotFound(id),
        Some(status) => QueueError::NotRunning { id, status },
    })
}

fn status_of(conn: &Connection, id: i64) -> Result<Option<JobStatus>, QueueError> {
    let name: Option<String> = conn
        .cached_row("SELECT status FROM jobs WHERE id = ?1", [id], |row| row.get(0))
        .optional()
        .context("cannot read the job's status")?;
    Ok(name.as_deref().and_then(JobStatus::parse))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh queue in memory.
    fn queue() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        conn
    }

    /// The steps of `sql`'s query plan, run with `values`.
    fn plan(conn: &Connection, sql: &str, values: impl rusqlite::Params) -> Vec<String> {
        let mut plan = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        plan.query_map(values, |row| row.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// The steps of `sql`'s query plan that read `jobs`.
    fn reads_of_jobs(conn: &Connection, sql: &str, values: impl rusqlite::Params) -> Vec<String> {
        let steps = plan(conn, sql, values);
        steps.into_iter().filter(|step| step.contains("jobs")).collect()
    }

    /// Finding the next due job never walks the table or every due job: each candidate is a search in an index,
    /// read in the index's order. No statement of a claim sorts or builds a temporary table.
    #[test]
    fn the_next_due_job_is_found_through_indexes_alone() {
        let conn = queue();
        for (sql, index) in [(FIRST_DUE, "jobs_pending_due"), (FIRST_LEASE_OUT, "jobs_running_lease")] {
            let steps = plan(&conn, sql, params![0_i64]);
            assert_eq!(steps.len(), 1, "{steps:#?}");
            assert!(
                steps[0].starts_with("SEARCH jobs USING") && steps[0].contains(index),
                "{steps:#?}"
            );
        }
        let one = params![0_i64];
        let three = params![0_i64, 0_i64, 0_i64];
        for (sql, values) in [
            (FIRST_DUE, one),
            (FIRST_LEASE_OUT, one),
            (JOB_BY_ID, one),
            (TAKE, three),
        ] {
            let mut program = conn.prepare(&format!("EXPLAIN {sql}")).unwrap();
            let opcodes: Vec<String> = program
                .query_map(values, |row| row.get::<_, String>(1))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            // Not even for the status check of `TAKE` (written as comparisons, not as an `IN` list).
            let temporary = opcodes
                .iter()
                .filter(|op| *op == "OpenEphemeral" || *op == "SorterOpen")
                .count();
            assert_eq!(temporary, 0, "{sql}: {opcodes:?}");
        }
    }

    /// Counting by status reads only that status's index, never the table (whose rows carry the payloads).
    #[test]
    fn jobs_are_counted_through_their_status_indexes() {
        let conn = queue();
        for sql in [ACTIVE, COUNTS] {
            let reads = reads_of_jobs(&conn, sql, []);
            assert!(!reads.is_empty(), "{sql}");
            assert!(
                reads.iter().all(|step| step.contains("USING COVERING INDEX jobs_")),
                "{reads:#?}"
            );
        }
        let insert = |status: &str| {
            conn.execute(
                "INSERT INTO jobs (kind, payload, status, created_at, queued_at, next_attempt_at, finished_at)
                 VALUES ('delivery', '{}', ?1, 0, 0, 0, 0)",
                [status],
            )
            .unwrap()
        };
        for status in ["pending", "running", "running", "done", "done", "done", "failed"] {
            insert(status);
        }
        let counts = counts(&conn).unwrap();
        assert_eq!(
            (counts.pending, counts.running, counts.done, counts.failed),
            (1, 2, 3, 1)
        );
    }

    #[test]
    fn waiting_jobs_are_listed_through_their_status_indexes_newest_first() {
        let conn = queue();
        let reads = reads_of_jobs(&conn, &list_sql(JobSelection::Pending), [3_i64]);
        assert_eq!(reads.len(), 2, "{reads:#?}");
        assert!(
            reads[0].contains("jobs_pending_due") && reads[1].contains("jobs_running_lease"),
            "{reads:#?}"
        );
        for status in [
            "pending", "done", "running", "done", "pending", "failed", "running", "done",
        ] {
            conn.execute(
                "INSERT INTO jobs (kind, payload, status, created_at, queued_at, next_attempt_at)
                 VALUES ('delivery', '{}', ?1, 0, 0, 0)",
                [status],
            )
            .unwrap();
        }
        let listed = list(
            &conn,
            ListFilter {
                selection: JobSelection::Pending,
                limit: 3,
            },
        )
        .unwrap();
        let ids: Vec<i64> = listed.iter().map(|job| job.id).collect();
        assert_eq!(ids, [7, 5, 3]);
    }
}
