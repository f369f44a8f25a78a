//! `lookerbot check` and `lookerbot manifest`.

use std::io::IsTerminal;
use std::process::ExitCode;

use admin::check::{self, CheckLine, StoreProbe};
use async_trait::async_trait;
use config::{Config, Environment, Needs, SlackMode};
use images::ImageStore;

/// `lookerbot check`: one line per check, exit code 0 only when all pass.
pub async fn check() -> anyhow::Result<ExitCode> {
    let env = match Environment::load() {
        Ok(env) => env,
        Err(e) => {
            eprintln!("lookerbot: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let config = match Config::from_env(&env, Needs::SERVER) {
        Ok(config) => config,
        Err(e) => {
            let lines: Vec<CheckLine> = e
                .problems
                .iter()
                .map(|p| CheckLine::fail(p.variable.clone(), p.message.clone()))
                .collect();
            check::print(&lines, &mut std::io::stdout(), std::io::stdout().is_terminal())?;
            return Ok(ExitCode::from(2));
        }
    };
    let store = match &config.image_store {
        Some(settings) => match ImageStore::with_proxy(settings, &config.proxy) {
            Ok(store) => Some(ImageProbe(store)),
            Err(e) => {
                let line = CheckLine::fail("image store", e.to_string());
                check::print(&[line], &mut std::io::stdout(), std::io::stdout().is_terminal())?;
                return Ok(ExitCode::FAILURE);
            }
        },
        None => None,
    };
    let lines = check::run_checks(&config, store.as_ref().map(|s| s as &dyn StoreProbe)).await;
    check::print(&lines, &mut std::io::stdout(), std::io::stdout().is_terminal())?;
    Ok(ExitCode::from(u8::try_from(check::exit_code(&lines)).unwrap_or(1)))
}

/// `lookerbot manifest`: the Slack app manifest for the configured mode. Needs no Looker credentials: the unfurl
/// domains come from the Lookers' addresses alone. A bad `--url` (or `LOOKERBOT_PUBLIC_URL`) exits with code 2.
pub fn manifest(url: Option<String>) -> anyhow::Result<ExitCode> {
    let env = Environment::load().map_err(anyhow::Error::msg)?;
    let config = match Config::from_env(&admin::manifest::without_lookers(&env), Needs::NOTHING) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let (source, url) = match url {
        Some(url) => ("--url", Some(url)),
        None => (
            "LOOKERBOT_PUBLIC_URL",
            config.public_url.as_ref().map(|u| u.to_string()),
        ),
    };
    let url = match url.as_deref().map(admin::manifest::check_public_url).transpose() {
        Ok(url) => url,
        Err(problem) => {
            eprintln!("lookerbot manifest: {source}: {problem}");
            return Ok(ExitCode::from(2));
        }
    };
    // A manifest is made before any token exists; without a chosen mode, Socket Mode is the simplest setup.
    let mode = config.slack.mode.unwrap_or(if url.is_some() {
        SlackMode::Events
    } else {
        SlackMode::Socket
    });
    let hosts = admin::manifest::looker_hosts(&env);
    let user_identity = admin::manifest::uses_user_identity(&env);
    let expand_urls = config.slack.expand_urls;
    print!(
        "{}",
        admin::manifest::manifest_yaml_for_identity(mode, url.as_deref(), expand_urls, user_identity, &hosts)
    );
    Ok(ExitCode::SUCCESS)
}

/// The image store as `check` probes it.
pub(crate) struct ImageProbe(pub ImageStore);

#[async_trait]
impl StoreProbe for ImageProbe {
    fn name(&self) -> String {
        self.0.name().to_string()
    }

    async fn check(&self) -> Result<(), String> {
        self.0.check().await.map_err(|e| e.to_string())
    }
}
