//! The command line: verbs and their flags. Configuration itself comes from environment variables.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "lookerbot",
    version,
    about = "Slack and Looker, connected: ask for data in chat and get it instantly."
)]
#[command(after_long_help = config::variables::help_text(), after_help = "Run `lookerbot --help` to list every environment variable.")]
pub struct Cli {
    /// Log debug details (or set RUST_LOG).
    #[arg(long, short, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub verb: Option<Verb>,
}

#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Run the bot: Slack (Socket Mode, Events API or RTM) and the HTTP server for Looker's webhooks and actions.
    #[command(after_long_help = config::variables::help_text())]
    Serve,
    /// Try the bot now: the built-in Looker sandbox, the bot and its HTTP server, and a chat in this terminal.
    Demo {
        /// Port of the bot's HTTP server (taken by something else: any free port).
        #[arg(long, env = "PORT", default_value_t = 3333)]
        port: u16,
        /// Folder where chart images are saved.
        #[arg(long, default_value = "lookerbot-images")]
        images: PathBuf,
    },
    /// Chat with the bot in this terminal against the configured Looker(s), without Slack: try custom commands.
    #[command(after_long_help = config::variables::help_text())]
    Console {
        /// Folder where chart images are saved.
        #[arg(long, default_value = "lookerbot-images")]
        images: PathBuf,
    },
    /// Check the configuration: each Looker, Slack (token, scopes, mode) and the image store; exit 0 when all pass.
    #[command(after_long_help = config::variables::help_text())]
    Check,
    /// Print a Slack app manifest (YAML) for the configured mode: create the Slack app from it.
    #[command(after_long_help = config::variables::help_text())]
    Manifest {
        /// The bot's public URL (needed for the Events API mode's request URLs).
        #[arg(long)]
        url: Option<String>,
    },
    /// Run the built-in Looker sandbox alone, on loopback, and print its URL and credentials.
    Sandbox {
        /// Port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 19999)]
        port: u16,
    },
    /// List recent and failed deliveries (damaged ones as failed), retry a failed one, or reset a damaged queue.
    #[command(after_long_help = "Reads LOOKERBOT_DATABASE_URL, else LOOKERBOT_DATA_DIR (default ./lookerbot-data).")]
    Deliveries(DeliveriesArgs),
    /// Move the deliveries still waiting in a SQLite queue file into the PostgreSQL queue of
    /// LOOKERBOT_DATABASE_URL (stop the bot that used the file first).
    #[command(name = "migrate-queue")]
    MigrateQueue {
        /// The SQLite queue file (default: the one in LOOKERBOT_DATA_DIR).
        #[arg(long, value_name = "FILE")]
        from: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct DeliveriesArgs {
    /// Show only failed deliveries.
    #[arg(long)]
    pub failed: bool,
    /// How many to show.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Put a failed delivery back in the queue; a running `lookerbot serve` delivers it.
    #[arg(long, value_name = "ID")]
    pub retry: Option<i64>,
    /// Move the queue file aside (kept, renamed) so that the next start begins with an empty queue: for a queue
    /// file that is damaged or was lost. Stop `lookerbot serve` first.
    #[arg(long, conflicts_with = "retry")]
    pub reset: bool,
    /// Carry the deliveries that can still be read from a damaged queue file into a fresh one (keeping their ids;
    /// waiting ones wait again, failed ones stay failed), and move the damaged file aside. Stop `lookerbot serve`
    /// first.
    #[arg(long, conflicts_with_all = ["retry", "reset"])]
    pub salvage: bool,
    /// Say what is wrong with the queue file, if anything, and how many deliveries can still be read from it,
    /// without changing it.
    #[arg(long, conflicts_with_all = ["retry", "reset", "salvage"])]
    pub inspect: bool,
}
