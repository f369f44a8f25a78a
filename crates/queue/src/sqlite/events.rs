//! Remembering chat event ids already handled.

use rusqlite::{Connection, params};

use super::cached::CachedStatements;
use super::errors::StorageContext;
use crate::error::QueueError;

/// Records `key` until `now + ttl`; true when it was not recorded or its record had expired. One statement, so two
/// deliveries of the same event racing each other cannot both see it first.
pub(super) fn first_sighting(conn: &Connection, key: &str, ttl_ms: i64, now_ms: i64) -> Result<bool, QueueError> {
    let changed = conn
        .cached_execute(
            "INSERT INTO seen_events (key, expires_at) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
             WHERE seen_events.expires_at <= ?3",
            params![key, now_ms.saturating_add(ttl_ms), now_ms],
        )
        .context("cannot record the event id")?;
    Ok(changed == 1)
}

/// Commits one write to the event table: a row under a key no Slack event id can have (Slack's ids have no `:`),
/// already expired so that it never dedupes anything and housekeeping removes it.
pub(super) fn probe_write(conn: &Connection, now_ms: i64) -> Result<(), QueueError> {
    conn.cached_execute(
        "INSERT INTO seen_events (key, expires_at) VALUES ('lookerbot:write-probe', ?1)
         ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at",
        params![now_ms],
    )
    .context("cannot write to the queue's database")?;
    Ok(())
}
