//! Start-up checks that make a damaged or lost queue loud: a queue file that vanished or was emptied where one was
//! in use, or one that fails SQLite's integrity check, stops the start with what to do, instead of starting empty.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

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
        "the delivery queue file {} is damaged ({detail}). Keep a copy for salvage (`sqlite3 FILE .recover`), then run \
         `lookerbot deliveries --reset` to set it aside and start with an empty queue",
        path.display()
    ))
}

pub(super) fn mark_in_use(path: &Path) -> Result<(), QueueError> {
    let marker = marker(path);
    if marker.exists() {
        return Ok(());
    }
    std::fs::write(
        &marker,
        "lookerbot's delivery queue is in use in this folder; keep this file with it.\n",
    )
    .map_err(|e| QueueError::Storage(format!("cannot write {}: {e}", marker.display())))
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
