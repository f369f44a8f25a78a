//! Pruning old records so that the tables do not grow forever (same [`Retention`] as the SQLite store), and the
//! posting budgets of channels whose bucket has refilled.

use std::time::Duration;

use deadpool_postgres::GenericClient;

use super::errors::StorageContext;
use super::jobs::NOW;
use crate::error::QueueError;
use crate::sqlite::{Pruned, Retention};

pub(super) async fn prune(client: &impl GenericClient, retention: &Retention) -> Result<Pruned, QueueError> {
    let age = |age: Duration| i64::try_from(age.as_millis()).unwrap_or(i64::MAX / 4);
    let keep_done = i64::try_from(retention.keep_done).unwrap_or(i64::MAX);
    let done = client
        .execute(
            &format!(
                "DELETE FROM lookerbot_jobs WHERE status = 'done' AND (finished_at < {NOW} - $1 OR id NOT IN (
                     SELECT id FROM lookerbot_jobs WHERE status = 'done' ORDER BY finished_at DESC, id DESC
                     LIMIT $2))"
            ),
            &[&age(retention.done_max_age), &keep_done],
        )
        .await
        .context("cannot prune old deliveries")?;
    let failed = client
        .execute(
            &format!("DELETE FROM lookerbot_jobs WHERE status = 'failed' AND finished_at < {NOW} - $1"),
            &[&age(retention.failed_max_age)],
        )
        .await
        .context("cannot prune old deliveries")?;
    let seen_events = client
        .execute(
            &format!("DELETE FROM lookerbot_seen_events WHERE expires_at <= {NOW}"),
            &[],
        )
        .await
        .context("cannot prune old event ids")?;
    // A channel whose bucket has refilled is the same as one never posted into.
    client
        .execute(&format!("DELETE FROM lookerbot_pace WHERE due_at <= {NOW}"), &[])
        .await
        .context("cannot prune posting budgets")?;
    Ok(Pruned {
        jobs: usize::try_from(done + failed).unwrap_or(usize::MAX),
        seen_events: usize::try_from(seen_events).unwrap_or(usize::MAX),
    })
}
