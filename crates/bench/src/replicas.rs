//! Several replicas sharing one PostgreSQL queue (`LOOKERBOT_DATABASE_URL`): deliveries posted per second with one
//! and with three bots. PostgreSQL comes from the `testbed` crate (installed on first use, a throwaway cluster on a
//! free port, or the server `LOOKERBOT_TEST_DATABASE_URL` names); without it these rows are skipped, and say why.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use crate::deliveries::{self, Spread};
use crate::process::BotProcess;
use crate::rig::StandIns;

/// A fresh database on the testbed's PostgreSQL, or why there is none.
pub async fn database() -> Result<String, String> {
    let made = tokio::task::spawn_blocking(|| {
        // The testbed panics with one line saying what is missing; here that line becomes the skip message.
        let quiet = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let made = std::panic::catch_unwind(testbed::postgres::fresh_database);
        std::panic::set_hook(quiet);
        made
    })
    .await
    .map_err(|e| e.to_string())?;
    made.map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "PostgreSQL could not be started".to_owned())
    })
}

/// `replicas` bots on the database at `url`, warmed up, then `count` deliveries sent at once to them in turn, into
/// `channels` channels.
pub async fn deliveries(
    binary: &Path,
    stand_ins: &Arc<StandIns>,
    url: &str,
    replicas: usize,
    payload: &serde_json::Value,
    count: usize,
    channels: usize,
) -> anyhow::Result<Spread> {
    let env = [("LOOKERBOT_DATABASE_URL".to_owned(), url.to_owned())];
    let mut bots = Vec::with_capacity(replicas);
    for _ in 0..replicas {
        let (bot, _) = BotProcess::start(binary, stand_ins, &env)
            .await
            .context("a replica on PostgreSQL did not start")?;
        bots.push(bot);
    }
    let refs: Vec<&BotProcess> = bots.iter().collect();
    deliveries::warm_up(stand_ins, &refs, &payload.to_string()).await?;
    let spread = deliveries::spread(stand_ins, &refs, payload, count, channels).await;
    for bot in bots {
        bot.stop().await;
    }
    spread
}
