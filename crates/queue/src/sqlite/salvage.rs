//! Salvage of a damaged queue file (`lookerbot deliveries --salvage`): the deliveries that can still be read are
//! carried into a fresh file with their ids, and the damaged one is set aside, kept for a closer look.
//!
//! Rows are read one id at a time, so that a damaged page loses only the rows on it; every id up to the highest
//! one known (the file's own high-water mark, its largest id, or the marker's record) is tried, and ids the marker
//! records past the file's end are counted as missing. Waiting and running
//! deliveries come back waiting, failed ones stay failed (so they can be retried), done ones are left behind. The
//! fresh file's ids continue after the highest known one, so that a lost delivery's id is never given again.

use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};

use super::errors::StorageContext;
use super::{SqliteStore, startup};
use crate::error::QueueError;

/// What [`SqliteStore::salvage`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Salvaged {
    /// Deliveries carried over that were waiting (or running).
    pub waiting: usize,
    /// Failed deliveries carried over.
    pub failed: usize,
    /// Rows that are there but could not be read (damaged pages, a status that makes no sense).
    pub unreadable: usize,
    /// Deliveries the marker says were stored that the file no longer holds (lost with its write-ahead log).
    pub missing: usize,
    /// Where the damaged file went.
    pub set_aside_to: PathBuf,
}

/// What [`SqliteStore::inspect`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// What the start would refuse the file for; `None` when it would open it.
    pub problem: Option<String>,
    /// Deliveries that can be read and are waiting (or running), or failed.
    pub waiting: usize,
    pub failed: usize,
    /// As in [`Salvaged`].
    pub unreadable: usize,
    pub missing: usize,
}

pub(super) fn inspect(path: &Path) -> Result<Inspection, QueueError> {
    if !path.exists() {
        return Err(QueueError::Storage(format!(
            "there is no queue file at {}",
            path.display()
        )));
    }
    let problem = startup::problem(path);
    let read = read_rows(path, startup::recorded_last_job(path).unwrap_or(0))?;
    let failed = read.rows.iter().filter(|row| row.failed).count();
    Ok(Inspection {
        problem,
        waiting: read.rows.len() - failed,
        failed,
        unreadable: read.unreadable,
        missing: read.missing,
    })
}

/// One row as stored, copied without interpreting it (a payload that is not UTF-8 stays so, and is parked as
/// failed by the fresh queue like any damaged row).
struct Row {
    id: i64,
    values: Vec<Value>,
    failed: bool,
}

/// The columns copied, after `id`.
const COLUMNS: &str = "kind, payload, idempotency_key, attempts, status, last_error, created_at, queued_at, \
                       next_attempt_at, finished_at";

pub(super) fn salvage(path: &Path) -> Result<Salvaged, QueueError> {
    if !path.exists() {
        return Err(QueueError::Storage(format!(
            "there is no queue file at {} to salvage",
            path.display()
        )));
    }
    let recorded = startup::recorded_last_job(path).unwrap_or(0);
    let read = read_rows(path, recorded)?;
    let set_aside_to = startup::set_aside(path)?;
    let fresh = SqliteStore::open(path, usize::MAX)?;
    let mut conn = fresh.lock();
    write_rows(&mut conn, &read.rows, read.highest)?;
    startup::record_last_job(path, read.highest.max(startup::high_water_mark(&conn)))?;
    let failed = read.rows.iter().filter(|row| row.failed).count();
    Ok(Salvaged {
        waiting: read.rows.len() - failed,
        failed,
        unreadable: read.unreadable,
        missing: read.missing,
        set_aside_to,
    })
}

/// What was read: the rows not yet done, how many ids could not be read or are missing, and the highest id known.
struct Read {
    rows: Vec<Row>,
    unreadable: usize,
    missing: usize,
    highest: i64,
}

fn read_rows(path: &Path, recorded: i64) -> Result<Read, QueueError> {
    let conn = Connection::open(path).context("cannot open the damaged queue file")?;
    startup::leave_as_found(&conn, true)?;
    let largest: i64 = conn
        .query_row("SELECT max(id) FROM jobs", [], |row| row.get::<_, Option<i64>>(0))
        .ok()
        .flatten()
        .unwrap_or(0);
    // A file that lost even its tables (they were created in the lost write-ahead log) holds no rows at all.
    let has_table = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jobs'",
            [],
            |_| Ok(()),
        )
        .optional()
        .is_ok_and(|found| found.is_some());
    // Up to here an absent id was never stored or was pruned once done; past it, the marker says it was stored.
    let in_file = startup::high_water_mark(&conn).max(largest);
    let highest = in_file.max(recorded);
    let select = format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1");
    let mut read = Read {
        rows: Vec::new(),
        unreadable: 0,
        missing: 0,
        highest,
    };
    if !has_table {
        read.missing = usize::try_from(highest).unwrap_or(0);
        return Ok(read);
    }
    for id in 1..=highest {
        let row = conn.query_row(&select, params![id], |row| {
            (0..10)
                .map(|i| row.get::<_, Value>(i))
                .collect::<rusqlite::Result<Vec<Value>>>()
        });
        match row.optional() {
            Ok(None) if id <= in_file => {}
            Ok(None) => read.missing += 1,
            Ok(Some(values)) => match &values[4] {
                Value::Text(status) if status == "done" => {}
                Value::Text(status) if matches!(status.as_str(), "pending" | "running" | "failed") => {
                    read.rows.push(Row {
                        id,
                        failed: status == "failed",
                        values,
                    })
                }
                _ => read.unreadable += 1,
            },
            Err(_) => read.unreadable += 1,
        }
    }
    Ok(read)
}

/// Inserts `rows` into the fresh file with their ids (running ones waiting again), and moves its ids past `highest`.
fn write_rows(conn: &mut Connection, rows: &[Row], highest: i64) -> Result<(), QueueError> {
    let tx = conn
        .transaction()
        .context("cannot start writing the salvaged deliveries")?;
    {
        let mut insert = tx
            .prepare(&format!(
                "INSERT INTO jobs (id, {COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ))
            .context("cannot prepare the salvage")?;
        for row in rows {
            let mut values = row.values.clone();
            if !row.failed {
                values[4] = Value::Text("pending".into());
            }
            let mut all = vec![Value::Integer(row.id)];
            all.extend(values);
            insert
                .execute(rusqlite::params_from_iter(all))
                .context("cannot write a salvaged delivery")?;
        }
    }
    let moved = tx
        .execute(
            "UPDATE sqlite_sequence SET seq = max(seq, ?1) WHERE name = 'jobs'",
            params![highest],
        )
        .context("cannot set where the fresh queue's ids start")?;
    if moved == 0 {
        tx.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES ('jobs', ?1)",
            params![highest],
        )
        .context("cannot set where the fresh queue's ids start")?;
    }
    tx.commit().context("cannot commit the salvaged deliveries")
}
