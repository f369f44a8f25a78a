//! Mapping between `jobs` rows and [`Job`].

use rusqlite::Row;
use rusqlite::types::Type;

use crate::job::{Job, JobStatus};
use crate::time::from_millis;

/// The columns [`job_from_row`] reads, in its order.
pub(super) const JOB_COLUMNS: &str = "id, kind, payload, idempotency_key, attempts, status, last_error, created_at, \
                                      queued_at, next_attempt_at, finished_at";

pub(super) fn job_from_row(row: &Row<'_>) -> rusqlite::Result<Job> {
    let payload_text: String = row.get(2)?;
    let payload = serde_json::from_str(&payload_text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(2, Type::Text, Box::new(e)))?;
    let status_name: String = row.get(5)?;
    let status = JobStatus::parse(&status_name).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(5, Type::Text, format!("unknown job status {status_name:?}").into())
    })?;
    let attempts: i64 = row.get(4)?;
    Ok(Job {
        id: row.get(0)?,
        kind: row.get(1)?,
        payload,
        idempotency_key: row.get(3)?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        status,
        last_error: row.get(6)?,
        created_at: from_millis(row.get(7)?),
        queued_at: from_millis(row.get(8)?),
        next_attempt_at: from_millis(row.get(9)?),
        finished_at: row.get::<_, Option<i64>>(10)?.map(from_millis),
    })
}
