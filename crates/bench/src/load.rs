//! Throughput: slash commands answered per second and scheduled deliveries accepted per second, at several
//! numbers of concurrent senders, and a burst of slash commands that must all be acknowledged within 3 s.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use futures::future::join_all;
use tokio::sync::Semaphore;

use crate::rig::{StandIns, bench_channel};

/// Slack's limit for acknowledging a slash command.
pub const ACK_LIMIT: Duration = Duration::from_secs(3);
/// Longest the bench waits for work it started to finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub count: usize,
    pub per_second: f64,
}

#[derive(Debug, Clone, Copy)]
pub struct Burst {
    pub count: usize,
    pub acked: usize,
    /// Taken by the bot (answered with success, within 3 s or later): these were all replied to.
    pub taken: usize,
    /// Answered with an error status (503 when the bot sheds load).
    pub refused: usize,
    /// Whose connection the bot closed or never took (it serves a bounded number of connections).
    pub dropped: usize,
    pub slowest_ack: Duration,
    pub all_replied: Duration,
}

/// Waits until the simulator has seen `calls` calls since its spans were cleared.
async fn wait_for_slack_calls(stand_ins: &StandIns, calls: usize) -> anyhow::Result<()> {
    if !stand_ins.sim.wait_for_handler_spans(calls, DRAIN_TIMEOUT).await {
        bail!(
            "only {} of {calls} Slack calls arrived in {DRAIN_TIMEOUT:?}",
            stand_ins.sim.handler_span_count()
        );
    }
    Ok(())
}

/// `count` slash commands with at most `senders` waiting for their reply at any time; replies per second.
/// Each reply is `calls_per_reply` Slack calls (calibrated by the latency cases).
pub async fn slash_replies(
    stand_ins: &Arc<StandIns>,
    bot: &str,
    text: &str,
    senders: usize,
    count: usize,
    calls_per_reply: usize,
) -> anyhow::Result<Rate> {
    stand_ins.clear_spans();
    let free = Arc::new(Semaphore::new(senders));
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..senders)
        .map(|_| {
            let (stand_ins, free, next) = (stand_ins.clone(), free.clone(), next.clone());
            let (bot, text) = (bot.to_owned(), text.to_owned());
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < count {
                    free.acquire().await?.forget();
                    let status = stand_ins.slash(&bot, "C0GENERAL", &text).await?;
                    if !status.is_success() {
                        bail!("a slash command was answered with HTTP {status}");
                    }
                }
                Ok(())
            })
        })
        .collect();
    // A sender may send again once one of the replies it waits for arrived.
    let mut replied = 0;
    while replied < count {
        let now = stand_ins.sim.handler_span_count() / calls_per_reply;
        if now > replied {
            free.add_permits(now - replied);
            replied = now;
        } else if started.elapsed() > DRAIN_TIMEOUT {
            bail!("only {replied} of {count} slash commands were answered in {DRAIN_TIMEOUT:?}");
        } else {
            tokio::time::sleep(Duration::from_micros(250)).await;
        }
    }
    let elapsed = started.elapsed();
    for task in join_all(tasks).await {
        task??;
    }
    Ok(Rate {
        count,
        per_second: count as f64 / elapsed.as_secs_f64(),
    })
}

/// `count` slash commands sent at once: how many were acknowledged, the slowest acknowledgement, and when the last
/// reply arrived.
pub async fn slash_burst(
    stand_ins: &Arc<StandIns>,
    bot: &str,
    text: &str,
    count: usize,
    calls_per_reply: usize,
) -> anyhow::Result<Burst> {
    stand_ins.clear_spans();
    let started = Instant::now();
    let acks = join_all((0..count).map(|_| async {
        let status = stand_ins.slash(bot, "C0GENERAL", text).await;
        (status.map(|s| s.is_success()), started.elapsed())
    }))
    .await;
    let answered = acks.iter().filter(|(ok, _)| matches!(ok, Ok(true))).count();
    let acked = acks
        .iter()
        .filter(|(ok, at)| matches!(ok, Ok(true)) && *at <= ACK_LIMIT)
        .count();
    let refused = acks.iter().filter(|(ok, _)| matches!(ok, Ok(false))).count();
    let dropped = acks.iter().filter(|(ok, _)| ok.is_err()).count();
    let slowest_ack = acks.iter().map(|(_, at)| *at).max().unwrap_or_default();
    // Only commands the bot took are answered.
    wait_for_slack_calls(stand_ins, answered * calls_per_reply).await?;
    Ok(Burst {
        count,
        acked,
        taken: answered,
        refused,
        dropped,
        slowest_ack,
        all_replied: started.elapsed(),
    })
}

/// `count` scheduled deliveries from `senders` concurrent senders, spread over the bench channels: accepted
/// (durably queued and answered) per second. Then waits until all were posted: (accepted rate, delivered rate).
pub async fn deliveries(
    stand_ins: &Arc<StandIns>,
    bot: &str,
    payload: &str,
    senders: usize,
    count: usize,
    calls_per_delivery: usize,
) -> anyhow::Result<(Rate, Rate)> {
    stand_ins.clear_spans();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..senders)
        .map(|_| {
            let (stand_ins, next) = (stand_ins.clone(), next.clone());
            let (bot, payload) = (bot.to_owned(), payload.to_owned());
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= count {
                        return Ok(());
                    }
                    let (_, channel) = bench_channel(n);
                    let status = stand_ins.scheduled(&bot, &channel, &payload).await?;
                    if !status.is_success() {
                        bail!("a scheduled delivery was refused with HTTP {status}");
                    }
                }
            })
        })
        .collect();
    for task in join_all(tasks).await {
        task??;
    }
    let accepted = started.elapsed();
    wait_for_slack_calls(stand_ins, count * calls_per_delivery).await?;
    let delivered = started.elapsed();
    let rate = |elapsed: Duration| Rate {
        count,
        per_second: count as f64 / elapsed.as_secs_f64(),
    };
    Ok((rate(accepted), rate(delivered)))
}
