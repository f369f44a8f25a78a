//! Scheduled deliveries under Slack's rules: many back to back into one channel (the simulator enforces Slack's
//! per-channel rate, the bot paces itself), a burst into 100 channels, and an answer far larger than any reply
//! shows. Each delivery carries its own title, so that the bench can tell which ones were posted, and how often.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::future::join_all;
use looker_sandbox::Fault;
use slack_sim::PostedMessage;

use crate::cpu::{Meter, Share};
use crate::process::BotProcess;
use crate::rig::{ONE_CHANNEL, StandIns, bench_channel};
use crate::stats::percentile;

/// Longest one delivery may take to be posted, pacing included.
const POST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long after the last post the bench keeps watching for a late duplicate, and keeps counting the bot's CPU
/// (done marks and other work the deliveries leave behind).
const SETTLE: Duration = Duration::from_millis(1500);

/// Concurrent senders of a burst.
pub const SENDERS: usize = 100;

/// The scheduled Look's webhook body with its own title.
fn titled(payload: &serde_json::Value, title: &str) -> String {
    let mut payload = payload.clone();
    payload["scheduled_plan"]["title"] = serde_json::Value::from(title);
    payload.to_string()
}

const TITLE: &str = "Bench delivery ";

fn title(n: usize) -> String {
    format!("{TITLE}{n:05}")
}

/// The number in the title a posted message shows, if any.
fn delivery_number(message: &PostedMessage) -> Option<usize> {
    let number = |text: &str| -> Option<usize> {
        let at = text.find(TITLE)? + TITLE.len();
        text.get(at..at + 5)?.parse().ok()
    };
    message
        .text
        .as_deref()
        .and_then(number)
        .or_else(|| message.blocks.as_ref().and_then(|b| number(&b.to_string())))
}

/// Whether a posted message is the delivery titled `title`.
fn shows(message: &PostedMessage, title: &str) -> bool {
    message.text.as_deref().is_some_and(|t| t.contains(title))
        || message.blocks.as_ref().is_some_and(|b| b.to_string().contains(title))
}

/// How many of `count` deliveries were posted not at all, and more than once, in `channel` (`None`: any channel).
fn lost_and_duplicated(stand_ins: &StandIns, channel: Option<&str>, count: usize) -> (usize, usize) {
    let messages: Vec<PostedMessage> = stand_ins
        .sim
        .messages()
        .into_iter()
        .filter(|m| m.method == "chat.postMessage" && channel.is_none_or(|c| m.channel == c))
        .collect();
    let mut seen = vec![0usize; count];
    for message in &messages {
        if let Some(n) = delivery_number(message).filter(|&n| n < count) {
            seen[n] += 1;
        }
    }
    let lost = seen.iter().filter(|&&n| n == 0).count();
    let duplicated = seen.iter().map(|&n| n.saturating_sub(1)).sum();
    (lost, duplicated)
}

/// Deliveries sent one after the other into one channel, each once the previous was posted.
#[derive(Debug, Clone, Default)]
pub struct OneChannel {
    pub count: usize,
    /// Webhook sent until the post was answered, per delivery in order.
    pub latencies: Vec<Duration>,
    pub lost: usize,
    pub duplicated: usize,
    /// Answers of HTTP 429 the simulator gave (the bot's pacing should make them none).
    pub throttled: usize,
}

impl OneChannel {
    /// The deliveries of the bot's burst (its pacing lets that many go into a channel at once).
    pub fn burst(&self) -> &[Duration] {
        let end = (slack::pace::DEFAULT_BURST as usize).min(self.latencies.len());
        &self.latencies[..end]
    }

    pub fn burst_median(&self) -> Duration {
        percentile(self.burst(), 50.0)
    }

    /// The later ones: each waited for a token.
    pub fn paced(&self) -> &[Duration] {
        &self.latencies[self.burst().len()..]
    }

    /// Posts per second after the burst (each delivery was sent when the previous was posted, so this is the sum
    /// of their latencies).
    pub fn paced_rate(&self) -> f64 {
        let paced = self.paced();
        let total: Duration = paced.iter().sum();
        paced.len() as f64 / total.as_secs_f64().max(f64::EPSILON)
    }
}

/// `count` deliveries back to back into one channel under the simulator's Slack-like rate limit.
pub async fn one_channel(
    stand_ins: &StandIns,
    bot: &str,
    payload: &serde_json::Value,
    count: usize,
) -> anyhow::Result<OneChannel> {
    let (channel_id, channel_name) = ONE_CHANNEL;
    stand_ins.sim.clear_messages();
    let mut result = OneChannel {
        count,
        ..OneChannel::default()
    };
    for n in 0..count {
        let title = title(n);
        let body = titled(payload, &title);
        stand_ins.clear_spans();
        let sent = Instant::now();
        let status = stand_ins.scheduled(bot, channel_name, &body).await?;
        if !status.is_success() {
            bail!("delivery {n} into one channel was refused with HTTP {status}");
        }
        let posted = wait_for_post(stand_ins, channel_id, &title, sent).await?;
        result.latencies.push(posted - sent);
        if std::env::var_os("BENCH_TRACE").is_some() {
            crate::cases::trace(&format!("delivery {n} into one channel"), sent, &stand_ins.spans());
        }
        result.throttled += stand_ins
            .slack_spans()
            .iter()
            .filter(|s| s.name == "chat.postMessage")
            .count()
            .saturating_sub(1);
    }
    tokio::time::sleep(SETTLE).await;
    (result.lost, result.duplicated) = lost_and_duplicated(stand_ins, Some(channel_id), count);
    Ok(result)
}

/// When the post of the delivery titled `title` into `channel` was answered.
async fn wait_for_post(stand_ins: &StandIns, channel: &str, title: &str, sent: Instant) -> anyhow::Result<Instant> {
    let mut spans = 0;
    loop {
        spans += 1;
        let left = POST_TIMEOUT.saturating_sub(sent.elapsed());
        if !stand_ins.sim.wait_for_handler_spans(spans, left).await {
            bail!("the delivery {title} was not posted within {POST_TIMEOUT:?}");
        }
        let posted = stand_ins
            .sim
            .messages()
            .iter()
            .rev()
            .any(|m| m.channel == channel && shows(m, title));
        if posted {
            let spans = stand_ins.slack_spans();
            return spans.iter().map(|s| s.end).max().context("no Slack call recorded");
        }
    }
}

/// A burst of deliveries sent at once, spread over some channels.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spread {
    pub count: usize,
    pub channels: usize,
    /// Sent until all were answered (durably queued).
    pub accepted: Duration,
    /// Sent until all were posted.
    pub posted: Duration,
    pub lost: usize,
    pub duplicated: usize,
    /// CPU from sending until the last post.
    pub share: Share,
    /// The bots' CPU from sending until [`SETTLE`] after the last post.
    pub bot_cpu: Duration,
}

impl Spread {
    pub fn posted_per_second(&self) -> f64 {
        self.count as f64 / self.posted.as_secs_f64().max(f64::EPSILON)
    }

    pub fn cpu_per_delivery(&self) -> Duration {
        self.bot_cpu / u32::try_from(self.count.max(1)).unwrap_or(u32::MAX)
    }
}

/// `count` deliveries sent by [`SENDERS`] concurrent senders (the bot answers 503 past 256 pushes at once) into
/// `channels` channels (no more per channel than the bot's burst, so that none waits for Slack's pace), to `bots`
/// in turn.
pub async fn spread(
    stand_ins: &Arc<StandIns>,
    bots: &[&BotProcess],
    payload: &serde_json::Value,
    count: usize,
    channels: usize,
) -> anyhow::Result<Spread> {
    stand_ins.sim.clear_messages();
    stand_ins.clear_spans();
    let pids: Vec<u32> = bots.iter().map(|b| b.pid).collect();
    let bodies: Vec<String> = (0..count).map(|n| titled(payload, &title(n))).collect();
    let meter = Meter::start(&pids)?;
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let bodies = &bodies;
    let senders = join_all((0..SENDERS.min(count)).map(|_| async {
        loop {
            let n = next.fetch_add(1, Ordering::Relaxed);
            let Some(body) = bodies.get(n) else {
                return Ok(());
            };
            let bot = bots[n % bots.len()].url.as_str();
            let (_, channel) = bench_channel(n % channels);
            let status = stand_ins.scheduled(bot, &channel, body).await?;
            if !status.is_success() {
                bail!("delivery {n} of the burst was refused with HTTP {status}");
            }
        }
    }))
    .await;
    let accepted = started.elapsed();
    senders.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    if !stand_ins
        .sim
        .wait_for_handler_spans(count, Duration::from_secs(60))
        .await
    {
        bail!(
            "only {} of {count} deliveries were posted within 60 s",
            stand_ins.sim.handler_span_count()
        );
    }
    let posted = stand_ins
        .slack_spans()
        .iter()
        .map(|s| s.end)
        .max()
        .map_or_else(|| started.elapsed(), |last| last - started);
    let share = meter.stop()?;
    tokio::time::sleep(SETTLE).await;
    let bot_cpu = meter.stop()?.bot;
    let (lost, duplicated) = lost_and_duplicated(stand_ins, None, count);
    Ok(Spread {
        count,
        channels,
        accepted,
        posted,
        lost,
        duplicated,
        share,
        bot_cpu,
    })
}

/// Sends one delivery to each bot and waits until all were posted: logins, channel lists and connections are
/// made before anything is measured.
pub async fn warm_up(stand_ins: &StandIns, bots: &[&BotProcess], payload: &str) -> anyhow::Result<()> {
    stand_ins.clear_spans();
    for (n, bot) in bots.iter().enumerate() {
        let (_, channel) = bench_channel(crate::rig::BENCH_CHANNELS - 1 - n);
        let status = stand_ins.scheduled(&bot.url, &channel, payload).await?;
        if !status.is_success() {
            bail!("the warm-up delivery was refused with HTTP {status}");
        }
    }
    let posts = || {
        stand_ins
            .slack_spans()
            .iter()
            .filter(|s| s.name == "chat.postMessage")
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while posts() < bots.len() {
        if Instant::now() > deadline {
            bail!("the warm-up deliveries were not posted within 20 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(())
}

/// A delivery whose Looker answer is `rows` rows although the bot asks for far fewer (a Looker that ignores the
/// limit): the bot must refuse it within bounded memory. Returns the bot's peak resident memory (KiB) after it
/// told the channel.
pub async fn oversized_answer(
    stand_ins: &StandIns,
    bot: &BotProcess,
    payload: &str,
    rows: usize,
) -> anyhow::Result<u64> {
    warm_up(stand_ins, &[bot], payload).await?;
    stand_ins.sim.clear_messages();
    stand_ins
        .sandbox
        .inject_fault("run_query", Fault::Oversized(rows), Some(1));
    let (channel_id, channel_name) = bench_channel(0);
    let status = stand_ins.scheduled(&bot.url, &channel_name, payload).await?;
    if !status.is_success() {
        bail!("the oversized delivery was refused with HTTP {status}");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let told = stand_ins.sim.messages().iter().any(|m| {
            m.channel == channel_id && (shows(m, "larger than") || shows(m, "too large") || shows(m, "too big"))
        });
        if told {
            break;
        }
        if Instant::now() > deadline {
            stand_ins.sandbox.clear_faults();
            bail!("the channel was not told that a {rows}-row answer is too large within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bot.peak_rss_kib()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: Option<&str>, blocks: Option<serde_json::Value>) -> PostedMessage {
        PostedMessage {
            method: "chat.postMessage".into(),
            channel: "C1".into(),
            ts: "1.1".into(),
            thread_ts: None,
            text: text.map(str::to_owned),
            blocks,
            user: None,
            response_type: None,
            replace_original: None,
            metadata: None,
        }
    }

    #[test]
    fn a_posted_delivery_is_known_by_its_title_in_text_or_blocks() {
        assert_eq!(delivery_number(&message(Some(&title(42)), None)), Some(42));
        let blocks = serde_json::json!([{"type": "header", "text": {"type": "plain_text", "text": title(7)}}]);
        assert_eq!(delivery_number(&message(Some("a table"), Some(blocks))), Some(7));
        assert_eq!(delivery_number(&message(Some("Bench delivery 12"), None)), None);
        assert_eq!(delivery_number(&message(None, None)), None);
    }

    #[test]
    fn the_burst_is_the_bots_and_the_rest_is_paced() {
        let ms = Duration::from_millis;
        let mut latencies = vec![ms(5); slack::pace::DEFAULT_BURST as usize];
        latencies.extend([ms(1000), ms(1000), ms(1000), ms(1000)]);
        let one = OneChannel {
            count: latencies.len(),
            latencies,
            ..OneChannel::default()
        };
        assert_eq!(one.burst().len(), slack::pace::DEFAULT_BURST as usize);
        assert_eq!(one.burst_median(), ms(5));
        assert_eq!(one.paced().len(), 4);
        assert!((one.paced_rate() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn each_delivery_gets_its_own_title_in_the_payload() {
        let payload = serde_json::json!({"scheduled_plan": {"title": "Sales", "type": "Look"}, "attachment": null});
        let body: serde_json::Value = serde_json::from_str(&titled(&payload, &title(3))).unwrap();
        assert_eq!(body["scheduled_plan"]["title"], "Bench delivery 00003");
        assert_eq!(body["scheduled_plan"]["type"], "Look");
    }
}
