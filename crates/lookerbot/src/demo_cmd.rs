//! `lookerbot demo`: the built-in Looker sandbox, the bot against it with its HTTP server, and a chat in this
//! terminal. Compiled with the `demo` cargo feature (on by default).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use bot::Bot;
use bot::directory::{Directory, FormOption};
use config::{Config, Environment, LookerInstance, Needs, Secret};
use console::TerminalSink;
use looker_sandbox::{Sandbox, SandboxConfig, content};
use queue::{Store, WorkerConfig};
use url::Url;

use crate::chat_cmd::chat_on_stdin;
use crate::probes::BotProbes;
use crate::stack::{self, Stack, StackParts};

/// The webhook token of the demo's Looker, for the `curl` the demo prints.
pub const DEMO_WEBHOOK_TOKEN: &str = "demo-webhook-token";

/// `lookerbot demo`: the sandbox, the bot against it, its HTTP server, and a chat on this terminal.
pub async fn demo(port: u16, images: PathBuf) -> anyhow::Result<ExitCode> {
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    let config = demo_config(&sandbox, port)?;
    let lookers = stack::lookers(&config)?;
    // The terminal cannot click buttons, so data actions are not offered as buttons.
    let bot = Bot::new(lookers, stack::bot_settings(&config, false));
    let sink = Arc::new(TerminalSink::stdout(&images));
    let data = tempfile::tempdir()?;
    let queue: Arc<dyn Store> = stack::open_queue(data.path())?;
    bot.refresh_commands().await;
    let stack = start_demo_server(&config, &bot, sink.clone(), queue, port).await?;
    greet(&sink, &sandbox, stack.addr, &images)?;
    chat_on_stdin(bot, sink).await?;
    stack.shutdown(Duration::from_secs(5)).await;
    sandbox.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// The demo's configuration: the sandbox as the one Looker, no Slack; the real environment may set PORT etc.
fn demo_config(sandbox: &Sandbox, port: u16) -> anyhow::Result<Config> {
    let mut config = Config::from_env(&Environment::default(), Needs::NOTHING).map_err(anyhow::Error::msg)?;
    config.port = port;
    config.lookers = vec![LookerInstance {
        url: Url::parse(&sandbox.web_url())?,
        api_base_url: Url::parse(&sandbox.api_url())?,
        client_id: sandbox.client_id().to_string(),
        client_secret: Secret::new(sandbox.client_secret()),
        custom_command_folder_id: Some(content::CUSTOM_COMMAND_FOLDER_ID.to_string()),
        webhook_token: Some(Secret::new(DEMO_WEBHOOK_TOKEN)),
        ca_bundle: None,
        verify_tls: true,
        identity: config::Identity::Service,
    }];
    config.image_width = 800;
    config.image_height = 500;
    Ok(config)
}

async fn start_demo_server(
    config: &Config,
    bot: &Bot,
    sink: Arc<TerminalSink>,
    queue: Arc<dyn Store>,
    port: u16,
) -> anyhow::Result<Stack> {
    let parts = |bind| StackParts {
        bot: bot.clone(),
        sink: sink.clone(),
        directory: Arc::new(DemoDirectory),
        queue: queue.clone(),
        slack_routes: Router::new(),
        auth_token: config.auth_token.clone(),
        public_url: None,
        bind,
        workers: WorkerConfig {
            poll_interval: Duration::from_millis(200),
            ..WorkerConfig::default()
        },
        probes: Arc::new(BotProbes {
            lookers: bot.lookers().clone(),
            slack: None,
            config: None,
        }),
        status_token: config.status_token.clone(),
        listen: endpoints::ListenLimits::default(),
    };
    let preferred = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    match Stack::start(parts(preferred)).await {
        Ok(stack) => Ok(stack),
        // The demo must start even when the port is taken (e.g. a bot already running): any free port will do.
        Err(_) => Stack::start(parts(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))).await,
    }
}

fn greet(sink: &TerminalSink, sandbox: &Sandbox, addr: SocketAddr, images: &std::path::Path) -> std::io::Result<()> {
    let look = format!("{}/looks/{}", sandbox.web_url(), content::TABLE_LOOK_ID);
    let chart = format!("{}/looks/{}", sandbox.web_url(), content::COLUMN_LOOK_ID);
    let payload =
        format!(r#"{{"type":"query","scheduled_plan":{{"type":"Look","title":"Orders by Status","url":"{look}"}}}}"#);
    let lines = [
        "Lookerbot demo: the bot against its built-in Looker sandbox, in this terminal. You are talking to it in a DM."
            .to_string(),
        format!(
            "Looker sandbox: {} (login {} / {})",
            sandbox.web_url(),
            sandbox.client_id(),
            sandbox.client_secret()
        ),
        format!(
            "Bot HTTP server: http://{addr}   Chart images are saved in {}",
            images.display()
        ),
        String::new(),
        "Try:".into(),
        "  help".into(),
        "  find orders".into(),
        "  customers California        (a custom command with an argument)".into(),
        format!("  {look}"),
        format!("  {chart}        (a chart: saved as a PNG)"),
        "  /looker sales Texas         (the slash command)".into(),
        String::new(),
        "And from another terminal, a scheduled delivery as Looker sends it:".into(),
        format!(
            "  curl -s -X POST http://{addr}/slack/post/channel/general -H 'Content-Type: application/json' \
             -H 'X-Looker-Webhook-Token: {DEMO_WEBHOOK_TOKEN}' -d '{payload}'"
        ),
        String::new(),
        "Type `quit` to leave.".into(),
    ];
    for line in lines {
        sink.say(&line)?;
    }
    Ok(())
}

/// The demo's channels and people for the data-action form.
struct DemoDirectory;

#[async_trait]
impl Directory for DemoDirectory {
    async fn post_targets(&self) -> Result<Vec<FormOption>, String> {
        let option = |name: &str, label: &str| FormOption {
            name: name.into(),
            label: label.into(),
        };
        Ok(vec![
            option("general", "#general"),
            option("alerts", "#alerts"),
            option("you", "@you"),
        ])
    }
}
