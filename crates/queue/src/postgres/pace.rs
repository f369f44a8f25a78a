//! The shared posting budget ([`SharedPace`]) in PostgreSQL: one row per channel holds the bucket as the time its
//! next post is due once the burst is spent (a "theoretical arrival time", the generic cell rate algorithm). One
//! upsert both reads and moves it, under the row's lock, so replicas reserving at once get successive slots.

use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::GenericClient;

use super::PostgresStore;
use super::errors::StorageContext;
use super::jobs::NOW;
use crate::error::QueueError;
use crate::pace::SharedPace;

/// Reserves a post into `channel`: the bucket's due time moves one interval past itself (or past now, when the
/// bucket has refilled), and the post may go once that time is less than a burst of intervals away. Returns the
/// wait in milliseconds, from the database's clock.
pub(super) async fn reserve(
    client: &impl GenericClient,
    channel: &str,
    interval_ms: i64,
    burst: i64,
) -> Result<i64, QueueError> {
    let row = client
        .query_one(
            &format!(
                "WITH clock AS (SELECT {NOW} AS now_ms)
                 INSERT INTO lookerbot_pace AS pace (channel, due_at)
                     SELECT $1, now_ms + $2 FROM clock
                 ON CONFLICT (channel) DO UPDATE
                     SET due_at = GREATEST(pace.due_at, (SELECT now_ms FROM clock)) + $2
                 RETURNING GREATEST(pace.due_at - $2 * $3 - (SELECT now_ms FROM clock), 0)"
            ),
            &[&channel, &interval_ms, &burst],
        )
        .await
        .context("cannot reserve a posting slot")?;
    Ok(row.get(0))
}

#[async_trait]
impl SharedPace for PostgresStore {
    async fn reserve_post(&self, channel: &str, interval: Duration, burst: u32) -> Result<Duration, QueueError> {
        let interval_ms = super::millis(interval);
        if interval_ms == 0 {
            return Ok(Duration::ZERO);
        }
        let wait = reserve(&self.client().await?, channel, interval_ms, i64::from(burst.max(1))).await?;
        Ok(Duration::from_millis(u64::try_from(wait).unwrap_or(0)))
    }
}
