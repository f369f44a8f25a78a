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
        status          TEXT    NOT NULL CHECK (status = 'pending' OR status = 'running' OR status = 'done' OR status = 'failed'),
        last_error      TEXT,
        created_at      INTEGER NOT NULL,
        queued_at       INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        lease_until     INTEGER,
        finished_at     INTEGER
    );
    CREATE TABLE seen_events (
        key        TEXT    PRIMARY KEY,
        expires_at INTEGER NOT NULL
    );
    CREATE INDEX seen_events_by_expiry ON seen_events (expires_at);
";

/// The status check as the first files of layout version 1 wrote it. SQLite checks an `IN` list of more than two
/// values by building a temporary table, on every write of a row: about 6 % of a delivery's instructions (callgrind).
const STATUS_CHECK_AS_LIST: &str = "CHECK (status IN ('pending', 'running', 'done', 'failed'))";
/// The same check as comparisons, which SQLite evaluates in place.
const STATUS_CHECK_AS_COMPARISONS: &str =
    "CHECK (status = 'pending' OR status = 'running' OR status = 'done' OR status = 'failed')";

/// The jobs' indexes, one per status a query looks for, each holding only that status's jobs. Created where missing
/// and the indexes they replace dropped, so that files of layout version 1 gain them. A lookerbot of the same version
/// that knows only the old indexes still reads and writes such a file correctly, but its statements that count or
/// list by status then read the whole table (it re-creates only `jobs_by_status_lease`).
///
/// Indexes on `(status, …)` held every job, and a done mark moved the job's entry in each of the three: a done mark
/// committed alone wrote 6.4 pages to the log, against 3.2 now (a replay of these statements), and the log's writes
/// were half of a delivery's system calls (16.6 `pwrite64` of 33.5, `lookerbot-bench --syscalls`).
const INDEXES: &str = "
    CREATE INDEX IF NOT EXISTS jobs_pending_due ON jobs (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX IF NOT EXISTS jobs_running_lease ON jobs (lease_until) WHERE status = 'running';
    CREATE INDEX IF NOT EXISTS jobs_done_finished ON jobs (finished_at) WHERE status = 'done';
    CREATE INDEX IF NOT EXISTS jobs_failed_finished ON jobs (finished_at) WHERE status = 'failed';
    DROP INDEX IF EXISTS jobs_by_status_due;
    DROP INDEX IF EXISTS jobs_by_status_finished;
    DROP INDEX IF EXISTS jobs_by_status_lease;
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
    tx.execute_batch(INDEXES)
        .map_err(|e| format!("cannot update the indexes: {e}"))?;
    check_status_in_place(&tx).map_err(|e| format!("cannot update the status check: {e}"))?;
    tx.commit().map_err(|e| e.to_string())
}

/// Rewrites a file's status check from [`STATUS_CHECK_AS_LIST`] to the equivalent [`STATUS_CHECK_AS_COMPARISONS`],
/// by SQLite's documented procedure for changing a CHECK constraint (editing the table's definition in
/// `sqlite_schema` and bumping `schema_version`): no row is rewritten, every row already meets it, and a lookerbot
/// of the same layout version reads and writes the file either way.
fn check_status_in_place(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let definition: String = tx.query_row(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'jobs'",
        [],
        |row| row.get(0),
    )?;
    if !definition.contains(STATUS_CHECK_AS_LIST) {
        return Ok(());
    }
    let schema_version: i64 = tx.pragma_query_value(None, "schema_version", |row| row.get(0))?;
    tx.pragma_update(None, "writable_schema", true)?;
    tx.execute(
        "UPDATE sqlite_schema SET sql = ?1 WHERE type = 'table' AND name = 'jobs'",
        [definition.replace(STATUS_CHECK_AS_LIST, STATUS_CHECK_AS_COMPARISONS)],
    )?;
    tx.pragma_update(None, "schema_version", schema_version + 1)?;
    tx.pragma_update(None, "writable_schema", false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs_definition(conn: &Connection) -> String {
        conn.query_row("SELECT sql FROM sqlite_schema WHERE name = 'jobs'", [], |row| {
            row.get(0)
        })
        .unwrap()
    }

    fn insert(conn: &Connection, status: &str) -> rusqlite::Result<usize> {
        conn.execute(
            "INSERT INTO jobs (kind, payload, status, created_at, queued_at, next_attempt_at)
             VALUES ('delivery', '{}', ?1, 0, 0, 0)",
            [status],
        )
    }

    #[test]
    fn a_file_with_the_status_check_as_a_list_gets_it_as_comparisons_and_keeps_its_rows() {
        assert!(CREATE_V1.contains(STATUS_CHECK_AS_COMPARISONS));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(&CREATE_V1.replace(STATUS_CHECK_AS_COMPARISONS, STATUS_CHECK_AS_LIST))
            .unwrap();
        old.pragma_update(None, "user_version", SCHEMA_VERSION).unwrap();
        insert(&old, "pending").unwrap();
        drop(old);

        let mut conn = Connection::open(&path).unwrap();
        migrate(&mut conn).unwrap();
        assert!(jobs_definition(&conn).contains(STATUS_CHECK_AS_COMPARISONS));
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM jobs", [], |row| row.get(0))
            .unwrap();
        assert_eq!(rows, 1);
        insert(&conn, "done").unwrap();
        assert!(insert(&conn, "lost").is_err(), "the check still holds");
        let integrity: String = conn.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
        assert_eq!(integrity, "ok");
        drop(conn);

        let reopened = Connection::open(&path).unwrap();
        assert!(insert(&reopened, "lost").is_err(), "and holds for the next connection");
        let mut again = reopened;
        migrate(&mut again).unwrap();
        assert!(jobs_definition(&again).contains(STATUS_CHECK_AS_COMPARISONS));
    }

    fn index_names(conn: &Connection) -> Vec<String> {
        let mut names = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'jobs' AND sql IS NOT NULL")
            .unwrap();
        let mut names: Vec<String> = names
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        names.sort();
        names
    }

    #[test]
    fn a_file_with_the_indexes_on_status_gets_one_index_per_status_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(CREATE_V1).unwrap();
        old.execute_batch(
            "CREATE INDEX jobs_by_status_due ON jobs (status, next_attempt_at);
             CREATE INDEX jobs_by_status_finished ON jobs (status, finished_at);
             CREATE INDEX jobs_by_status_lease ON jobs (status, lease_until);",
        )
        .unwrap();
        old.pragma_update(None, "user_version", SCHEMA_VERSION).unwrap();
        for status in ["pending", "running", "done", "failed"] {
            insert(&old, status).unwrap();
        }
        drop(old);

        let mut conn = Connection::open(&path).unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(
            index_names(&conn),
            [
                "jobs_done_finished",
                "jobs_failed_finished",
                "jobs_pending_due",
                "jobs_running_lease"
            ]
        );
        let pending: i64 = conn
            .query_row("SELECT COUNT(*) FROM jobs WHERE status = 'pending'", [], |row| {
                row.get(0)
            })
            .unwrap();
        let all: i64 = conn
            .query_row("SELECT COUNT(*) FROM jobs", [], |row| row.get(0))
            .unwrap();
        assert_eq!((pending, all), (1, 4));
        let integrity: String = conn.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
        assert_eq!(integrity, "ok");
        migrate(&mut conn).unwrap();
        assert_eq!(index_names(&conn).len(), 4, "migrating again changes nothing");
    }
}
