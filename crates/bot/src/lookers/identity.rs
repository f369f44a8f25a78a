//! Whom a chat request runs as in Looker. With identity `service` everyone asks as the bot's API user; with
//! `user` the asker's email is matched to a Looker user and the request runs as them (the admin's "login as
//! user"), so Looker's own rights, model sets and access filters decide what they see. When no usable Looker
//! user matches, the request is refused (or, in a fallback channel, runs as the service user): nothing runs as
//! anyone else. Who has which email is kept for a while ([`KnownUsers`]), so that a request does not search
//! Looker again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use config::Identity;
use looker::{Journal, LookerClient};

use crate::lookers::{Looker, Lookers};

/// How long the Looker user found for an email is used before Looker is searched again (as long as other
/// look-ups of people are kept); sooner when Looker refuses to act as them.
pub const USERS_KEPT_FOR: Duration = Duration::from_secs(300);

/// The Looker clients one request uses, one per configured Looker (same order as [`Lookers::all`]), and who they
/// act as.
#[derive(Debug, Clone)]
pub struct Acting {
    clients: Vec<LookerClient>,
    /// The Looker user the request runs as, for the audit line ("service" when it is the API user).
    pub looker_user: String,
    /// What this request's clients ran, for the audit line.
    pub journal: Journal,
}

impl Acting {
    /// Everyone as the service user.
    pub fn service(lookers: &Lookers) -> Acting {
        Acting {
            clients: lookers.all().iter().map(|l| l.client.clone()).collect(),
            looker_user: "service".into(),
            journal: Journal::default(),
        }
    }

    /// The client to use for `looker`; it notes what it runs in [`Acting::journal`].
    pub fn client(&self, looker: &Looker) -> LookerClient {
        self.clients
            .iter()
            .find(|c| c.web_url() == looker.client.web_url())
            .unwrap_or(&looker.client)
            .with_journal(&self.journal)
    }
}

/// Looker users found by email, per Looker, with the client acting as each: kept for a while, and dropped at once
/// when Looker refused to log in as the user (disabled or deleted). Only finds are kept: someone refused is
/// searched for again next time, so an account created meanwhile works at once.
#[derive(Debug)]
pub struct KnownUsers {
    keep_for: Duration,
    found: Mutex<HashMap<(String, String), Found>>,
}

#[derive(Debug, Clone)]
struct Found {
    user_id: String,
    client: LookerClient,
    at: Instant,
}

impl KnownUsers {
    pub fn new(keep_for: Duration) -> KnownUsers {
        KnownUsers {
            keep_for,
            found: Mutex::new(HashMap::new()),
        }
    }

    fn key(looker: &Looker, email: &str) -> (String, String) {
        (looker.client.web_url().to_string(), email.to_lowercase())
    }

    /// The user found for `email` on `looker`, while fresh and still usable.
    fn get(&self, looker: &Looker, email: &str) -> Option<Found> {
        let mut found = self.found.lock().unwrap_or_else(|p| p.into_inner());
        let key = Self::key(looker, email);
        let entry = found.get(&key)?;
        if entry.at.elapsed() >= self.keep_for || entry.client.is_gone() {
            found.remove(&key);
            return None;
        }
        Some(entry.clone())
    }

    fn put(&self, looker: &Looker, email: &str, user_id: &str, client: &LookerClient) {
        let entry = Found {
            user_id: user_id.to_owned(),
            client: client.clone(),
            at: Instant::now(),
        };
        let mut found = self.found.lock().unwrap_or_else(|p| p.into_inner());
        found.retain(|_, f| f.at.elapsed() < self.keep_for);
        found.insert(Self::key(looker, email), entry);
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
pub async fn resolve(
    lookers: &Lookers,
    known: &KnownUsers,
    email: Option<&str>,
    fallback: bool,
) -> Result<Acting, Refusal> {
    let service = Acting::service(lookers);
    if lookers.all().iter().all(|l| l.instance().identity == Identity::Service) {
        return Ok(service);
    }
    match resolve_users(lookers, known, email).await {
        Ok(acting) => Ok(acting),
        Err(refused) if fallback => {
            tracing::info!(reason = %refused.message, "no usable Looker user; running as the service user in a fallback channel");
            Ok(service)
        }
        Err(refused) => Err(refused),
    }
}

async fn resolve_users(lookers: &Lookers, known: &KnownUsers, email: Option<&str>) -> Result<Acting, Refusal> {
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
        if let Some(found) = known.get(looker, email) {
            clients.push(found.client);
            looker_users.push(found.user_id);
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
        known.put(looker, email, &id, &client);
        clients.push(client);
        looker_users.push(id);
    }
    Ok(Acting {
        clients,
        looker_user: looker_users.join(","),
        journal: Journal::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_found_user_is_kept_for_any_case_of_the_email_until_it_expires() {
        let lookers = crate::lookers::tests::lookers(&["https://me.looker.com"]);
        let looker = &lookers.all()[0];
        let kept = KnownUsers::new(USERS_KEPT_FOR);
        kept.put(looker, "Alice@Example.com", "2", &looker.client);
        let found = kept.get(looker, "alice@example.COM").map(|f| f.user_id);
        assert_eq!(found.as_deref(), Some("2"));
        assert!(kept.get(looker, "bob@example.com").is_none());
        let expired = KnownUsers::new(Duration::ZERO);
        expired.put(looker, "alice@example.com", "2", &looker.client);
        assert!(expired.get(looker, "alice@example.com").is_none());
    }
}
