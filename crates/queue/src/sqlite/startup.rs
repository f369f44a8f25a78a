//! Start-up checks that make a damaged or lost queue loud: a queue file that vanished or was emptied where one was
//! in use, one that fails SQLite's integrity check, or one that lost commits its write-ahead log held, stops the
//! start with what to do, instead of starting empty.
//!
//! How the store knows that jobs were expected: a marker file next to the queue (`deliveries.sqlite3.in-use`) says
//! that a queue was in use here, and records the highest job id ever committed (`last job: N`), rewritten after
//! each commit that stored new jobs (after the commit's fsync, so it never names a job the file does not hold; not
//! fsync'd itself, so after a power loss it may name an older one, which only makes the check less strict). Job ids
//! come from `AUTOINCREMENT`, whose high-water mark (`sqlite_sequence`) never goes down, not even when old jobs are
//! pruned. So a file whose high-water mark is below the recorded id lost commits: its `-wal` was deleted, cut or
//! damaged after a crash (SQLite replays a WAL only up to its first bad frame, silently), or an older copy of the
//! file was put back. Neither SQLite's header nor its integrity check can tell: the file that is left is consistent,
//! only older.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use rusqlite::config::DbConfig;

use crate::error::QueueError;

/// Written next to the queue file once it is in use: its absence tells a first start from a lost file.
fn marker(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".in-use");
    PathBuf::from(name)
}

/// Refuses to start when the queue file is missing or empty although one was in use here.
pub(super) fn check_not_lost(path: &Path) -> Result<(), QueueError> {
    if !marker(path).exists() {
        return Ok(());
    }
    let length = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if length > 0 {
        return Ok(());
    }
    Err(QueueError::Storage(format!(
        "the delivery queue file {} is missing or empty, but this data directory held a queue: deliveries that were \
         waiting may be lost. Restore the file from a backup, or run `lookerbot deliveries --reset` to start with an \
         empty queue",
        path.display()
    )))
}

/// The line of the marker that records the highest job id committed.
const LAST_JOB: &str = "last job: ";

/// The highest job id the marker says was committed, if it says (an older marker, or one cut by a crash, does not).
pub(super) fn recorded_last_job(path: &Path) -> Option<i64> {
    let text = std::fs::read_to_string(marker(path)).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix(LAST_JOB))
        .and_then(|id| id.trim().parse().ok())
}

/// Records `last_job` as the highest job id committed (written after the commit; not fsync'd, see the module's
/// header).
pub(super) fn record_last_job(path: &Path, last_job: i64) -> Result<(), QueueError> {
    let marker = marker(path);
    std::fs::write(
        &marker,
        format!("lookerbot's delivery queue is in use in this folder; keep this file with it.\n{LAST_JOB}{last_job}\n"),
    )
    .map_err(|e| QueueError::Storage(format!("cannot write {}: {e}", marker.display())))
}

/// The job ids' high-water mark: the highest id ever given, 0 for a file without jobs (or without tables yet).
pub(super) fn high_water_mark(conn: &Connection) -> i64 {
    conn.query_row("SELECT seq FROM sqlite_sequence WHERE name = 'jobs'", [], |row| {
        row.get(0)
    })
    .unwrap_or(0)
}

/// Refuses to start on a file whose job ids stop below the `recorded` last one: commits were lost.
pub(super) fn check_commits_kept(conn: &Connection, path: &Path, recorded: Option<i64>) -> Result<(), QueueError> {
    let Some(recorded) = recorded else {
        return Ok(());
    };
    let kept = high_water_mark(conn);
    if kept >= recorded {
        return Ok(());
    }
    Err(QueueError::Storage(format!(
        "the delivery queue file {file} holds deliveries up to #{kept}, but #{recorded} was stored: commits its \
         write-ahead log ({file}-wal) held were lost or damaged after a crash, or an older copy of the file was put \
         back, so up to {lost} deliveries that were waiting may be lost. Keep a copy of the data directory, then run \
         `lookerbot deliveries --salvage` to carry the deliveries that can still be read into a fresh queue (or \
         `lookerbot deliveries --reset` to start with an empty one; `--inspect` shows what can still be read)",
        file = path.display(),
        lost = recorded - kept,
    )))
}

/// Whether closing `conn` may checkpoint (the default) or must leave the file and its write-ahead log as found: a
/// file that fails its checks is kept as it was, `-wal` included, for salvage and a closer look.
pub(super) fn leave_as_found(conn: &Connection, leave: bool) -> Result<(), QueueError> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, leave)
        .map(drop)
        .map_err(|e| QueueError::Storage(format!("cannot set how the queue file is closed: {e}")))
}

/// The first thing wrong with the queue file at `path`, as the start would refuse it; `None` when nothing is.
pub(super) fn problem(path: &Path) -> Option<String> {
    if let Err(error) = check_not_lost(path) {
        return Some(error.to_string());
    }
    let recorded = recorded_last_job(path);
    let conn = match Connection::open(path) {
        Ok(conn) => conn,
        Err(error) => return Some(format!("cannot open {}: {error}", path.display())),
    };
    let checks = leave_as_found(&conn, true)
        .and_then(|()| check_intact(&conn, path))
        .and_then(|()| check_commits_kept(&conn, path, recorded));
    checks.err().map(|error| error.to_string())
}

/// Refuses to start on a file that fails SQLite's quick integrity check.
pub(super) fn check_intact(conn: &Connection, path: &Path) -> Result<(), QueueError> {
    let verdict: Result<Vec<String>, _> = conn
        .prepare("PRAGMA quick_check")
        .and_then(|mut check| check.query_map([], |row| row.get(0))?.collect());
    match verdict {
        Ok(lines) if lines.first().map(String::as_str) == Some("ok") => Ok(()),
        Ok(lines) => Err(damaged(path, &lines.join("; "))),
        Err(error) => Err(damaged(path, &error.to_string())),
    }
}

fn damaged(path: &Path, detail: &str) -> QueueError {
    QueueError::Storage(format!(
        "the delivery queue file {} is damaged ({detail}). Keep a copy of the data directory, then run `lookerbot \
         deliveries --salvage` to carry the deliveries that can still be read into a fresh queue (or `lookerbot \
         deliveries --reset` to set it aside and start with an empty queue)",
        path.display()
    ))
}

/// Writes the marker with the file's high-water mark (or a higher one already recorded).
pub(super) fn mark_in_use(conn: &Connection, path: &Path, recorded: Option<i64>) -> Result<i64, QueueError> {
    let last_job = high_water_mark(conn).max(recorded.unwrap_or(0));
    record_last_job(path, last_job)?;
    Ok(last_job)
}

pub(super) fn set_aside(path: &Path) -> Result<PathBuf, QueueError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".set-aside-{stamp}"));
    let aside = PathBuf::from(aside);
    for suffix in ["", "-wal", "-shm"] {
        let mut from = path.as_os_str().to_owned();
        from.push(suffix);
        let mut to = aside.as_os_str().to_owned();
        to.push(suffix);
        match std::fs::rename(&from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(QueueError::Storage(format!(
                    "cannot move {} aside: {e}",
                    PathBuf::from(from).display()
                )));
            }
        }
    }
    let _ = std::fs::remove_file(marker(path));
    Ok(aside)
}
