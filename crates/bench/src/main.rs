//! `lookerbot-bench`: what the bot adds on top of Looker and Slack. Runs `lookerbot serve` as a child process
//! against the Looker sandbox and the Slack simulator (in this process, on loopback, no added latency) and prints a
//! markdown report: added time per reply, calls per reply, throughput, memory and start-up, and the performance
//! targets, each with its target, its verdict and the machine's speed just before it was measured.

mod callgrind;
mod cases;
mod cpu;
mod deliveries;
mod instructions;
mod load;
mod process;
mod replicas;
mod report;
mod rig;
mod spans;
mod speed;
mod startup_order;
mod stats;
mod syscalls;
mod targets;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;

use crate::process::BotProcess;
use crate::report::Report;
use crate::rig::StandIns;

#[derive(Debug, Parser)]
#[command(
    name = "lookerbot-bench",
    about = "Measures what lookerbot adds on top of Looker and Slack"
)]
struct Args {
    /// A shorter run (about 2 minutes) with fewer samples and smaller loads.
    #[arg(long)]
    quick: bool,
    /// The `lookerbot` binary to measure (default: next to this one, built with `cargo build --release -p lookerbot`
    /// first when run through cargo). With `--startup-order`, repeat it to record several builds into one file.
    #[arg(long)]
    bot: Vec<PathBuf>,
    /// Only the latency cases whose name contains this text, and no throughput runs (for profiling one path).
    #[arg(long, value_name = "TEXT")]
    only: Option<String>,
    /// Make every Looker call take this long inside the sandbox (default 0): shows how waiting on Looker changes
    /// the bot's added time (its threads go idle and must wake up again).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    looker_latency_ms: u64,
    /// An extra environment variable for the bot, e.g. `--bot-env TOKIO_WORKER_THREADS=1` (repeatable).
    #[arg(long = "bot-env", value_name = "NAME=VALUE", value_parser = parse_pair)]
    bot_env: Vec<(String, String)>,
    /// Instead of measuring, record the functions the bot runs until it is ready and idle into FILE, the linker's
    /// start-up order (`crates/lookerbot/startup-order.txt`). Needs valgrind and the binary's symbol table (release
    /// builds keep it).
    #[arg(long, value_name = "FILE")]
    startup_order: Option<PathBuf>,
    /// Instead of measuring times, count the instructions the bot runs per scheduled delivery (valgrind's
    /// callgrind, about a minute): unlike CPU time, the count does not move with the machine's other work.
    #[arg(long)]
    instructions: bool,
    /// Instead of measuring times, count the system calls and thread switches the bot makes per scheduled delivery
    /// under the CPU target's load (`perf stat` on the kernel's tracepoints, about 10 seconds).
    #[arg(long)]
    syscalls: bool,
}

fn parse_pair(text: &str) -> Result<(String, String), String> {
    let (name, value) = text.split_once('=').ok_or("expected NAME=VALUE")?;
    Ok((name.to_owned(), value.to_owned()))
}

/// How much of everything to do.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub runs_per_case: usize,
    pub starts: usize,
    /// Requests at 1, 10 and 100 concurrent senders.
    pub load: [(usize, usize); 3],
    pub burst: usize,
    /// Deliveries back to back into one channel.
    pub one_channel: usize,
    /// Deliveries sent at once into [`SPREAD_CHANNELS`] channels (also with replicas on PostgreSQL).
    pub spread: usize,
}

/// Channels a burst of deliveries is spread over.
pub const SPREAD_CHANNELS: usize = 100;
/// Rows of the answer far larger than any reply shows.
pub const OVERSIZED_ROWS: usize = 200_000;
/// How long the bot has been ready when its idle memory is read.
const IDLE_WAIT: Duration = Duration::from_millis(500);
/// Time for the simulator's per-channel buckets to fill again (8 posts at one a second), so that a phase does not
/// meet the 429s the previous one earned.
const SLACK_REFILL: Duration = Duration::from_secs(8);

impl Sizes {
    fn new(quick: bool) -> Sizes {
        if quick {
            Sizes {
                runs_per_case: 30,
                starts: 3,
                load: [(1, 20), (10, 100), (100, 300)],
                burst: 1000,
                one_channel: 20,
                spread: 200,
            }
        } else {
            Sizes {
                runs_per_case: 200,
                starts: 7,
                load: [(1, 200), (10, 1000), (100, 3000)],
                burst: 1000,
                one_channel: 200,
                spread: 500,
            }
        }
    }
}

fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let args = Args::parse();
    if args.bot.len() > 1 && args.startup_order.is_none() {
        bail!("give one --bot to measure (several only with --startup-order)");
    }
    let binaries = if args.bot.is_empty() {
        vec![default_binary()?]
    } else {
        args.bot.clone()
    };
    // The stand-ins get their own runtime with named threads, so that their CPU time can be told from the driver's.
    let stand_in_runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name(cpu::STAND_IN_THREAD)
        .thread_keep_alive(Duration::from_secs(24 * 3600))
        .enable_all()
        .build()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let stand_ins = runtime.block_on(stand_in_runtime.spawn(StandIns::start()))??;
    if let Some(out) = &args.startup_order {
        let functions = runtime.block_on(startup_order::record(&binaries, &stand_ins, IDLE_WAIT, out))?;
        println!("{functions} functions written to {}", out.display());
        return Ok(());
    }
    if args.instructions {
        let per_delivery = runtime.block_on(instructions::per_delivery(
            &binaries[0],
            &Arc::new(stand_ins),
            &args.bot_env,
        ))?;
        println!(
            "{per_delivery} instructions per scheduled delivery ({} deliveries of a table Look, counted by callgrind)",
            instructions::DELIVERIES
        );
        return Ok(());
    }
    if args.syscalls {
        let counted = runtime.block_on(syscalls::per_delivery(
            &binaries[0],
            &Arc::new(stand_ins),
            &args.bot_env,
        ))?;
        println!(
            "Per scheduled delivery ({} deliveries of a table Look from {} senders, counted by perf):",
            syscalls::DELIVERIES,
            syscalls::SENDERS
        );
        for (event, count) in counted.events {
            println!("{count:10.2} {event}");
        }
        println!(
            "CPU {:.3} ms per delivery, {:.3} ms of it in the kernel (with the counters attached)",
            counted.cpu.as_secs_f64() * 1e3,
            counted.kernel.as_secs_f64() * 1e3
        );
        return Ok(());
    }
    let report = runtime.block_on(run(&binaries[0], &args, Sizes::new(args.quick), Arc::new(stand_ins)))?;
    println!("{report}");
    drop(runtime);
    drop(stand_in_runtime);
    Ok(())
}

/// `lookerbot` next to this binary; through `cargo run`, built first so that it is not stale.
fn default_binary() -> anyhow::Result<PathBuf> {
    let here = std::env::current_exe()?;
    let binary = here.with_file_name("lookerbot");
    if let Ok(cargo) = std::env::var("CARGO") {
        let profile = if cfg!(debug_assertions) {
            None
        } else {
            Some("--release")
        };
        eprintln!("building lookerbot ({})…", profile.unwrap_or("debug"));
        let status = std::process::Command::new(cargo)
            .args(["build", "-q", "-p", "lookerbot", "--bin", "lookerbot"])
            .args(profile)
            .status()
            .context("could not run cargo to build lookerbot")?;
        if !status.success() {
            bail!("building lookerbot failed");
        }
    }
    if !binary.exists() {
        bail!(
            "no lookerbot binary at {}: run `cargo build --release -p lookerbot` first, or pass --bot PATH",
            binary.display()
        );
    }
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build; figures mean little. Use `cargo run --release -p bench`.");
    }
    Ok(binary)
}

async fn run(binary: &std::path::Path, args: &Args, sizes: Sizes, stand_ins: Arc<StandIns>) -> anyhow::Result<Report> {
    stand_ins
        .sandbox
        .set_latency(Duration::from_millis(args.looker_latency_ms));
    let mut report = Report::new(sizes);

    eprintln!("start-up ({} starts)…", sizes.starts);
    let speed = speed::reference();
    report.speed.push(speed);
    let mut bot = None;
    for _ in 0..sizes.starts {
        if let Some(previous) = bot.take() {
            BotProcess::stop(previous).await;
        }
        let (started, startup) = BotProcess::start(binary, &stand_ins, &args.bot_env).await?;
        report.startups.push(startup);
        bot = Some(started);
    }
    let bot = bot.context("no start")?;
    tokio::time::sleep(IDLE_WAIT).await;
    report.idle_rss_kib = bot.rss_kib()?;
    report.startup_targets(speed);

    let chosen = |case: &cases::Case| args.only.as_ref().is_none_or(|only| case.name.contains(only.as_str()));
    let chosen: Vec<cases::Case> = cases::all(&stand_ins)?.into_iter().filter(chosen).collect();
    eprintln!("latency: {} cases in turns…", chosen.len());
    let speed = speed::reference();
    report.cases = cases::measure_in_turns(&stand_ins, &bot, &chosen, sizes.runs_per_case).await?;
    report.after_cases_rss_kib = bot.rss_kib()?;
    report.delivery_latency_target(speed);
    if args.only.is_some() {
        // No load: "peak" and "after load" are those of the latency cases.
        report.peak_rss_kib = bot.peak_rss_kib()?;
        report.after_load_rss_kib = report.after_cases_rss_kib;
        bot.stop().await;
        report.speed.push(speed::reference());
        return Ok(report);
    }
    let url = bot.url.clone();

    let link = stand_ins.look_url(looker_sandbox::content::TABLE_LOOK_ID);
    let link_calls = report.warm_slack_calls("Look link (slash command)")?;
    for (senders, count) in sizes.load {
        eprintln!("throughput: {count} slash commands, {senders} at a time…");
        let rate = load::slash_replies(&stand_ins, &url, &link, senders, count, link_calls).await?;
        report.slash_rates.push(rate);
    }

    let payload_text = stand_ins.scheduled_payload(looker_sandbox::content::TABLE_LOOK_ID)?;
    let payload: serde_json::Value = serde_json::from_str(&payload_text)?;
    let delivery_calls = report.warm_slack_calls("Scheduled delivery (Look to #channel)")?;
    for (senders, count) in sizes.load {
        eprintln!("throughput: {count} scheduled deliveries, {senders} at a time…");
        let speed = speed::reference();
        let meter = cpu::Meter::start(&[bot.pid])?;
        let rates = load::deliveries(&stand_ins, &url, &payload_text, senders, count, delivery_calls).await?;
        let share = meter.stop()?;
        // Work the deliveries leave behind (done marks, timers) counts too.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        report.delivery_rates.push(rates);
        report.delivery_cpu = Some(report::DeliveryCpu {
            share,
            bot: meter.stop()?.bot,
            by_thread: meter.first_bot_by_thread()?,
            kernel: meter.first_bot_kernel()?,
            deliveries: count,
            speed,
        });
    }
    report.delivery_throughput_targets();
    report.peak_rss_kib = bot.peak_rss_kib()?;
    report.after_load_rss_kib = bot.rss_kib()?;

    eprintln!("burst: {} slash commands at once, to a fresh bot…", sizes.burst);
    let speed = speed::reference();
    let fresh = fresh_bot(binary, &stand_ins, &args.bot_env).await?;
    stand_ins.slash(&fresh.url, "C0GENERAL", &link).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let burst = load::slash_burst(&stand_ins, &fresh.url, &link, sizes.burst, link_calls).await?;
    report.burst = Some(burst);
    report.burst_peak_kib = fresh.peak_rss_kib()?;
    fresh.stop().await;
    report.burst_targets(speed);

    tokio::time::sleep(SLACK_REFILL).await;
    eprintln!(
        "burst: {} deliveries at once into {SPREAD_CHANNELS} channels, to a fresh bot…",
        sizes.spread
    );
    let speed = speed::reference();
    let fresh = fresh_bot(binary, &stand_ins, &args.bot_env).await?;
    deliveries::warm_up(&stand_ins, &[&fresh], &payload_text).await?;
    let spread = deliveries::spread(&stand_ins, &[&fresh], &payload, sizes.spread, SPREAD_CHANNELS).await?;
    let peak = fresh.peak_rss_kib()?;
    fresh.stop().await;
    report.spread_targets(&spread, peak, speed);

    eprintln!("an answer of {OVERSIZED_ROWS} rows, to a fresh bot…");
    let speed = speed::reference();
    let fresh = fresh_bot(binary, &stand_ins, &args.bot_env).await?;
    let peak = deliveries::oversized_answer(&stand_ins, &fresh, &payload_text, OVERSIZED_ROWS).await?;
    fresh.stop().await;
    report.oversized_target(peak, speed);

    eprintln!("{} deliveries back to back into one channel…", sizes.one_channel);
    let speed = speed::reference();
    let one = deliveries::one_channel(&stand_ins, &url, &payload, sizes.one_channel).await?;
    report.one_channel_target(&one, speed);
    report.one_channel = Some(one);
    bot.stop().await;

    eprintln!("replicas on PostgreSQL…");
    match replicas::database().await {
        Err(why) => report.replicas_skipped(&why),
        Ok(database) => {
            for replicas in [1, 3] {
                tokio::time::sleep(SLACK_REFILL).await;
                eprintln!("  {replicas} replica(s): {} deliveries at once…", sizes.spread);
                let speed = speed::reference();
                let database = if replicas == 1 {
                    database.clone()
                } else {
                    match replicas::database().await {
                        Ok(url) => url,
                        Err(why) => {
                            report.replicas_skipped(&why);
                            break;
                        }
                    }
                };
                let spread = replicas::deliveries(
                    binary,
                    &stand_ins,
                    &database,
                    replicas,
                    &payload,
                    sizes.spread,
                    SPREAD_CHANNELS,
                )
                .await?;
                report.replicas_target(replicas, &spread, speed);
            }
        }
    }
    report.speed.push(speed::reference());
    Ok(report)
}

/// Another `lookerbot serve`, for a phase whose peak memory must be its own.
async fn fresh_bot(
    binary: &std::path::Path,
    stand_ins: &StandIns,
    env: &[(String, String)],
) -> anyhow::Result<BotProcess> {
    Ok(BotProcess::start(binary, stand_ins, env).await?.0)
}
