//! `lookerbot serve`: the bot, connected to Slack and Looker, with its HTTP server.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bot::Bot;
use bot::sink::ChatSink;
use config::{Config, Environment, Needs, SlackMode};
use images::{ImageStore, StoringSink};
use queue::{Store, WorkerConfig};
use slack::app::SinkDecorator;
use slack::web::WebConfig;

use crate::probes::{BotProbes, SlackProbe};
use crate::slack_wiring;
use crate::stack::{self, Stack, StackParts};
use slack::dedupe::DurableDedupe;

/// How long shutdown waits for deliveries in flight before leaving them queued for the next start.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Reads the configuration, or explains what is wrong and exits with code 2.
pub fn load_config(needs: Needs) -> Result<Config, ExitCode> {
    let env = Environment::load().map_err(|e| {
        eprintln!("lookerbot: {e}");
        ExitCode::from(2)
    })?;
    Config::from_env(&env, needs).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })
}

pub async fn run() -> anyhow::Result<ExitCode> {
    let config = match load_config(Needs::SERVER) {
        Ok(config) => config,
        Err(code) => return Ok(code),
    };
    let running = start(&config, SocketAddr::from((Ipv4Addr::UNSPECIFIED, config.port))).await?;
    tracing::info!(address = %running.addr(), "lookerbot is ready");
    stack::stop_signal().await;
    tracing::info!(
        "stopping: no new work is taken; deliveries in flight get {}s",
        SHUTDOWN_GRACE.as_secs()
    );
    running.shutdown(SHUTDOWN_GRACE).await;
    Ok(ExitCode::SUCCESS)
}

/// A bot connected to Slack and Looker, serving HTTP.
pub struct RunningBot {
    pub bot: Bot,
    stack: Stack,
    slack_client: Option<slack::ClientHandle>,
    refresh: tokio::task::JoinHandle<()>,
}

impl RunningBot {
    /// Where the HTTP server listens.
    pub fn addr(&self) -> SocketAddr {
        self.stack.addr
    }

    /// Stops taking work (Slack connection, HTTP), lets deliveries in flight finish for up to `grace`.
    pub async fn shutdown(self, grace: Duration) {
        self.refresh.abort();
        if let Some(client) = self.slack_client {
            client.shutdown().await;
        }
        self.stack.shutdown(grace).await;
    }
}

/// Starts everything `serve` runs: Looker clients, the bot, Slack in its mode, the queue, workers and HTTP.
pub async fn start(config: &Config, bind: SocketAddr) -> anyhow::Result<RunningBot> {
    start_with(config, bind, StartOptions::default()).await
}

/// Settings that are not configuration: tests and benchmarks shorten waits.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// The delivery workers; their lease is the configuration's (`LOOKERBOT_DELIVERY_LEASE_SECS`).
    pub workers: WorkerConfig,
    pub slack: WebConfig,
    /// First wait between polls of a Looker render task (default 250 ms).
    pub render_poll: Option<Duration>,
    /// Connections and header timeouts of the HTTP server.
    pub listen: endpoints::ListenLimits,
    /// Timeouts and circuit breaker of the Looker clients; the configuration's network policy and
    /// `LOOKERSDK_TIMEOUT` apply on top.
    pub looker: looker::ClientOptions,
}

/// [`start`] with chosen options.
pub async fn start_with(config: &Config, bind: SocketAddr, options: StartOptions) -> anyhow::Result<RunningBot> {
    let lookers = stack::lookers_with(config, stack::client_options_from(config, options.looker.clone()))?;
    // Socket Mode clicks come over the app-token socket, so they are trusted without a signing secret.
    let clicks_verified = config.slack.can_verify_requests() || config.slack.mode == Some(SlackMode::Socket);
    let mut settings = stack::bot_settings(config, clicks_verified);
    if let Some(poll) = options.render_poll {
        settings.render.poll_interval = poll;
    }
    let bot = Bot::new(lookers, settings);
    let (web, auth) = slack_wiring::web_client(config, options.slack).await?;
    tracing::info!(bot = %auth.user, team = %auth.team, "connected to Slack");
    slack_wiring::warn_of_missing_history_scopes(&auth);
    let shared = stack::open_configured_state(config).await?;
    let queue_dyn: Arc<dyn Store> = shared.queue;
    let web = match shared.pace {
        Some(pace) => web.with_shared_pace(pace),
        None => web,
    };
    let decorate = image_store(config)?;
    let probe_web = web.clone();
    let slack = slack_wiring::connect(
        config,
        &bot,
        web,
        &auth,
        Arc::new(match config.database_url {
            Some(_) => DurableDedupe::shared(queue_dyn.clone()),
            None => DurableDedupe::new(queue_dyn.clone()),
        }),
        decorate,
    )?;
    let catalog = bot.refresh_commands().await;
    tracing::info!(commands = catalog.commands.len(), "custom commands loaded");
    let refresh = bot.spawn_refresh();
    let probes = BotProbes {
        lookers: bot.lookers().clone(),
        slack: Some(SlackProbe {
            web: probe_web,
            connected: slack.client.as_ref().map(|c| c.connection()),
        }),
        config: Some(config.clone()),
    };
    let stack = Stack::start(StackParts {
        probes: Arc::new(probes),
        status_token: config.status_token.clone(),
        bot: bot.clone(),
        sink: slack.sink,
        directory: slack.directory,
        queue: queue_dyn,
        slack_routes: slack.routes,
        auth_token: config.auth_token.clone(),
        public_url: config.public_url.clone(),
        bind,
        workers: WorkerConfig {
            lease: config.delivery_lease,
            ..options.workers
        },
        listen: options.listen,
    })
    .await?;
    Ok(RunningBot {
        bot,
        stack,
        slack_client: slack.client,
        refresh,
    })
}

/// The image store of the configuration, as a decorator that stores images before they reach Slack.
pub fn image_store(config: &Config) -> anyhow::Result<Option<SinkDecorator>> {
    let Some(settings) = &config.image_store else {
        return Ok(None);
    };
    let store = ImageStore::with_proxy(settings, &config.proxy).context("the chart image store is misconfigured")?;
    tracing::info!(store = store.name(), "chart images go to {}", store.name());
    Ok(Some(Arc::new(move |inner: Arc<dyn ChatSink>| -> Arc<dyn ChatSink> {
        Arc::new(StoringSink {
            store: store.clone(),
            inner,
        })
    })))
}
