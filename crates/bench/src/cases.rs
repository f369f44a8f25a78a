//! Added time per reply: one inbound event at a time, from sending it until the last Slack call reached the
//! simulator, minus the time spent inside the Looker sandbox and the Slack simulator.

use std::time::{Duration, Instant};

use anyhow::bail;
use looker_sandbox::content;

use crate::process::BotProcess;
use crate::rig::{StandIns, bench_channel};
use crate::spans::{Span, covered, tally};
use crate::stats::percentile;

/// How long without any new call means a reply is complete (calibration only). No measured reply posts more than a
/// burst into one channel, so none waits for Slack's pacing (1 s per post past the burst) in between.
const QUIET: Duration = Duration::from_millis(500);
/// Longest a single reply may take before the bench gives up on it.
const REPLY_TIMEOUT: Duration = Duration::from_secs(20);

/// What makes the bot reply.
#[derive(Debug, Clone)]
pub enum Trigger {
    /// `/looker TEXT` in #general, answered through response_url.
    Slash(String),
    /// A message with this text in a bench channel (each run in another channel).
    ChannelMessage { text: String, first_channel: usize },
    /// `@bot TEXT` in a bench channel (each run in another channel): a loading message, then edited in place.
    Mention { text: String, first_channel: usize },
    /// Looker's scheduled delivery of a Look to a bench channel by name.
    Scheduled { payload: String, first_channel: usize },
}

#[derive(Debug, Clone)]
pub struct Case {
    pub name: &'static str,
    pub trigger: Trigger,
    /// Why more Looker calls than the floor are made, if they are.
    pub note: &'static str,
}

/// The calls one reply made.
#[derive(Debug, Clone, Default)]
pub struct Calls {
    pub looker: usize,
    pub slack: usize,
    pub looker_names: String,
    pub slack_names: String,
}

impl Calls {
    fn of(looker: &[Span], slack: &[Span]) -> Calls {
        Calls {
            looker: looker.len(),
            slack: slack.len(),
            looker_names: tally(looker),
            slack_names: tally(slack),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CaseResult {
    pub name: &'static str,
    pub note: &'static str,
    pub added_median: Duration,
    pub added_p99: Duration,
    pub wall_median: Duration,
    /// CPU time of the bot process per reply (all its threads).
    pub cpu: Duration,
    /// The first reply (caches empty, Looker login).
    pub cold: Calls,
    /// Every later reply.
    pub warm: Calls,
}

/// The cases of the issue, and a Look link by slash command (the path without Slack's channel pacing).
pub fn all(stand_ins: &StandIns) -> anyhow::Result<Vec<Case>> {
    let table = stand_ins.look_url(content::TABLE_LOOK_ID);
    let single = stand_ins.look_url(content::SINGLE_VALUE_LOOK_ID);
    Ok(vec![
        Case {
            name: "`help` (slash command)",
            trigger: Trigger::Slash("help".into()),
            note: "help reloads the custom commands (folder, its dashboards and Looks, subfolders, their dashboards and Looks, \
                   the Looks' field labels: 7 Looker calls here) when \
                   they were loaded more than 10 s ago, so that new ones show; the warm figures are within that time",
        },
        Case {
            name: "Look link in a channel",
            trigger: Trigger::ChannelMessage {
                text: format!("see <{table}>"),
                first_channel: 0,
            },
            note: "",
        },
        Case {
            name: "Look link (slash command)",
            trigger: Trigger::Slash(table.clone()),
            note: "",
        },
        Case {
            name: "Filtered custom command (`customers California`)",
            trigger: Trigger::Slash("customers California".into()),
            note: "the dashboard comes from the cached catalog; each tile's query is run with the filter",
        },
        Case {
            name: "Custom command by @mention in a channel",
            trigger: Trigger::Mention {
                text: "customers California".into(),
                first_channel: 600,
            },
            note: "a loading message is posted first and edited into the answer",
        },
        Case {
            name: "Six-tile custom command by @mention (`six tiles`)",
            trigger: Trigger::Mention {
                text: "six tiles".into(),
                first_channel: 800,
            },
            note: "a loading message edited into the first tile, then five posts into one channel: one burst of \
                   Slack's pacing, so no post waits for a token",
        },
        Case {
            name: "Scheduled delivery (Look to #channel)",
            trigger: Trigger::Scheduled {
                payload: stand_ins.scheduled_payload(content::TABLE_LOOK_ID)?,
                first_channel: 300,
            },
            note: "",
        },
        Case {
            name: "Single value with buttons",
            trigger: Trigger::Slash(single),
            note: "",
        },
    ])
}

async fn fire(stand_ins: &StandIns, bot: &str, trigger: &Trigger, run: usize) -> anyhow::Result<()> {
    let status = match trigger {
        Trigger::Slash(text) => stand_ins.slash(bot, "C0GENERAL", text).await?,
        Trigger::ChannelMessage { text, first_channel } => {
            let (id, _) = bench_channel(first_channel + run);
            stand_ins.channel_message(bot, &id, text).await?
        }
        Trigger::Mention { text, first_channel } => {
            let (id, _) = bench_channel(first_channel + run);
            stand_ins.mention(bot, &id, text).await?
        }
        Trigger::Scheduled { payload, first_channel } => {
            let (_, name) = bench_channel(first_channel + run);
            stand_ins.scheduled(bot, &name, payload).await?
        }
    };
    if !status.is_success() {
        bail!("the bot answered HTTP {status}");
    }
    Ok(())
}

/// Runs the trigger once and waits until no call arrived for a moment; returns the calls it made.
async fn calibrate(stand_ins: &StandIns, bot: &str, trigger: &Trigger, run: usize) -> anyhow::Result<Calls> {
    stand_ins.clear_spans();
    fire(stand_ins, bot, trigger, run).await?;
    let started = Instant::now();
    let mut seen = 0;
    loop {
        tokio::time::sleep(QUIET).await;
        let now = stand_ins.sandbox.handler_spans().len() + stand_ins.sim.handler_span_count();
        if now == seen {
            break;
        }
        if started.elapsed() > REPLY_TIMEOUT {
            bail!("the bot kept calling Looker or Slack for {REPLY_TIMEOUT:?} after one {trigger:?}");
        }
        seen = now;
    }
    let calls = Calls::of(&stand_ins.looker_spans(), &stand_ins.slack_spans());
    if calls.slack == 0 {
        bail!("the bot did not answer {trigger:?}");
    }
    Ok(calls)
}

/// One measured reply: (added, wall).
async fn measure_once(
    stand_ins: &StandIns,
    bot: &str,
    trigger: &Trigger,
    run: usize,
    slack_calls: usize,
) -> anyhow::Result<(Duration, Duration)> {
    stand_ins.clear_spans();
    let sent = Instant::now();
    fire(stand_ins, bot, trigger, run).await?;
    if !stand_ins.sim.wait_for_handler_spans(slack_calls, REPLY_TIMEOUT).await {
        bail!(
            "{trigger:?}: {} of the {slack_calls} Slack calls of the calibrated reply arrived in {REPLY_TIMEOUT:?} \
             (a reply whose messages are paced into one channel makes calibration miss calls)",
            stand_ins.sim.handler_span_count()
        );
    }
    let spans = stand_ins.spans();
    let last = stand_ins.slack_spans().iter().map(|s| s.end).max().unwrap_or(sent);
    let wall = last - sent;
    if std::env::var_os("BENCH_TRACE").is_some() {
        trace(&label(trigger), sent, &spans);
    }
    Ok((wall.saturating_sub(covered(&spans, sent, last)), wall))
}

/// Measures every case `runs` times, after a cold and a warm calibration run of each. The cases take turns, one
/// reply each, rather than running one after the other: this machine's speed drifts for seconds at a time (one
/// case run twice back to back took 0.49 and 0.95 ms of bot CPU per reply), and in turns every case gets the same
/// share of slow moments instead of one case getting all of them. It is also closer to a bot's mixed traffic.
pub async fn measure_in_turns(
    stand_ins: &StandIns,
    bot: &BotProcess,
    cases: &[Case],
    runs: usize,
) -> anyhow::Result<Vec<CaseResult>> {
    let url = bot.url.as_str();
    let mut samples = Vec::with_capacity(cases.len());
    for case in cases {
        let cold = calibrate(stand_ins, url, &case.trigger, 0).await?;
        let warm = calibrate(stand_ins, url, &case.trigger, 1).await?;
        samples.push(Samples::new(cold, warm, runs));
    }
    // Let the calibration's trailing work (done marks, event records) finish before measuring.
    tokio::time::sleep(Duration::from_millis(50)).await;
    for run in 0..runs {
        for (case, samples) in cases.iter().zip(&mut samples) {
            let cpu_before = bot.cpu_time()?;
            let (added, wall) = measure_once(stand_ins, url, &case.trigger, run + 2, samples.warm.slack).await?;
            // The next reply follows at once, as before: work the bot does after a reply's last Slack call (a done
            // mark, an event record) overlaps the next reply and counts towards its CPU time. A pause here to
            // separate them was tried: the bot's caches went cold in it and every reply measured 0.1 to 0.2 ms
            // slower.
            samples.push(added, wall, bot.cpu_time()?.saturating_sub(cpu_before));
        }
    }
    Ok(cases
        .iter()
        .zip(samples)
        .map(|(case, samples)| samples.result(case))
        .collect())
}

/// One case's measurements.
struct Samples {
    cold: Calls,
    warm: Calls,
    added: Vec<Duration>,
    walls: Vec<Duration>,
    cpu: Duration,
}

impl Samples {
    fn new(cold: Calls, warm: Calls, runs: usize) -> Samples {
        Samples {
            cold,
            warm,
            added: Vec::with_capacity(runs),
            walls: Vec::with_capacity(runs),
            cpu: Duration::ZERO,
        }
    }

    fn push(&mut self, added: Duration, wall: Duration, cpu: Duration) {
        self.added.push(added);
        self.walls.push(wall);
        self.cpu += cpu;
    }

    fn result(self, case: &Case) -> CaseResult {
        let replies = u32::try_from(self.added.len().max(1)).unwrap_or(u32::MAX);
        CaseResult {
            name: case.name,
            note: case.note,
            added_median: percentile(&self.added, 50.0),
            added_p99: percentile(&self.added, 99.0),
            wall_median: percentile(&self.walls, 50.0),
            cpu: self.cpu / replies,
            cold: self.cold,
            warm: self.warm,
        }
    }
}

fn label(trigger: &Trigger) -> String {
    match trigger {
        Trigger::Slash(text) => format!("/looker {text}"),
        Trigger::ChannelMessage { text, .. } | Trigger::Mention { text, .. } => text.clone(),
        Trigger::Scheduled { .. } => "scheduled delivery".to_string(),
    }
}

/// With `BENCH_TRACE` set: when each call of a reply started and ended, counted from sending the event.
pub fn trace(label: &str, sent: Instant, spans: &[Span]) {
    let mut spans = spans.to_vec();
    spans.sort_by_key(|s| s.start);
    let at = |t: Instant| t.saturating_duration_since(sent).as_secs_f64() * 1000.0;
    let timeline: Vec<String> = spans
        .iter()
        .map(|s| format!("{} {:.2}..{:.2}", s.name, at(s.start), at(s.end)))
        .collect();
    eprintln!("{label}: {} (ms)", timeline.join(", "));
}
