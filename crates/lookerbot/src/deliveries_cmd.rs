//! `lookerbot deliveries`: what the queue holds, retrying a failed delivery, and salvaging or setting aside a damaged
//! queue.

use std::process::ExitCode;

use config::Needs;
use queue::{JobSelection, ListFilter};

use crate::cli::DeliveriesArgs;
use crate::serve::load_config;

pub async fn run(args: DeliveriesArgs) -> anyhow::Result<ExitCode> {
    let config = match load_config(Needs::NOTHING) {
        Ok(config) => config,
        Err(code) => return Ok(code),
    };
    if args.reset || args.salvage || args.inspect {
        if config.database_url.is_some() {
            anyhow::bail!(
                "--inspect, --salvage and --reset are for a SQLite queue file; with LOOKERBOT_DATABASE_URL the queue is \
                 in PostgreSQL"
            );
        }
        let path = queue::SqliteStore::default_path(&config.data_dir);
        if args.inspect {
            let found = queue::SqliteStore::inspect(&path)?;
            println!(
                "{}\n{} waiting and {} failed deliveries can be read; {} cannot, and {} that were stored are no longer \
                 in the file.",
                found.problem.unwrap_or_else(|| format!(
                    "The queue file {} has no damage the start checks for.",
                    path.display()
                )),
                found.waiting,
                found.failed,
                found.unreadable,
                found.missing
            );
            return Ok(ExitCode::SUCCESS);
        }
        if args.salvage {
            let salvaged = queue::SqliteStore::salvage(&path)?;
            println!(
                "{} waiting and {} failed deliveries were carried into a fresh queue; {} could not be read, and {} \
                 that were stored are no longer in the file. The damaged file was moved to {}.",
                salvaged.waiting,
                salvaged.failed,
                salvaged.unreadable,
                salvaged.missing,
                salvaged.set_aside_to.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        let aside = queue::SqliteStore::set_aside(&path)?;
        println!(
            "The queue file was moved to {}; the next start begins with an empty queue.",
            aside.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let store = crate::stack::open_configured_queue(&config).await?;
    if let Some(id) = args.retry {
        store.requeue_failed(id).await?;
        println!("Delivery {id} is queued again; a running `lookerbot serve` will deliver it.");
        return Ok(ExitCode::SUCCESS);
    }
    let selection = if args.failed {
        JobSelection::Failed
    } else {
        JobSelection::All
    };
    let jobs = store.list(ListFilter::new(selection, args.limit)).await?;
    let counts = store.counts().await?;
    println!(
        "{} pending, {} running, {} done, {} failed ({})",
        counts.pending,
        counts.running,
        counts.done,
        counts.failed,
        crate::stack::queue_location(&config)
    );
    for job in jobs {
        let payload = job.payload.read::<serde_json::Value>().unwrap_or_default();
        let target = payload
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(|v| v.get("target"))
            .cloned();
        let target = target.map(|t| t.to_string()).unwrap_or_default();
        let when = job.created_at.format("%Y-%m-%d %H:%M:%S");
        let reason = job
            .last_error
            .as_deref()
            .map(|e| format!("  — {e}"))
            .unwrap_or_default();
        println!(
            "#{:<6} {when}  {:<8} attempts={} {target}{reason}",
            job.id,
            job.status.to_string(),
            job.attempts
        );
    }
    Ok(ExitCode::SUCCESS)
}
