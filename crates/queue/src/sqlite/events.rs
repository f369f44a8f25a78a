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
