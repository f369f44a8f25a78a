//! `--instructions`: the bot's instructions per scheduled delivery, counted by valgrind's callgrind. On this machine
//! the CPU time of the same run moved by up to twice from one hour to the next (the host's other work shows in the
//! bench's speed check); an instruction count does not, so it tells whether a change made a delivery cheaper. Only
//! the bot's own instructions count, its libraries' included, the kernel's (sockets, the disk) not.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::callgrind::Profiled;
use crate::load;
use crate::rig::StandIns;

/// Deliveries before counting starts (connections opened, caches filled).
const WARM_UP: usize = 30;
/// Deliveries counted.
pub const DELIVERIES: usize = 300;
/// Few senders: under valgrind the bot runs about fifty times slower, and each webhook must still be answered in time.
const SENDERS: usize = 4;
/// Slack calls per delivery of the table Look (one `chat.postMessage`).
const SLACK_CALLS: usize = 1;
/// Work the deliveries leave behind (done marks, timers) counts too, as in the CPU measurement.
const AFTER: Duration = Duration::from_millis(1100);

/// Instructions the bot ran per scheduled delivery of the table Look, over [`DELIVERIES`] of them.
pub async fn per_delivery(
    binary: &Path,
    stand_ins: &Arc<StandIns>,
    extra_env: &[(String, String)],
) -> anyhow::Result<u64> {
    let profiled = Profiled::start(binary, stand_ins, &[], extra_env).await?;
    let counted = async {
        let bot = &profiled.bot;
        let payload = stand_ins.scheduled_payload(looker_sandbox::content::TABLE_LOOK_ID)?;
        load::deliveries(stand_ins, &bot.url, &payload, SENDERS, WARM_UP, SLACK_CALLS).await?;
        profiled.control("--zero").await?;
        load::deliveries(stand_ins, &bot.url, &payload, SENDERS, DELIVERIES, SLACK_CALLS).await?;
        tokio::time::sleep(AFTER).await;
        profiled.control("--dump").await
    }
    .await;
    let profile = profiled.finish(counted).await?;
    let total = summary(&profile).context("the callgrind profile has no summary line")?;
    Ok(total / DELIVERIES as u64)
}

/// The profile's total of its one event (instructions): its `summary:` line.
fn summary(profile: &str) -> Option<u64> {
    profile
        .lines()
        .find_map(|line| line.strip_prefix("summary:"))
        .and_then(|total| total.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_total_is_the_summary_line() {
        let profile = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 392556706\n\nfl=(1) x.rs\nfn=(1) f\n3 5\ntotals: 392734628\n";
        assert_eq!(summary(profile), Some(392_556_706));
        assert_eq!(summary("events: Ir\ntotals: 5\n"), None);
    }
}
