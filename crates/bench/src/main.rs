//! `lookerbot-bench`: what the bot adds on top of Looker and Slack. Runs `lookerbot serve` as a child process
//! against the Looker sandbox and the Slack simulator (in this process, on loopback, no added latency) and prints a
//! markdown table: added time per reply, calls per reply, throughput, memory and start-up.

mod cases;
mod load;
mod process;
mod report;
mod rig;
mod spans;
mod speed;
mod stats;

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
    /// A shorter run (about 20 s) with fewer samples.
    #[arg(long)]
    quick: bool,
    /// The `lookerbot` binary to measure (default: next to this one, built with `cargo build --release -p lookerbot`
    /// first when run through cargo).
    #[arg(long)]
    bot: Option<PathBuf>,
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
}

impl Sizes {
    fn new(quick: bool) -> Sizes {
        if quick {
            Sizes {
                runs_per_case: 30,
                starts: 3,
                load: [(1, 20), (10, 100), (100, 300)],
                burst: 1000,
            }
        } else {
            Sizes {
                runs_per_case: 200,
                starts: 7,
                load: [(1, 200), (10, 1000), (100, 3000)],
                burst: 1000,
            }
        }
    }
}

fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let args = Args::parse();
    let binary = match args.bot.clone() {
        Some(path) => path,
        None => default_binary()?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let report = runtime.block_on(run(&binary, &args, Sizes::new(args.quick)))?;
    println!("{report}");
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

async fn run(binary: &std::path::Path, args: &Args, sizes: Sizes) -> anyhow::Result<Report> {
    let stand_ins = Arc::new(StandIns::start().await?);
    stand_ins
        .sandbox
        .set_latency(Duration::from_millis(args.looker_latency_ms));
    let mut report = Report::new(sizes);

    eprintln!("start-up ({} starts)…", sizes.starts);
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
    tokio::time::sleep(Duration::from_millis(500)).await;
    report.idle_rss_kib = bot.rss_kib()?;
    report.speed.push(speed::reference());

    let chosen = |case: &cases::Case| args.only.as_ref().is_none_or(|only| case.name.contains(only.as_str()));
    let chosen: Vec<cases::Case> = cases::all(&stand_ins)?.into_iter().filter(chosen).collect();
    eprintln!("latency: {} cases in turns…", chosen.len());
    report.cases = cases::measure_in_turns(&stand_ins, &bot, &chosen, sizes.runs_per_case).await?;
    report.after_cases_rss_kib = bot.rss_kib()?;
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
    eprintln!("burst: {} slash commands at once…", sizes.burst);
    report.burst = Some(load::slash_burst(&stand_ins, &url, &link, sizes.burst, link_calls).await?);

    let payload = stand_ins.scheduled_payload(looker_sandbox::content::TABLE_LOOK_ID)?;
    let delivery_calls = report.warm_slack_calls("Scheduled delivery (Look to #channel)")?;
    for (senders, count) in sizes.load {
        eprintln!("throughput: {count} scheduled deliveries, {senders} at a time…");
        let rates = load::deliveries(&stand_ins, &url, &payload, senders, count, delivery_calls).await?;
        report.delivery_rates.push(rates);
        // Slack's pacing lets each channel take one post a second: start the next round with fresh slots.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    report.peak_rss_kib = bot.peak_rss_kib()?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    report.after_load_rss_kib = bot.rss_kib()?;
    bot.stop().await;
    report.speed.push(speed::reference());
    Ok(report)
}
