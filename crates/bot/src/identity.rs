//! Whom a chat request runs as in Looker. With identity `service` everyone asks as the bot's API user; with
//! `user` the asker's email is matched to a Looker user and the request runs as them (the admin's "login as
//! user"), so Looker's own rights, model sets and access filters decide what they see. When no usable Looker
//! user matches, the request is refused (or, in a fallback channel, runs as the service user): nothing runs as
//! anyone else.

use config::Identity;
use looker::LookerClient;

use crate::lookers::{Looker, Lookers};

/// The Looker clients one request uses, one per configured Looker (same order as [`Lookers::all`]), and who they
/// act as.
#[derive(Debug, Clone)]
pub struct Acting {
    clients: Vec<LookerClient>,
    /// The Looker user the request runs as, for the audit line ("service" when it is the API user).
    pub looker_user: String,
}

impl Acting {
    /// Everyone as the service user.
    pub fn service(lookers: &Lookers) -> Acting {
        Acting {
            clients: lookers.all().iter().map(|l| l.client.clone()).collect(),
            looker_user: "service".into(),
        }
    }

    /// The client to use for `looker`.
    pub fn client(&self, looker: &Looker) -> LookerClient {
        self.clients
            .iter()
            .find(|c| c.web_url() == looker.client.web_url())
            .unwrap_or(&looker.client)
            .clone()
    }
}

/// Why a request was not run, in words for the asker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
}

fn refusal(what: String) -> Refusal {
    Refusal {
        message: format!(
            "{what} This bot shows each person only what their own Looker account may see, so nothing was run. \
             Ask your Looker admin to give you an account with the email of your Slack profile, or to fix it."
        ),
    }
}

/// Finds, for each Looker in `user` mode, the Looker user whose email is `email`, and the client acting as them.
/// `fallback` lets a request without a usable Looker user run as the service user instead of being refused.
pub async fn resolve(lookers: &Lookers, email: Option<&str>, fallback: bool) -> Result<Acting, Refusal> {
    let service = Acting::service(lookers);
    if lookers.all().iter().all(|l| l.instance().identity == Identity::Service) {
        return Ok(service);
    }
    match resolve_users(lookers, email).await {
        Ok(acting) => Ok(acting),
        Err(refused) if fallback => {
            tracing::info!(reason = %refused.message, "no usable Looker user; running as the service user in a fallback channel");
            Ok(service)
        }
        Err(refused) => Err(refused),
    }
}

async fn resolve_users(lookers: &Lookers, email: Option<&str>) -> Result<Acting, Refusal> {
    let Some(email) = email.filter(|e| !e.trim().is_empty()) else {
        return Err(refusal(
            "I could not read the email of your chat profile, so I cannot tell who you are in Looker.".into(),
        ));
    };
    let mut clients = Vec::new();
    let mut looker_users = Vec::new();
    for looker in lookers.all() {
        if looker.instance().identity == Identity::Service {
            clients.push(looker.client.clone());
            continue;
        }
        let host = looker.instance().url.host_str().unwrap_or("Looker").to_owned();
        let found = looker.client.users_with_email(email).await.map_err(|e| {
            tracing::error!(error = %e, looker = %host, "could not look up a Looker user by email");
            refusal(format!(
                "I could not look up your Looker account on {host} ({e}); the bot's Looker API user must be an admin."
            ))
        })?;
        let user = found
            .into_iter()
            .find(|u| u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email)));
        let Some(user) = user else {
            return Err(refusal(format!(
                "There is no Looker user with the email {email} on {host}."
            )));
        };
        let Some(id) = user.id.clone() else {
            return Err(refusal(format!(
                "Looker did not say which user has the email {email} on {host}."
            )));
        };
        if user.is_disabled != Some(false) {
            return Err(refusal(format!("Your Looker account on {host} is disabled.")));
        }
        let client = looker
            .client
            .as_user(&id)
            .await
            .map_err(|e| refusal(format!("I could not sign in to {host} as your Looker account ({e}).")))?;
        clients.push(client);
        looker_users.push(id);
    }
    Ok(Acting {
        clients,
        looker_user: looker_users.join(","),
    })
}
