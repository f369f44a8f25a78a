//! Mapping between `jobs` rows and [`Job`].

use rusqlite::Row;
use rusqlite::types::Type;

use crate::job::{Job, JobStatus, Payload};
use crate::time::from_millis;

/// The columns [`job_from_row`] reads, in its order (a macro, so that constant statements can `concat!` it).
macro_rules! job_columns {
    () => {
        "id, kind, payload, idempotency_key, attempts, status, last_error, created_at, queued_at, next_attempt_at, \
         finished_at"
    };
}
pub(super) use job_columns;

/// [`job_columns!`] as a constant.
pub(super) const JOB_COLUMNS: &str = job_columns!();

/// Reads a job leniently: a damaged row (text that is not UTF-8, a payload that is not JSON) still reads, with
/// the damage in its payload, so that it can be listed and fails as a dead letter instead of stopping the queue.
pub(super) fn job_from_row(row: &Row<'_>) -> rusqlite::Result<Job> {
    let payload = match lossy_text(row, 2)? {
        (text, true) => Payload::from_text(text).unwrap_or_else(|e| damaged(&format!("not JSON ({e})"))),
        (_, false) => damaged("not UTF-8 text"),
    };
    let status_name: String = row.get(5)?;
    let status = JobStatus::parse(&status_name).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(5, Type::Text, format!("unknown job status {status_name:?}").into())
    })?;
    let attempts: i64 = row.get(4)?;
    Ok(Job {
        id: row.get(0)?,
        kind: lossy_text(row, 1)?.0,
        payload,
        idempotency_key: row.get(3)?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        status,
        last_error: row.get_ref(6)?.as_str_or_null().ok().flatten().map(str::to_owned),
        created_at: from_millis(row.get(7)?),
        queued_at: from_millis(row.get(8)?),
        next_attempt_at: from_millis(row.get(9)?),
        finished_at: row.get::<_, Option<i64>>(10)?.map(from_millis),
    })
}

/// A damaged row's payload: `{"damaged": why}`, what [`damage`] reads.
fn damaged(why: &str) -> Payload {
    Payload::from(serde_json::json!({ "damaged": format!("the stored delivery is damaged: its payload is {why}") }))
}

/// What is wrong with a job read from a damaged row, if it was. Only a payload that starts like [`damaged`] writes
/// it is read again: the check costs a delivery nothing else.
pub(crate) fn damage(payload: &Payload) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Damaged {
        damaged: String,
    }
    if !payload.text().starts_with(r#"{"damaged":"#) {
        return None;
    }
    payload.read::<Damaged>().ok().map(|found| found.damaged)
}

/// A text column as a string (lossily decoded), and whether it was valid UTF-8.
fn lossy_text(row: &Row<'_>, column: usize) -> rusqlite::Result<(String, bool)> {
    let bytes = match row.get_ref(column)? {
        rusqlite::types::ValueRef::Text(bytes) | rusqlite::types::ValueRef::Blob(bytes) => bytes,
        other => {
            return Err(rusqlite::Error::InvalidColumnType(
                column,
                String::new(),
                other.data_type(),
            ));
        }
    };
    Ok(match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), true),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_payload_of_a_damaged_row_reads_as_damage() {
        let found = damage(&damaged("not JSON")).expect("a damaged row's payload");
        assert!(found.contains("its payload is not JSON"), "{found}");
        for sound in [
            serde_json::json!({ "scheduled": { "damaged": "a field of the delivery's own" } }),
            serde_json::json!({ "damaged": 3 }),
            serde_json::json!(["damaged"]),
        ] {
            assert_eq!(damage(&Payload::from(sound.clone())), None, "{sound}");
        }
    }
}
