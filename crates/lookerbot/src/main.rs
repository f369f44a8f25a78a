//! `lookerbot`: the binary. Each subcommand is one of the product's verbs; this crate only wires the others.

use std::process::ExitCode;

use clap::Parser;
use lookerbot::cli::{Cli, Verb};
use lookerbot::{admin_cmd, chat_cmd, deliveries_cmd, logging, migrate_queue_cmd, serve};

/// mimalloc rather than glibc's allocator: a delivery allocates and frees thousands of small blocks (JSON trees,
/// strings), and glibc's slow path for those was about a fifth of the bot's instructions (callgrind,
/// `lookerbot-bench --instructions`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    keep_pages_small();
    // reqwest and the WebSocket client both bring rustls; one crypto provider must be chosen for the process.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = Cli::parse();
    // A bad LOG_FORMAT is reported with the rest of the configuration; until then, text.
    let format = config::Environment::load()
        .ok()
        .and_then(|env| config::LogFormat::from_env(&env).ok())
        .unwrap_or_default();
    logging::init(cli.verbose, format);
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("lookerbot: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        match cli.verb.unwrap_or_else(default_verb) {
            Verb::Serve => serve::run().await,
            Verb::Demo { port, images } => demo(port, images).await,
            Verb::Console { images } => chat_cmd::console(images).await,
            Verb::Check => admin_cmd::check().await,
            Verb::Manifest { url } => admin_cmd::manifest(url),
            Verb::Sandbox { port } => sandbox(port).await,
            Verb::Deliveries(args) => deliveries_cmd::run(args).await,
            Verb::MigrateQueue { from } => migrate_queue_cmd::run(from).await,
        }
    });
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("lookerbot: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "demo")]
async fn demo(port: u16, images: std::path::PathBuf) -> anyhow::Result<ExitCode> {
    lookerbot::demo_cmd::demo(port, images).await
}

#[cfg(feature = "demo")]
async fn sandbox(port: u16) -> anyhow::Result<ExitCode> {
    lookerbot::sandbox_cmd::run(port).await
}

#[cfg(not(feature = "demo"))]
async fn demo(_port: u16, _images: std::path::PathBuf) -> anyhow::Result<ExitCode> {
    Ok(left_out("demo"))
}

#[cfg(not(feature = "demo"))]
async fn sandbox(_port: u16) -> anyhow::Result<ExitCode> {
    Ok(left_out("sandbox"))
}

/// A production build (`--no-default-features`) leaves the sandbox out; say so rather than fail obscurely.
#[cfg(not(feature = "demo"))]
fn left_out(verb: &str) -> ExitCode {
    eprintln!(
        "lookerbot: `{verb}` is not in this build, which was made without the demo (cargo feature `demo`). \
         Build with the default features (`cargo build -p lookerbot`) to try the demo."
    );
    ExitCode::from(2)
}

/// Asks the kernel not to back this process with transparent huge pages. mimalloc reserves its memory in large
/// aligned regions, and where the system allows huge pages, each touched region took 2 MB of RAM: idle memory was
/// 20.5 MB instead of 11.6. Only Linux has the setting; a failure leaves the default.
fn keep_pages_small() {
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_thp_disable(true);
}

/// One async thread unless `TOKIO_WORKER_THREADS` asks for more: the bot mostly waits on Slack and Looker, and on
/// one thread a reply never hops between threads, which measured 0.1 to 0.3 ms less per reply on 2 cores at the same
/// throughput (`crates/bench`). SQLite's disk work runs on Tokio's blocking threads either way.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        builder.worker_threads(1);
    }
    builder.enable_all().build()
}

/// Plain `lookerbot` serves when Slack is configured, and otherwise starts the demo, so that it does something
/// useful on a fresh machine. An unreadable `.env` is the server's to report (exit code 2), not a reason to demo.
/// A build without the demo always serves, so a misconfigured production bot says what is missing.
fn default_verb() -> Verb {
    let configured = config::Environment::load().map_or(true, |env| env.first_of(config::BOT_TOKEN_VARS).is_some());
    if configured || !cfg!(feature = "demo") {
        Verb::Serve
    } else {
        eprintln!("SLACK_API_KEY is not set: starting the demo (`lookerbot serve` runs the real bot).");
        Verb::Demo {
            port: 3333,
            images: "lookerbot-images".into(),
        }
    }
}
