//! `lookerbot migrate-queue`: moving from one replica on a SQLite file to several on PostgreSQL without losing the
//! deliveries still waiting in the file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use config::Needs;
use queue::{EnqueueOutcome, Job, JobSelection, ListFilter, NewJob, SqliteStore, Store};

use crate::serve::load_config;

/// What one migration did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moved {
    /// Stored in PostgreSQL now.
    pub moved: usize,
    /// There already (moved by an earlier run, or the same delivery arrived again).
    pub already_there: usize,
}

pub async fn run(from: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let config = match load_config(Needs::NOTHING) {
        Ok(config) => config,
        Err(code) => return Ok(code),
    };
    let Some(url) = &config.database_url else {
        anyhow::bail!(
            "LOOKERBOT_DATABASE_URL is not set: set it to the PostgreSQL database the replicas will share, then run \
             this again"
        );
    };
    let file = from.unwrap_or_else(|| SqliteStore::default_path(&config.data_dir));
    anyhow::ensure!(
        file.is_file(),
        "there is no queue file at {}; name it with --from FILE",
        file.display()
    );
    let target = crate::stack::open_shared_queue(url, config.queue_capacity).await?;
    let moved = migrate(&file, &target).await?;
    println!(
        "Moved {} waiting deliveries into PostgreSQL ({} were there already). Move {} aside so that no bot \
         delivers them from the file again.",
        moved.moved,
        moved.already_there,
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Copies every job waiting or running in the SQLite file at `file` into `target`, as pending. Running it again
/// moves nothing twice: each job keeps its idempotency key, or is given one naming its place in the file.
pub async fn migrate(file: &Path, target: &dyn Store) -> anyhow::Result<Moved> {
    let source = SqliteStore::open(file, usize::MAX)
        .with_context(|| format!("cannot open the queue file {}", file.display()))?;
    let waiting = source.list(ListFilter::new(JobSelection::Pending, usize::MAX)).await?;
    let mut moved = Moved::default();
    // Oldest first, so that they are delivered in the order they arrived.
    for job in waiting.into_iter().rev() {
        match target.enqueue(carried_over(job)).await? {
            EnqueueOutcome::Accepted(_) => moved.moved += 1,
            EnqueueOutcome::Duplicate(_) => moved.already_there += 1,
        }
    }
    Ok(moved)
}

fn carried_over(job: Job) -> NewJob {
    let key = job
        .idempotency_key
        .unwrap_or_else(|| format!("sqlite-queue:{}@{}", job.id, job.created_at.timestamp_millis()));
    NewJob::new(job.kind, job.payload).with_idempotency_key(key)
}
