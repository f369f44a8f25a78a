//! What every running bot has, whatever the chat: the Looker clients, the bot core, the durable delivery queue
//! with its workers, and the HTTP server.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use bot::Bot;
use bot::directory::Directory;
use bot::lookers::Lookers;
use bot::settings::BotSettings;
use bot::sink::ChatSink;
use config::Config;
use endpoints::operations::{Operations, Probes};
use endpoints::{AppState, Deliveries, DeliveryHandler, PushAuth};
use looker::{ClientOptions, LookerClient};
use queue::{PostgresStore, SharedPace, SqliteStore, Store, WorkerConfig, Workers};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Most deliveries waiting at once unless `LOOKERBOT_QUEUE_CAPACITY` says otherwise; past it webhooks get 503
/// rather than the file growing without bound.
pub const QUEUE_CAPACITY: usize = config::DEFAULT_QUEUE_CAPACITY;

/// The Looker clients of the configuration.
pub fn lookers(config: &Config) -> anyhow::Result<Lookers> {
    lookers_with(config, client_options(config))
}

/// [`lookers`] with chosen client options (timeouts, breaker, network policy).
pub fn lookers_with(config: &Config, options: ClientOptions) -> anyhow::Result<Lookers> {
    if config.tls_insecure {
        tracing::warn!(
            "!!! TLS certificate checks for Looker are OFF (NODE_TLS_REJECT_UNAUTHORIZED=0 or LOOKERSDK_VERIFY_SSL=false). \
             Anyone on the network path can read the bot's Looker credentials. Prefer LOOKER_CA_BUNDLE. !!!"
        );
    }
    let clients = config
        .lookers
        .iter()
        .map(|instance| LookerClient::new(instance, options.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Lookers::new(clients))
}

/// The Looker client options of the configuration: its network policy, and `LOOKERSDK_TIMEOUT` for ordinary calls
/// (queries and images get at least that).
pub fn client_options(config: &Config) -> ClientOptions {
    client_options_from(config, ClientOptions::default())
}

/// `base` (timeouts and breaker chosen by a test or benchmark) with the configuration's network policy and
/// `LOOKERSDK_TIMEOUT`.
pub fn client_options_from(config: &Config, base: ClientOptions) -> ClientOptions {
    let mut options = ClientOptions {
        net: net::NetPolicy::new(&config.proxy),
        ..base
    };
    if let Some(timeout) = config.looker_timeout {
        options.timeout = timeout;
        options.query_timeout = options.query_timeout.max(timeout);
    }
    options
}

/// The bot core's settings from the configuration; `clicks_verified` says whether button clicks can be trusted.
pub fn bot_settings(config: &Config, clicks_verified: bool) -> BotSettings {
    let mut settings = BotSettings {
        loading_messages: config.loading_messages,
        data_action_buttons: config.data_actions_in_messages && clicks_verified,
        identity_fallback_channels: config.identity_fallback_channels.clone(),
        ..BotSettings::default()
    };
    settings.render.width = config.image_width;
    settings.render.height = config.image_height;
    settings
}

/// Opens the durable queue in the data directory.
pub fn open_queue(data_dir: &Path) -> anyhow::Result<Arc<SqliteStore>> {
    open_queue_holding(data_dir, QUEUE_CAPACITY)
}

/// Opens the durable queue in the data directory, taking at most `capacity` waiting deliveries.
pub fn open_queue_holding(data_dir: &Path, capacity: usize) -> anyhow::Result<Arc<SqliteStore>> {
    std::fs::create_dir_all(data_dir).with_context(|| {
        format!(
            "cannot create the data directory {} (LOOKERBOT_DATA_DIR)",
            data_dir.display()
        )
    })?;
    let path = SqliteStore::default_path(data_dir);
    let store = SqliteStore::open(&path, capacity).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Arc::new(store))
}

/// The configured queue: in PostgreSQL, shared with the other replicas, when `LOOKERBOT_DATABASE_URL` is set;
/// otherwise in the SQLite file in the data directory.
pub async fn open_configured_queue(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    Ok(open_configured_state(config).await?.queue)
}

/// What replicas share when they share a database.
pub struct SharedState {
    pub queue: Arc<dyn Store>,
    /// Each Slack channel's posting budget, when the queue is shared; `None`: this process paces its own posts.
    pub pace: Option<Arc<dyn SharedPace>>,
}

/// The configured queue ([`open_configured_queue`]) and, in PostgreSQL, the posting budgets kept beside it.
pub async fn open_configured_state(config: &Config) -> anyhow::Result<SharedState> {
    match &config.database_url {
        Some(url) => {
            let store = Arc::new(open_shared_queue(url, config.queue_capacity).await?);
            Ok(SharedState {
                queue: store.clone(),
                pace: Some(store),
            })
        }
        None => Ok(SharedState {
            queue: open_queue_holding(&config.data_dir, config.queue_capacity)?,
            pace: None,
        }),
    }
}

/// Opens (migrating it if needed) the queue in the PostgreSQL database at `url`.
pub async fn open_shared_queue(url: &config::Secret, capacity: usize) -> anyhow::Result<PostgresStore> {
    PostgresStore::connect(url.expose(), capacity)
        .await
        .context("cannot open the delivery queue in PostgreSQL (LOOKERBOT_DATABASE_URL)")
}

/// Where the configured queue is, for people (never the database URL: it may hold a password).
pub fn queue_location(config: &Config) -> String {
    match &config.database_url {
        Some(_) => "PostgreSQL, LOOKERBOT_DATABASE_URL".to_owned(),
        None => SqliteStore::default_path(&config.data_dir).display().to_string(),
    }
}

/// A running HTTP server and delivery workers.
pub struct Stack {
    pub addr: SocketAddr,
    workers: Workers,
    server: JoinHandle<()>,
    stop: watch::Sender<bool>,
}

/// What [`Stack::start`] needs.
pub struct StackParts {
    pub bot: Bot,
    pub sink: Arc<dyn ChatSink>,
    pub directory: Arc<dyn Directory>,
    pub queue: Arc<dyn Store>,
    pub slack_routes: Router,
    pub auth_token: Option<config::Secret>,
    pub public_url: Option<url::Url>,
    pub bind: SocketAddr,
    pub workers: WorkerConfig,
    /// What `/ready` and `/status` probe.
    pub probes: Arc<dyn Probes>,
    /// `LOOKERBOT_STATUS_TOKEN`: turns on `/status`.
    pub status_token: Option<config::Secret>,
    pub listen: endpoints::ListenLimits,
}

impl Stack {
    pub async fn start(parts: StackParts) -> anyhow::Result<Stack> {
        let handler = Arc::new(DeliveryHandler::new(parts.bot.clone(), parts.sink));
        let workers = Workers::spawn(parts.queue.clone(), handler.clone(), parts.workers);
        let operations = Operations::new(parts.probes, parts.queue.clone(), parts.status_token);
        let state = AppState {
            auth: PushAuth {
                lookers: parts.bot.lookers().clone(),
                auth_token: parts.auth_token,
            },
            bot: parts.bot,
            deliveries: Deliveries {
                enqueuer: workers.enqueuer(),
                handler,
            },
            directory: parts.directory,
            public_url: parts.public_url,
        };
        endpoints::operations::recorder();
        let app = endpoints::router(state, parts.slack_routes)
            .merge(endpoints::operations::router(operations))
            .layer(axum::middleware::from_fn(endpoints::operations::observe_requests));
        let listener = TcpListener::bind(parts.bind)
            .await
            .with_context(|| format!("cannot listen on {} (is PORT in use?)", parts.bind))?;
        let addr = listener.local_addr()?;
        let listen = parts.listen;
        let (stop, mut stopped) = watch::channel(false);
        let server = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            endpoints::serve(listener, app, listen, shutdown).await;
        });
        Ok(Stack {
            addr,
            workers,
            server,
            stop,
        })
    }

    /// Stops taking requests, lets in-flight deliveries finish for up to `grace`, and leaves the rest queued.
    pub async fn shutdown(self, grace: Duration) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(grace, self.server).await;
        self.workers.shutdown(grace).await;
    }
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return ctrl_c.await.unwrap_or(()),
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
