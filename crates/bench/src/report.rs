//! The markdown the bench prints: tables, the targets and how they were met, and the method.

use std::fmt;
use std::time::Duration;

use anyhow::Context;

use crate::cases::CaseResult;
use crate::cpu::{Share, ThreadSplit};
use crate::deliveries::{OneChannel, Spread};
use crate::load::{ACK_LIMIT, Burst, Rate};
use crate::process::Startup;
use crate::stats::{ms, percentile};
use crate::targets::{Targets, cpu_ms};
use crate::{OVERSIZED_ROWS, SPREAD_CHANNELS, Sizes};

const ADDED_TARGET: Duration = Duration::from_millis(1);
const DELIVERY_TARGET: Duration = Duration::from_millis(2);
const ONE_CHANNEL_BURST_TARGET: Duration = Duration::from_millis(5);
/// Slack's pace past the burst: one post a second per channel (a little slower still counts as that pace).
const SLACK_PACE_PER_SECOND: f64 = 0.95;
const ACCEPTED_TARGET: f64 = 3000.0;
const POSTED_TARGET: f64 = 1000.0;
const CPU_TARGET: Duration = Duration::from_micros(300);
const BURST_RSS_TARGET_KIB: u64 = 40 * 1024;
const OVERSIZED_RSS_TARGET_KIB: u64 = 60 * 1024;
const IDLE_RSS_TARGET_KIB: u64 = 15 * 1024;
const STARTUP_TARGET: Duration = Duration::from_millis(30);
const SCHEDULED_CASE: &str = "Scheduled delivery (Look to #channel)";

/// The bot's CPU over a delivery load.
pub struct DeliveryCpu {
    /// CPU shares until all were posted.
    pub share: Share,
    /// The bot's CPU until 1.1 s after the last post, in all and by thread.
    pub bot: Duration,
    pub by_thread: ThreadSplit,
    /// Of `bot`, the time in the kernel.
    pub kernel: Duration,
    pub deliveries: usize,
    /// The machine's speed check before the load.
    pub speed: Duration,
}

pub struct Report {
    pub sizes: Sizes,
    pub startups: Vec<Startup>,
    pub idle_rss_kib: u64,
    pub after_cases_rss_kib: u64,
    pub peak_rss_kib: u64,
    pub after_load_rss_kib: u64,
    pub cases: Vec<CaseResult>,
    pub slash_rates: Vec<Rate>,
    pub burst: Option<Burst>,
    /// (accepted, delivered) per load.
    pub delivery_rates: Vec<(Rate, Rate)>,
    /// The machine's speed check before the latency cases and at the end ([`crate::speed::reference`]).
    pub speed: Vec<Duration>,
    /// Peak memory of a fresh bot through the burst of slash commands.
    pub burst_peak_kib: u64,
    /// The bot's CPU over the last (most concurrent) delivery load.
    pub delivery_cpu: Option<DeliveryCpu>,
    pub spread: Option<Spread>,
    pub one_channel: Option<OneChannel>,
    pub targets: Targets,
}

impl Report {
    pub fn new(sizes: Sizes) -> Report {
        Report {
            sizes,
            startups: Vec::new(),
            idle_rss_kib: 0,
            after_cases_rss_kib: 0,
            peak_rss_kib: 0,
            after_load_rss_kib: 0,
            cases: Vec::new(),
            slash_rates: Vec::new(),
            burst: None,
            delivery_rates: Vec::new(),
            speed: Vec::new(),
            burst_peak_kib: 0,
            delivery_cpu: None,
            spread: None,
            one_channel: None,
            targets: Targets::default(),
        }
    }

    /// Slack calls one warm reply of the named case makes.
    pub fn warm_slack_calls(&self, case: &str) -> anyhow::Result<usize> {
        let result = self
            .cases
            .iter()
            .find(|c| c.name == case)
            .context("case not measured")?;
        Ok(result.warm.slack.max(1))
    }

    fn startup(&self, pick: impl Fn(&Startup) -> Duration) -> Duration {
        let samples: Vec<Duration> = self.startups.iter().map(pick).collect();
        percentile(&samples, 50.0)
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 / 1024.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, m)| m.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{cores} cores, {cpu}, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
        writeln!(f, "## lookerbot-bench, {date}")?;
        writeln!(f)?;
        writeln!(f, "Machine: {}. Run: {:?}.", machine(), self.sizes)?;
        let speed: Vec<String> = self
            .speed
            .iter()
            .map(|d| format!("{:.1} ms", d.as_secs_f64() * 1000.0))
            .collect();
        writeln!(
            f,
            "Machine speed check (a fixed CPU task timed before the latency cases and at the end; higher is slower): \
             {}.",
            speed.join(", then ")
        )?;
        writeln!(f)?;
        self.write_latency(f)?;
        self.write_throughput(f)?;
        self.write_memory(f)?;
        self.write_targets(f)?;
        write_method(f)
    }
}

impl Report {
    fn write_latency(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "### Added time per reply ({} replies per case, one at a time, the cases taking turns)",
            self.sizes.runs_per_case
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "| Reply | Added, median | Added, p99 | Whole reply, median | Bot CPU per reply | Looker calls | Slack calls | First reply (cold caches) |"
        )?;
        writeln!(f, "|---|---:|---:|---:|---:|---|---|---|")?;
        for c in &self.cases {
            writeln!(
                f,
                "| {} | {} | {} | {} | {} | {}: {} | {}: {} | Looker {}: {}; Slack {}: {} |",
                c.name,
                ms(c.added_median),
                ms(c.added_p99),
                ms(c.wall_median),
                ms(c.cpu),
                c.warm.looker,
                c.warm.looker_names,
                c.warm.slack,
                c.warm.slack_names,
                c.cold.looker,
                c.cold.looker_names,
                c.cold.slack,
                c.cold.slack_names,
            )?;
        }
        writeln!(f)?;
        for c in self.cases.iter().filter(|c| !c.note.is_empty()) {
            writeln!(f, "- {}: {}.", c.name, c.note)?;
        }
        writeln!(f)
    }

    fn write_throughput(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.slash_rates.is_empty() && self.delivery_rates.is_empty() {
            return Ok(()); // `--only`: no throughput runs
        }
        writeln!(f, "### Throughput")?;
        writeln!(f)?;
        let senders: Vec<String> = self.sizes.load.iter().map(|(s, _)| format!("{s} at a time")).collect();
        writeln!(f, "| Per second | {} |", senders.join(" | "))?;
        writeln!(f, "|---|{}", "---:|".repeat(senders.len()))?;
        let row = |rates: Vec<Rate>| -> String {
            rates
                .iter()
                .map(|r| format!("{:.0} (of {})", r.per_second, r.count))
                .collect::<Vec<_>>()
                .join(" | ")
        };
        writeln!(
            f,
            "| Slash commands answered (Look link) | {} |",
            row(self.slash_rates.clone())
        )?;
        let accepted = self.delivery_rates.iter().map(|(a, _)| *a).collect();
        let delivered = self.delivery_rates.iter().map(|(_, d)| *d).collect();
        writeln!(
            f,
            "| Scheduled deliveries accepted (durably queued) | {} |",
            row(accepted)
        )?;
        writeln!(f, "| Scheduled deliveries posted to Slack | {} |", row(delivered))?;
        writeln!(f)?;
        if let Some(b) = &self.burst {
            writeln!(
                f,
                "{} slash commands at once: {} acknowledged within {}s, the slowest after {}; the {} the bot took were \
                 all answered after {}.",
                b.count,
                b.acked,
                ACK_LIMIT.as_secs(),
                ms(b.slowest_ack),
                b.taken,
                ms(b.all_replied)
            )?;
            writeln!(f)?;
        }
        Ok(())
    }

    fn write_memory(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "### Memory and start-up (the main `lookerbot serve` process alone)")?;
        writeln!(f)?;
        writeln!(
            f,
            "| Resident, idle | after the latency cases | peak under the throughput runs | after them | Start-up to ready (median of {}) | of which in Looker and Slack | spawn to first Slack call |",
            self.startups.len()
        )?;
        writeln!(f, "|---:|---:|---:|---:|---:|---:|---:|")?;
        writeln!(
            f,
            "| {} | {} | {} | {} | {} | {} | {} |",
            mib(self.idle_rss_kib),
            mib(self.after_cases_rss_kib),
            mib(self.peak_rss_kib),
            mib(self.after_load_rss_kib),
            ms(self.startup(|s| s.to_ready)),
            ms(self.startup(|s| s.inside_stand_ins)),
            ms(self.startup(|s| s.to_first_call)),
        )?;
        writeln!(f)
    }

    fn write_targets(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "### Targets")?;
        writeln!(f)?;
        writeln!(f, "| Measure | Target | Measured | | Speed check before |")?;
        writeln!(f, "|---|---|---|---|---:|")?;
        for row in &self.targets.rows {
            let verdict = row.met.map_or("reported", verdict);
            writeln!(
                f,
                "| {} | {} | {} | {} | {} |",
                row.measure,
                row.target,
                row.measured,
                verdict,
                ms(row.speed)
            )?;
        }
        writeln!(f)
    }
}

/// The rows of the targets table, added as each phase ends.
impl Report {
    pub fn startup_targets(&mut self, speed: Duration) {
        let ready = self.startup(|s| s.to_ready);
        self.targets.add(
            format!("Start-up to ready (median of {})", self.startups.len()),
            "< 30 ms",
            format!(
                "{} ({} of it inside Looker and Slack)",
                ms(ready),
                ms(self.startup(|s| s.inside_stand_ins))
            ),
            Some(ready < STARTUP_TARGET),
            speed,
        );
        self.targets.add(
            "Idle RSS",
            "< 15 MB",
            mib(self.idle_rss_kib),
            Some(self.idle_rss_kib < IDLE_RSS_TARGET_KIB),
            speed,
        );
    }

    pub fn delivery_latency_target(&mut self, speed: Duration) {
        let worst = self.cases.iter().map(|c| c.added_median).max().unwrap_or_default();
        self.targets.add(
            "Added time per reply, median, worst case (earlier rounds)",
            "< 1 ms",
            ms(worst),
            Some(worst < ADDED_TARGET),
            speed,
        );
        let Some(case) = self.cases.iter().find(|c| c.name == SCHEDULED_CASE) else {
            return;
        };
        self.targets.add(
            "Scheduled delivery, webhook sent → post, median (posted after the durable commit)",
            "< 2 ms",
            format!(
                "{} ({} of it the bot's own, the rest inside the stand-ins' handlers)",
                ms(case.wall_median),
                ms(case.added_median)
            ),
            Some(case.wall_median < DELIVERY_TARGET),
            speed,
        );
    }

    pub fn delivery_throughput_targets(&mut self) {
        let Some(DeliveryCpu {
            share,
            bot: bot_cpu,
            ref by_thread,
            kernel,
            deliveries: count,
            speed,
        }) = self.delivery_cpu
        else {
            return;
        };
        let Some((accepted, posted)) = self.delivery_rates.last().copied() else {
            return;
        };
        let senders = self.sizes.load.last().map_or(0, |(s, _)| *s);
        self.targets.add(
            format!("Deliveries accepted durably per second ({senders} senders, group commit)"),
            "≥ 3,000",
            format!(
                "{:.0} (of {}; then posted at {:.0} per second into {} channels)",
                accepted.per_second,
                accepted.count,
                posted.per_second,
                crate::rig::BENCH_CHANNELS
            ),
            Some(accepted.per_second >= ACCEPTED_TARGET),
            speed,
        );
        let divisor = u32::try_from(count.max(1)).unwrap_or(u32::MAX);
        let per = bot_cpu / divisor;
        let threads = per_thread(by_thread, divisor);
        self.targets.add(
            "Bot CPU per delivery (whole process, `/proc/<pid>/stat` before and after)",
            "< 0.3 ms",
            format!(
                "{} ({} deliveries from {senders} senders, accepted and posted, and 1.1 s after; {} of it in the \
                 kernel; by thread: {threads}; until the last post the bot used {} of the cores, the stand-ins {}, \
                 the driver {})",
                cpu_ms(per),
                count,
                cpu_ms(kernel / divisor),
                percent(&share, share.bot),
                percent(&share, share.stand_ins),
                percent(&share, share.driver()),
            ),
            Some(per < CPU_TARGET),
            speed,
        );
    }

    pub fn burst_targets(&mut self, speed: Duration) {
        let Some(b) = self.burst else {
            return;
        };
        self.targets.add(
            format!("{} concurrent slash commands acknowledged within 3 s", b.count),
            "all",
            format!(
                "{} of {}, the slowest after {}; {} refused with an error status, {} connections closed by the bot",
                b.acked,
                b.count,
                ms(b.slowest_ack),
                b.refused,
                b.dropped
            ),
            Some(b.acked == b.count),
            speed,
        );
        self.targets.add(
            format!("Peak RSS, {} concurrent slash commands (a fresh bot)", b.count),
            "< 40 MB",
            mib(self.burst_peak_kib),
            Some(self.burst_peak_kib < BURST_RSS_TARGET_KIB),
            speed,
        );
    }

    pub fn spread_targets(&mut self, spread: &Spread, peak_kib: u64, speed: Duration) {
        let share = &spread.share;
        self.targets.add(
            format!("Deliveries posted per second across {SPREAD_CHANNELS} channels"),
            "≥ 1,000 (stand-ins permitting)",
            format!(
                "{:.0} ({} sent at once, all accepted after {}, all posted after {}; lost {}, duplicated {}; \
                 CPU share of the cores: bot {}, stand-ins {}, driver {})",
                spread.posted_per_second(),
                spread.count,
                ms(spread.accepted),
                ms(spread.posted),
                spread.lost,
                spread.duplicated,
                percent(share, share.bot),
                percent(share, share.stand_ins),
                percent(share, share.driver()),
            ),
            Some(spread.posted_per_second() >= POSTED_TARGET && spread.lost == 0 && spread.duplicated == 0),
            speed,
        );
        self.targets.add(
            "Bot CPU per delivery in that burst (whole process, `/proc/<pid>/stat`)",
            "< 0.3 ms",
            format!("{} (and 1.5 s after the last post)", cpu_ms(spread.cpu_per_delivery())),
            Some(spread.cpu_per_delivery() < CPU_TARGET),
            speed,
        );
        self.targets.add(
            format!("Peak RSS, {}-delivery burst (a fresh bot)", spread.count),
            "< 40 MB",
            mib(peak_kib),
            Some(peak_kib < BURST_RSS_TARGET_KIB),
            speed,
        );
        self.spread = Some(*spread);
    }

    pub fn oversized_target(&mut self, peak_kib: u64, speed: Duration) {
        self.targets.add(
            format!("Peak RSS, a {OVERSIZED_ROWS}-row answer (a fresh bot; refused as too large)"),
            "< 60 MB",
            mib(peak_kib),
            Some(peak_kib < OVERSIZED_RSS_TARGET_KIB),
            speed,
        );
    }

    pub fn one_channel_target(&mut self, one: &OneChannel, speed: Duration) {
        let paced = one.paced();
        let burst_ok = one.burst_median() < ONE_CHANNEL_BURST_TARGET;
        let pace_ok = paced.is_empty() || one.paced_rate() >= SLACK_PACE_PER_SECOND;
        self.targets.add(
            format!(
                "{} deliveries back to back into one channel, Slack's rate limit on",
                one.count
            ),
            "median < 5 ms until the burst is used, then Slack's pace; 0 lost, 0 duplicated",
            format!(
                "first {} (the burst): median {}; then {} at {:.2} posts per second (median {} each); lost {}, \
                 duplicated {}, HTTP 429 {}",
                one.burst().len(),
                ms(one.burst_median()),
                paced.len(),
                one.paced_rate(),
                ms(percentile(paced, 50.0)),
                one.lost,
                one.duplicated,
                one.throttled
            ),
            Some(burst_ok && pace_ok && one.lost == 0 && one.duplicated == 0),
            speed,
        );
    }

    pub fn replicas_skipped(&mut self, why: &str) {
        let why = why.lines().next().unwrap_or(why).replace('|', "/");
        self.targets.add(
            "Deliveries per second, replicas on PostgreSQL (issue 22)",
            "reported",
            format!("skipped: PostgreSQL could not be started ({why})"),
            None,
            Duration::ZERO,
        );
    }

    pub fn replicas_target(&mut self, replicas: usize, spread: &Spread, speed: Duration) {
        let share = &spread.share;
        self.targets.add(
            format!("Deliveries posted per second, {replicas} replica(s) on PostgreSQL (issue 22)"),
            "reported",
            format!(
                "{:.0} ({} sent at once into {} channels, accepted after {}, posted after {}; lost {}, duplicated \
                 {}; bot CPU {} per delivery; CPU share: bots {}, stand-ins {}, driver and PostgreSQL's share of \
                 the rest)",
                spread.posted_per_second(),
                spread.count,
                spread.channels,
                ms(spread.accepted),
                ms(spread.posted),
                spread.lost,
                spread.duplicated,
                cpu_ms(spread.cpu_per_delivery()),
                percent(share, share.bot),
                percent(share, share.stand_ins),
            ),
            Some(spread.lost == 0 && spread.duplicated == 0).filter(|ok| !ok),
            speed,
        );
    }
}

fn percent(share: &Share, cpu: Duration) -> String {
    format!("{:.0} %", share.percent(cpu))
}

fn write_method(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(
        f,
        "### Method

- The bot is the release `lookerbot serve` binary in its own process, configured by environment variables
  (Events API mode, signed requests) to the Looker sandbox and the Slack simulator, which run in the bench process
  on 127.0.0.1 with their added latency at zero. Memory is `VmRSS` (peak: `VmHWM`) from `/proc/<pid>/status`.
- Added time = from sending the inbound request (slash command, Events API message, Looker webhook) until the last
  Slack call of the reply was answered by the simulator, minus the time the sandbox and the simulator spent in their
  handlers (each records a span per request; overlapping spans count once). What remains is the bot's own work
  plus loopback HTTP hops, and also the stand-ins' own HTTP handling outside their handlers (reading the request,
  writing the answer, waking their threads), which shares the same 2 cores. The whole reply time is shown beside it.
- The cases take turns, one reply each, the next sent as soon as the last one's final Slack call was answered:
  this machine's speed drifts for seconds at a time, and in turns every case gets the same share of it.
- Bot CPU per reply: CPU time all threads of the bot process used from sending a reply's event until its last
  Slack call was answered (`/proc/<pid>/task/*/schedstat`), averaged per case: the bot's own work, whatever the
  scheduling. Work after that call (a done mark, an event record) counts towards the next reply.
- Calls per reply are counted from those spans: the first reply of each case (cold: Looker login, Slack user and
  channel lookups) and every later one (warm).
- Slack pacing: the bot spaces `chat.postMessage` into one channel by 1 s, as Slack asks, and the bench keeps it
  (it is what production does). Slash commands answer through `response_url`, which is not paced; channel posts
  of the bench go to {channels} different channels so that replies measure the bot, not the pacing. A reply of
  several messages into one channel waits 1 s per extra message, by design.
- Throughput: slash commands are sent with at most N waiting for their reply; scheduled deliveries are posted by N
  concurrent senders and count once the bot answered 200 (stored in its SQLite queue), then the bench waits until
  all were posted to Slack (spread over the bench channels, so pacing bounds that rate at {channels} per second).
- Start-up: spawn until `GET /health_check` answers; before it listens, `serve` calls Slack's `auth.test` and
  loads the custom commands from Looker, whose time inside the stand-ins is shown separately.
- Targets: CPU per delivery is user plus system time of the whole bot process from `/proc/<pid>/stat`, read before
  the first webhook and after the phase (exited threads, timers and background work included), divided by the
  deliveries. Peak memory of the 1,000 slash commands, the delivery burst and the oversized answer is that of a
  fresh bot each (`VmHWM`). The burst and the replicas' runs use 100 senders, 5 deliveries per channel (within the
  bot's burst, so none waits for Slack's pace); CPU shares are of all the machine's cores until the last post, the
  stand-ins' from their own threads (named `stand-in`). Deliveries into one channel are sent one after the other,
  each once the previous was posted, with the simulator's Slack-like limit on; each has its own title, and the
  posted messages are counted per title.",
        channels = crate::rig::BENCH_CHANNELS
    )
}

/// Each thread name's CPU per delivery, as "name 0.123 ms", most first, then what ended threads used.
fn per_thread(split: &ThreadSplit, deliveries: u32) -> String {
    let mut parts: Vec<String> = split
        .names
        .iter()
        .filter(|(_, used)| !used.is_zero())
        .map(|(name, used)| format!("{name} {}", cpu_ms(*used / deliveries)))
        .collect();
    if !split.ended.is_zero() {
        parts.push(format!("threads that ended {}", cpu_ms(split.ended / deliveries)));
    }
    parts.join(", ")
}
