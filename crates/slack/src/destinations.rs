//! The chat's directory for the core (`bot::directory::Directory`), from the Web API: the channels and people the
//! data-action form offers, and whether a push's destination can be posted to, decided by the same access rules
//! and name lookups the bot uses to answer and post.

use std::sync::Arc;

use async_trait::async_trait;
use bot::delivery::Target;
use bot::directory::{Directory, FormOption};

use crate::access::{AccessDecision, AccessPolicy, decide};
use crate::error::SlackError;
use crate::web::SlackWeb;

/// Channels and people for the data-action form, and destination checks for pushes, from the Web API.
pub struct SlackDestinations {
    web: SlackWeb,
    /// The cached name lookups the sink uses, so a checked name resolves the same way when it is posted to.
    names: Arc<crate::directory::Directory>,
    home_team_id: String,
    /// People of other workspaces are offered only when the bot serves them.
    allow_shared_workspaces: bool,
}

impl SlackDestinations {
    /// `names` should be the sink's own lookups, so a checked name resolves the same way when it is posted to.
    pub fn new(
        web: SlackWeb,
        names: Arc<crate::directory::Directory>,
        home_team_id: String,
        allow_shared_workspaces: bool,
    ) -> Self {
        SlackDestinations {
            web,
            names,
            home_team_id,
            allow_shared_workspaces,
        }
    }
}

#[async_trait]
impl Directory for SlackDestinations {
    async fn post_targets(&self) -> Result<Vec<FormOption>, String> {
        let channels = self
            .web
            .conversations_list("public_channel")
            .await
            .map_err(|e| e.to_string())?;
        let mut channel_options: Vec<FormOption> = channels
            .into_iter()
            .filter(|c| c.is_member && !c.is_archived)
            .filter_map(|c| {
                Some(FormOption {
                    label: format!("#{}", c.name?),
                    name: c.id,
                })
            })
            .collect();
        channel_options.sort_by(|a, b| a.label.cmp(&b.label));
        let users = self.web.users_list().await.map_err(|e| e.to_string())?;
        // The people the bot would answer (no guests), by the access rules themselves: Grid members of this
        // workspace in, bots, apps and strangers out.
        let policy = AccessPolicy {
            allow_guests: false,
            allow_shared_workspaces: self.allow_shared_workspaces,
            home_team_id: Some(self.home_team_id.clone()),
        };
        let mut people: Vec<FormOption> = users
            .into_iter()
            .filter(|u| u.id != "USLACKBOT" && decide(&policy, u) == AccessDecision::Allowed)
            .map(|u| FormOption {
                label: format!("@{}", u.name),
                name: u.id,
            })
            .collect();
        people.sort_by(|a, b| a.label.cmp(&b.label));
        channel_options.extend(people);
        Ok(channel_options)
    }

    async fn check_target(&self, target: &Target) -> Result<(), String> {
        let checked = match target {
            Target::Channel(name) | Target::Group(name) => self.names.postable_channel(name).await.map(drop),
            Target::Person(name) => self.names.person(name).await.map(drop),
        };
        match checked {
            Ok(()) => Ok(()),
            Err(e @ SlackError::NotFound(_)) => Err(e.to_string()),
            Err(e) => {
                tracing::warn!(error = %e, "could not check a delivery's destination now; the delivery will");
                Ok(())
            }
        }
    }
}
