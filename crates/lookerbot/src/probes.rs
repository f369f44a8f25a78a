//! What `/ready` and the status page probe, wired from the running bot: the Slack connection (Socket Mode or RTM:
//! connected; Events API: `auth.test` answers), each Looker (the bot's user can be read, so it is logged in), and
//! the checks of `lookerbot check`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use bot::lookers::Lookers;
use config::Config;
use endpoints::operations::{LoggedProblem, Outcome, Probe, Probes};
use slack::web::SlackWeb;

use crate::admin_cmd::ImageProbe;

/// The Slack side of the probes.
#[derive(Clone)]
pub struct SlackProbe {
    pub web: SlackWeb,
    /// The WebSocket client's connection state, in Socket Mode and RTM.
    pub connected: Option<Arc<AtomicBool>>,
}

pub struct BotProbes {
    pub lookers: Lookers,
    /// None where the bot runs without Slack (the demo).
    pub slack: Option<SlackProbe>,
    /// The configuration `check` runs with; None in the demo.
    pub config: Option<Config>,
}

#[async_trait]
impl Probes for BotProbes {
    async fn connections(&self) -> Vec<Probe> {
        let lookers = futures::future::join_all(self.lookers.all().iter().map(|looker| async move {
            let name = format!("Looker {}", looker.base());
            match looker.client.me().await {
                Ok(_) => Probe {
                    name,
                    outcome: Outcome::Pass,
                    detail: "logged in".into(),
                },
                Err(e) => Probe {
                    name,
                    outcome: Outcome::Fail,
                    detail: e.to_string(),
                },
            }
        }));
        let slack = async {
            match &self.slack {
                Some(slack) => Some(slack_probe(slack).await),
                None => None,
            }
        };
        let (mut probes, slack) = tokio::join!(lookers, slack);
        probes.extend(slack);
        probes
    }

    async fn checks(&self) -> Vec<Probe> {
        let Some(config) = &self.config else {
            return Vec::new();
        };
        let store = config
            .image_store
            .as_ref()
            .and_then(|settings| images::ImageStore::new(settings).ok())
            .map(ImageProbe);
        admin::check::run_checks(config, store.as_ref().map(|s| s as &dyn admin::check::StoreProbe))
            .await
            .into_iter()
            .map(|line| Probe {
                name: line.subject,
                outcome: match line.outcome {
                    admin::check::Outcome::Pass => Outcome::Pass,
                    admin::check::Outcome::Warn => Outcome::Warn,
                    admin::check::Outcome::Fail => Outcome::Fail,
                },
                detail: line.detail,
            })
            .collect()
    }

    fn recent_problems(&self) -> Vec<LoggedProblem> {
        crate::logging::recent_problems()
    }
}

async fn slack_probe(slack: &SlackProbe) -> Probe {
    let name = "Slack".to_string();
    if let Some(connected) = &slack.connected {
        return if connected.load(Ordering::Relaxed) {
            Probe {
                name,
                outcome: Outcome::Pass,
                detail: "connected".into(),
            }
        } else {
            Probe {
                name,
                outcome: Outcome::Fail,
                detail: "not connected; reconnecting".into(),
            }
        };
    }
    match slack.web.auth_test().await {
        Ok(_) => Probe {
            name,
            outcome: Outcome::Pass,
            detail: "reachable; the bot token is accepted".into(),
        },
        Err(e) => Probe {
            name,
            outcome: Outcome::Fail,
            detail: e.to_string(),
        },
    }
}
