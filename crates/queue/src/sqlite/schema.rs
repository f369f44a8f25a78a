//! Connection settings and the table layout, versioned with `PRAGMA user_version`.

use std::time::Duration;

use rusqlite::Connection;

/// The layout this code writes. Bump it and add a step to [`migrate`] when the tables change.
const SCHEMA_VERSION: i64 = 1;

/// How long a statement waits for another connection (another process on the same file) to release its lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const CREATE_V1: &str = "
    CREATE TABLE jobs (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        kind            TEXT    NOT NULL,
        payload         TEXT    NOT NULL,
        idempotency_key TEXT    UNIQUE,
        attempts        INTEGER NOT NULL DEFAULT 0,
        status          TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
        last_error      TEXT,
        created_at      INTEGER NOT NULL,
        queued_at       INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        lease_until     INTEGER,
        finished_at     INTEGER
    );
    CREATE INDEX jobs_by_status_due ON jobs (status, next_attempt_at);
    CREATE INDEX jobs_by_status_finished ON jobs (status, finished_at);
    CREATE TABLE seen_events (
        key        TEXT    PRIMARY KEY,
        expires_at INTEGER NOT NULL
    );
    CREATE INDEX seen_events_by_expiry ON seen_events (expires_at);
";

/// Indexes added after a layout version was released: created where missing, so files of that version gain them,
/// and a lookerbot of the same version without them still reads and writes such a file.
const ADDED_INDEXES: &str = "
    CREATE INDEX IF NOT EXISTS jobs_by_status_lease ON jobs (status, lease_until);
";

/// Durability settings: WAL so readers do not block the writer, and `synchronous = FULL` so that commits are
/// fsync'd before they return (an accepted webhook survives power loss, not only a process crash). Leases and event
/// ids relax it for their own commits (see `relaxed`).
pub(super) fn configure(conn: &Connection) -> Result<(), String> {
    conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| e.to_string())?;
    conn.set_prepared_statement_cache_capacity(super::cached::STATEMENT_CACHE);
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(|e| format!("cannot switch to WAL mode: {e}"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!(
            "the file system does not support SQLite WAL mode (got {mode}); put the data directory on a local disk"
        ));
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| e.to_string())
}

/// Creates the tables in a new file, or checks that an existing file has a layout this code understands.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), String> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| e.to_string())?;
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| e.to_string())?;
    match version {
        0 => {
            tx.execute_batch(CREATE_V1)
                .map_err(|e| format!("cannot create the tables: {e}"))?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(|e| e.to_string())?;
        }
        SCHEMA_VERSION => {}
        newer => {
            return Err(format!(
                "the file has layout version {newer}, written by a newer lookerbot (this one knows version \
                 {SCHEMA_VERSION}); upgrade lookerbot or point it at another data directory"
            ));
        }
    }
    tx.execute_batch(ADDED_INDEXES)
        .map_err(|e| format!("cannot add the indexes: {e}"))?;
    tx.commit().map_err(|e| e.to_string())
}
