//! The job and event statements, each one PostgreSQL transaction. Times are milliseconds since the Unix epoch as
//! in the SQLite store, read from the database's clock so that replicas with drifting clocks agree on leases.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::errors::StorageContext;
use crate::error::QueueError;
use crate::job::{Counts, Job, JobSelection, JobStatus, ListFilter, NewJob, Payload};
use crate::time::from_millis;
use crate::written::Written;

/// The database's clock in milliseconds, in SQL.
pub(super) const NOW: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

/// The columns [`job_from_row`] reads, in its order.
const JOB_COLUMNS: &str = "id, kind, payload, idempotency_key, attempts, status, last_error, created_at, queued_at, \
                           next_attempt_at, finished_at";

/// Serialises enqueues across replicas, so that the capacity check and the insert see the same count.
const ENQUEUE_LOCK: i32 = 2;

/// Why a job is failed by [`abandon`].
pub(super) const ABANDONED: &str = "not delivered: whoever handed it over stopped waiting before it was stored (a \
                                    webhook answered with an error, which Looker sends again)";

/// Inserts one job in a transaction of its own: nothing if its idempotency key is stored already,
/// [`QueueError::Full`] at capacity. With `lease_ms` it is stored already claimed: running, leased, first attempt.
pub(super) async fn insert(
    client: &mut deadpool_postgres::Object,
    job: &NewJob,
    lease_ms: Option<i64>,
    capacity: usize,
) -> Result<Written, QueueError> {
    let tx = client.transaction().await.context("cannot start enqueueing")?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, $2)",
        &[&super::schema::LOCK_NAMESPACE, &ENQUEUE_LOCK],
    )
    .await
    .context("cannot take the enqueue lock")?;
    if let Some(key) = &job.idempotency_key
        && let Some(row) = tx
            .query_opt("SELECT id FROM lookerbot_jobs WHERE idempotency_key = $1", &[key])
            .await
            .context("cannot look up the idempotency key")?
    {
        return Ok(Written::Duplicate(row.get(0)));
    }
    let active: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM lookerbot_jobs WHERE status IN ('pending', 'running')",
            &[],
        )
        .await
        .context("cannot count queued jobs")?
        .get(0);
    if usize::try_from(active).unwrap_or(usize::MAX) >= capacity {
        return Err(QueueError::Full { capacity });
    }
    let (status, attempts) = match lease_ms {
        Some(_) => (JobStatus::Running, 1i32),
        None => (JobStatus::Pending, 0),
    };
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO lookerbot_jobs (kind, payload, idempotency_key, status, attempts, lease_until, created_at,
                                             queued_at, next_attempt_at)
                 SELECT $1, $2, $3, $4, $5, now_ms + $6, now_ms, now_ms, now_ms FROM (SELECT {NOW} AS now_ms) AS t
                 RETURNING {JOB_COLUMNS}"
            ),
            &[
                &job.kind,
                &job.payload.text(),
                &job.idempotency_key,
                &status.as_str(),
                &attempts,
                &lease_ms,
            ],
        )
        .await
        .context("cannot store the job")?;
    let stored = job_from_row(&row)?;
    tx.commit().await.context("cannot commit the job")?;
    Ok(Written::Accepted(stored))
}

/// Fails a job stored for a caller who is gone: it must never be delivered.
pub(super) async fn abandon(client: &impl GenericClient, id: i64) -> Result<(), QueueError> {
    client
        .execute(
            &format!(
                "UPDATE lookerbot_jobs SET status = 'failed', lease_until = NULL, finished_at = {NOW}, last_error = $2
                 WHERE id = $1 AND status IN ('pending', 'running')"
            ),
            &[&id, &ABANDONED],
        )
        .await
        .map(drop)
        .context("cannot set aside a delivery whose webhook was answered with an error")
}

/// Takes the next due job: the earlier of the first pending job that is due and the first running job whose lease
/// ran out. Replicas claiming at once skip each other's locked rows instead of waiting. The time is read once (a
/// sub-select), so that each part is a search down its index; compared row by row with the clock (a volatile
/// function), and as one `OR`, every due job was read and sorted on each claim, and a backlog made claims slower.
pub(super) async fn claim(client: &impl GenericClient, lease_ms: i64) -> Result<Option<Job>, QueueError> {
    let row = client
        .query_opt(
            &format!(
                "UPDATE lookerbot_jobs SET status = 'running', attempts = attempts + 1, lease_until = {NOW} + $1
                 WHERE id = (
                     WITH first_pending AS (
                         SELECT id, next_attempt_at FROM lookerbot_jobs
                         WHERE status = 'pending' AND next_attempt_at <= (SELECT {NOW})
                         ORDER BY next_attempt_at, id
                         LIMIT 1
                         FOR UPDATE SKIP LOCKED),
                     first_expired AS (
                         SELECT id, next_attempt_at FROM lookerbot_jobs
                         WHERE status = 'running' AND lease_until <= (SELECT {NOW})
                         ORDER BY next_attempt_at, id
                         LIMIT 1
                         FOR UPDATE SKIP LOCKED)
                     SELECT id FROM (SELECT * FROM first_pending UNION ALL SELECT * FROM first_expired) AS due
                     ORDER BY next_attempt_at, id
                     LIMIT 1)
                 RETURNING {JOB_COLUMNS}"
            ),
            &[&lease_ms],
        )
        .await
        .context("cannot claim a job")?;
    row.as_ref().map(job_from_row).transpose()
}

pub(super) async fn renew_lease(client: &impl GenericClient, id: i64, lease_ms: i64) -> Result<(), QueueError> {
    update_running(client, id, &format!("lease_until = {NOW} + $2"), &[&lease_ms]).await
}

pub(super) async fn complete(client: &impl GenericClient, id: i64) -> Result<(), QueueError> {
    let done = format!("status = 'done', lease_until = NULL, finished_at = {NOW}");
    match update_running(client, id, &done, &[]).await {
        Err(QueueError::NotRunning {
            status: JobStatus::Done,
            ..
        }) => Ok(()),
        other => other,
    }
}

pub(super) async fn retry_later(
    client: &impl GenericClient,
    id: i64,
    at_ms: i64,
    error: &str,
) -> Result<(), QueueError> {
    update_running(
        client,
        id,
        "status = 'pending', lease_until = NULL, next_attempt_at = $2, last_error = $3",
        &[&at_ms, &error],
    )
    .await
}

pub(super) async fn fail(client: &impl GenericClient, id: i64, error: &str) -> Result<(), QueueError> {
    let failed = format!("status = 'failed', lease_until = NULL, finished_at = {NOW}, last_error = $2");
    update_running(client, id, &failed, &[&error]).await
}

pub(super) async fn requeue_failed(client: &impl GenericClient, id: i64) -> Result<(), QueueError> {
    let changed = client
        .execute(
            &format!(
                "UPDATE lookerbot_jobs SET status = 'pending', attempts = 0, queued_at = {NOW},
                     next_attempt_at = {NOW}, finished_at = NULL
                 WHERE id = $1 AND status = 'failed'"
            ),
            &[&id],
        )
        .await
        .context("cannot requeue the job")?;
    if changed == 1 {
        return Ok(());
    }
    Err(match status_of(client, id).await? {
        None => QueueError::NotFound(id),
        Some(status) => QueueError::NotFailed { id, status },
    })
}

pub(super) async fn list(client: &impl GenericClient, filter: ListFilter) -> Result<Vec<Job>, QueueError> {
    let condition = match filter.selection {
        JobSelection::All => "TRUE",
        JobSelection::Pending => "status IN ('pending', 'running')",
        JobSelection::Done => "status = 'done'",
        JobSelection::Failed => "status = 'failed'",
    };
    let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
    let rows = client
        .query(
            &format!("SELECT {JOB_COLUMNS} FROM lookerbot_jobs WHERE {condition} ORDER BY id DESC LIMIT $1"),
            &[&limit],
        )
        .await
        .context("cannot list jobs")?;
    rows.iter().map(job_from_row).collect()
}

pub(super) async fn counts(client: &impl GenericClient) -> Result<Counts, QueueError> {
    let row = client
        .query_one(
            "SELECT COUNT(*) FILTER (WHERE status = 'pending'), COUNT(*) FILTER (WHERE status = 'running'),
                    COUNT(*) FILTER (WHERE status = 'done'), COUNT(*) FILTER (WHERE status = 'failed')
             FROM lookerbot_jobs",
            &[],
        )
        .await
        .context("cannot count jobs")?;
    let count = |column: usize| usize::try_from(row.get::<_, i64>(column)).unwrap_or(0);
    Ok(Counts {
        pending: count(0),
        running: count(1),
        done: count(2),
        failed: count(3),
    })
}

/// When the job waiting longest (pending) was queued, in milliseconds since the epoch.
pub(super) async fn oldest_waiting(client: &impl GenericClient) -> Result<Option<i64>, QueueError> {
    let row = client
        .query_one(
            "SELECT MIN(queued_at) FROM lookerbot_jobs WHERE status = 'pending'",
            &[],
        )
        .await
        .context("cannot read the oldest waiting job")?;
    Ok(row.get(0))
}

/// Writes and commits a throwaway row (the event table's probe key), proving deliveries can be stored now.
pub(super) async fn probe_write(client: &impl GenericClient) -> Result<(), QueueError> {
    client
        .execute(
            &format!(
                "INSERT INTO lookerbot_seen_events (key, expires_at) VALUES ('lookerbot:write-probe', {NOW})
                 ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at"
            ),
            &[],
        )
        .await
        .context("cannot write to the queue's database")?;
    Ok(())
}

/// Records `key` until `now + ttl`; true when it was not recorded or its record had expired. One statement, so two
/// replicas handling the same event at once cannot both see it first.
pub(super) async fn first_sighting(client: &impl GenericClient, key: &str, ttl_ms: i64) -> Result<bool, QueueError> {
    let changed = client
        .execute(
            &format!(
                "INSERT INTO lookerbot_seen_events (key, expires_at) VALUES ($1, {NOW} + $2)
                 ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
                 WHERE lookerbot_seen_events.expires_at <= {NOW}"
            ),
            &[&key, &ttl_ms],
        )
        .await
        .context("cannot record the event id")?;
    Ok(changed == 1)
}

/// Applies `assignments` (parameters from `$2` on) to job `id` if it is running; otherwise says why not.
async fn update_running(
    client: &impl GenericClient,
    id: i64,
    assignments: &str,
    values: &[&(dyn ToSql + Sync)],
) -> Result<(), QueueError> {
    let mut all_values: Vec<&(dyn ToSql + Sync)> = vec![&id];
    all_values.extend_from_slice(values);
    let changed = client
        .execute(
            &format!("UPDATE lookerbot_jobs SET {assignments} WHERE id = $1 AND status = 'running'"),
            &all_values,
        )
        .await
        .context("cannot update the job")?;
    if changed == 1 {
        return Ok(());
    }
    Err(match status_of(client, id).await? {
        None => QueueError::NotFound(id),
        Some(status) => QueueError::NotRunning { id, status },
    })
}

async fn status_of(client: &impl GenericClient, id: i64) -> Result<Option<JobStatus>, QueueError> {
    let row = client
        .query_opt("SELECT status FROM lookerbot_jobs WHERE id = $1", &[&id])
        .await
        .context("cannot read the job's status")?;
    Ok(row.and_then(|row| JobStatus::parse(row.get(0))))
}

fn job_from_row(row: &Row) -> Result<Job, QueueError> {
    let damaged = |what: String| QueueError::Storage(format!("a stored delivery cannot be read: {what}"));
    let payload: String = row.get(2);
    let payload = Payload::from_text(payload).map_err(|e| damaged(format!("its payload is not JSON ({e})")))?;
    let status_name: &str = row.get(5);
    let status = JobStatus::parse(status_name).ok_or_else(|| damaged(format!("unknown job status {status_name:?}")))?;
    Ok(Job {
        id: row.get(0),
        kind: row.get(1),
        payload,
        idempotency_key: row.get(3),
        attempts: u32::try_from(row.get::<_, i32>(4)).unwrap_or(0),
        status,
        last_error: row.get(6),
        created_at: from_millis(row.get(7)),
        queued_at: from_millis(row.get(8)),
        next_attempt_at: from_millis(row.get(9)),
        finished_at: row.get::<_, Option<i64>>(10).map(from_millis),
    })
}
