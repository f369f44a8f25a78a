//! `lookerbot`: the binary. Each subcommand is one of the product's verbs; this crate only wires the others.

mod cli;
mod deliveries_cmd;
mod sandbox_cmd;
mod serve;
mod slack_wiring;
mod stack;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Verb};

fn main() -> ExitCode {
    // reqwest and the WebSocket client both bring rustls; one crypto provider must be chosen for the process.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("lookerbot: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        match cli.verb.unwrap_or_default() {
            Verb::Serve => serve::run().await,
            Verb::Sandbox { port } => sandbox_cmd::run(port).await,
            Verb::Deliveries(args) => deliveries_cmd::run(args).await,
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

/// Logs go to stderr; `RUST_LOG` picks what (default: info for lookerbot's crates, warnings for the rest).
fn init_logging(verbose: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if verbose { "debug" } else { "info,hyper=warn,reqwest=warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}
