//! Running the `lookerbot` binary against the Looker sandbox and the Slack simulator, as a person would.
#![allow(dead_code)]

use std::process::{Command, Output};

use looker_sandbox::{Sandbox, SandboxConfig, content};
use slack_sim::{SimConfig, SlackSim};

pub struct Setup {
    pub sandbox: Sandbox,
    pub sim: SlackSim,
}

pub async fn setup(scopes: Option<Vec<String>>) -> Setup {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let mut config = SimConfig::default();
    if let Some(scopes) = scopes {
        config.scopes = scopes;
    }
    let sim = SlackSim::start(config).await.unwrap();
    Setup { sandbox, sim }
}

impl Setup {
    /// [`Setup::env`] with `changes` applied: each replaces the variable of its name, or adds it; an empty value
    /// removes it.
    pub fn env_with(&self, changes: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = self.env();
        for (name, value) in changes {
            env.retain(|(k, _)| k != name);
            if !value.is_empty() {
                env.push((name.to_string(), value.to_string()));
            }
        }
        env
    }

    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("LOOKER_URL", self.sandbox.web_url()),
            ("LOOKER_API_BASE_URL", self.sandbox.api_url()),
            ("LOOKER_API_3_CLIENT_ID", self.sandbox.client_id().to_string()),
            ("LOOKER_API_3_CLIENT_SECRET", self.sandbox.client_secret().to_string()),
            (
                "LOOKER_CUSTOM_COMMAND_FOLDER_ID",
                content::CUSTOM_COMMAND_FOLDER_ID.to_string(),
            ),
            ("LOOKER_WEBHOOK_TOKEN", "hook".to_string()),
            ("SLACK_API_KEY", self.sim.bot_token().to_string()),
            ("SLACK_APP_TOKEN", self.sim.app_token().to_string()),
            ("SLACK_API_URL", self.sim.api_url()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// Runs the binary with exactly these variables, in an empty folder (no stray `.env`).
pub async fn lookerbot(args: &[&str], env: Vec<(String, String)>) -> Output {
    lookerbot_with_dotenv(args, env, None).await
}

/// [`lookerbot`] in a folder whose `.env` file holds `dotenv`.
pub async fn lookerbot_with_dotenv(args: &[&str], env: Vec<(String, String)>, dotenv: Option<&str>) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let dotenv = dotenv.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        if let Some(dotenv) = dotenv {
            std::fs::write(dir.path().join(".env"), dotenv).unwrap();
        }
        Command::new(env!("CARGO_BIN_EXE_lookerbot"))
            .args(&args)
            .env_clear()
            .env("RUST_LOG", "error")
            .envs(env)
            .current_dir(dir.path())
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
