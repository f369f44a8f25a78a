//! The tables, created and upgraded by numbered migrations at start-up. Several replicas starting at once take
//! turns under a session advisory lock, so each migration runs exactly once.

use tokio_postgres::Client;

use super::errors::StorageContext;
use crate::error::QueueError;

/// Every advisory lock the store takes uses this first key ("lkbt"), the second naming the purpose.
pub(super) const LOCK_NAMESPACE: i32 = 0x6c6b_6274;
const MIGRATION_LOCK: i32 = 1;

/// The migrations in order; the layout version is how many have run. Append, never edit.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE lookerbot_jobs (
        id              BIGSERIAL PRIMARY KEY,
        kind            TEXT    NOT NULL,
        payload         TEXT    NOT NULL,
        idempotency_key TEXT    UNIQUE,
        attempts        INTEGER NOT NULL DEFAULT 0,
        status          TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
        last_error      TEXT,
        created_at      BIGINT  NOT NULL,
        queued_at       BIGINT  NOT NULL,
        next_attempt_at BIGINT  NOT NULL,
        lease_until     BIGINT,
        finished_at     BIGINT
    );
    CREATE INDEX lookerbot_jobs_by_status_due ON lookerbot_jobs (status, next_attempt_at);
    CREATE INDEX lookerbot_jobs_by_status_finished ON lookerbot_jobs (status, finished_at);
    CREATE TABLE lookerbot_seen_events (
        key        TEXT   PRIMARY KEY,
        expires_at BIGINT NOT NULL
    );
    CREATE INDEX lookerbot_seen_events_by_expiry ON lookerbot_seen_events (expires_at);
",
    "
    -- Unlogged: posting slots need not survive a crash of the database (the buckets start full again, one burst),
    -- and reserving one then waits for no disk.
    CREATE UNLOGGED TABLE lookerbot_pace (
        channel TEXT   PRIMARY KEY,
        due_at  BIGINT NOT NULL
    );
    CREATE INDEX lookerbot_pace_by_due ON lookerbot_pace (due_at);
",
];

/// Brings the database to the layout this code writes, or refuses one written by a newer lookerbot.
pub(super) async fn migrate(client: &mut Client) -> Result<(), QueueError> {
    client
        .execute("SELECT pg_advisory_lock($1, $2)", &[&LOCK_NAMESPACE, &MIGRATION_LOCK])
        .await
        .context("cannot take the migration lock")?;
    let result = run_missing(client).await;
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1, $2)", &[&LOCK_NAMESPACE, &MIGRATION_LOCK])
        .await
        .context("cannot release the migration lock");
    result.and(unlocked.map(drop))
}

async fn run_missing(client: &mut Client) -> Result<(), QueueError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS lookerbot_migrations (
                 version    INTEGER PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .await
        .context("cannot create the migrations table")?;
    let row = client
        .query_one("SELECT COALESCE(MAX(version), 0) FROM lookerbot_migrations", &[])
        .await
        .context("cannot read the layout version")?;
    let version: i32 = row.get(0);
    let known = MIGRATIONS.len() as i32;
    if version > known {
        return Err(QueueError::Storage(format!(
            "the database has queue layout version {version}, written by a newer lookerbot (this one knows \
             version {known}); upgrade lookerbot or point LOOKERBOT_DATABASE_URL at another database"
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let number = index as i32 + 1;
        let tx = client.transaction().await.context("cannot start a migration")?;
        tx.batch_execute(sql)
            .await
            .context(&format!("cannot apply queue migration {number}"))?;
        tx.execute("INSERT INTO lookerbot_migrations (version) VALUES ($1)", &[&number])
            .await
            .context("cannot record the migration")?;
        tx.commit().await.context("cannot commit the migration")?;
    }
    Ok(())
}
