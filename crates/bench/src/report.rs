//! The markdown the bench prints: tables, the targets and how they were met, and the method.

use std::fmt;
use std::time::Duration;

use anyhow::Context;

use crate::Sizes;
use crate::cases::CaseResult;
use crate::load::{ACK_LIMIT, Burst, Rate};
use crate::process::Startup;
use crate::stats::{ms, percentile};

const ADDED_TARGET: Duration = Duration::from_millis(1);
const IDLE_RSS_TARGET_KIB: u64 = 20 * 1024;
const STARTUP_TARGET: Duration = Duration::from_millis(100);

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
                "{} slash commands at once: {} acknowledged within {}s, the slowest after {}; all {} answered after {}.",
                b.count,
                b.acked,
                ACK_LIMIT.as_secs(),
                ms(b.slowest_ack),
                b.count,
                ms(b.all_replied)
            )?;
            writeln!(f)?;
        }
        Ok(())
    }

    fn write_memory(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "### Memory and start-up (the `lookerbot serve` process alone)")?;
        writeln!(f)?;
        writeln!(
            f,
            "| Resident, idle | after the latency cases | peak under load | after load | Start-up to ready (median of {}) | of which in Looker and Slack | spawn to first Slack call |",
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
        let worst_median = self.cases.iter().map(|c| c.added_median).max().unwrap_or_default();
        writeln!(
            f,
            "- Added time under 1 ms at the median: {} (worst case median {}).",
            verdict(worst_median < ADDED_TARGET),
            ms(worst_median)
        )?;
        if let Some(b) = &self.burst {
            writeln!(
                f,
                "- {} concurrent slash commands all acknowledged within 3 s: {} ({} of {}).",
                b.count,
                verdict(b.acked == b.count),
                b.acked,
                b.count
            )?;
        }
        writeln!(
            f,
            "- Idle memory under 20 MB: {} ({}).",
            verdict(self.idle_rss_kib < IDLE_RSS_TARGET_KIB),
            mib(self.idle_rss_kib)
        )?;
        let ready = self.startup(|s| s.to_ready);
        writeln!(
            f,
            "- Start-up under 100 ms: {} ({}).",
            verdict(ready < STARTUP_TARGET),
            ms(ready)
        )?;
        writeln!(f)
    }
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
  loads the custom commands from Looker, whose time inside the stand-ins is shown separately.",
        channels = crate::rig::BENCH_CHANNELS
    )
}
