//! Who may talk to the bot. Everyone who can reach it acts with the Looker API user's rights, so guests and people
//! from other workspaces (shared channels) are refused unless the configuration allows them.

use std::time::Duration;

use crate::cache::TtlCache;
use crate::error::SlackError;
use crate::web::{SlackUser, SlackWeb};

/// The configured policy.
#[derive(Debug, Clone, Default)]
pub struct AccessPolicy {
    /// Let single- and multi-channel guests use the bot.
    pub allow_guests: bool,
    /// Let people whose home workspace is another one (Slack Connect / shared channels) use the bot.
    pub allow_shared_workspaces: bool,
    /// The bot's own workspace (`auth.test` `team_id`).
    pub home_team_id: Option<String>,
}

/// The answer for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessDecision {
    Allowed,
    /// Refused, with a polite text to show them.
    Refused(String),
}

pub const GUEST_REFUSAL: &str =
    "Sorry, guest accounts can't use this bot. Ask a workspace admin if you need access to this data.";
pub const OTHER_WORKSPACE_REFUSAL: &str = "Sorry, this bot only answers people from its own workspace.";
pub const DEACTIVATED_REFUSAL: &str = "Sorry, this account is deactivated.";

/// Checks people against the policy, with `users.info` answers cached.
pub struct AccessControl {
    web: SlackWeb,
    policy: AccessPolicy,
    users: TtlCache<String, SlackUser>,
}

impl AccessControl {
    pub fn new(web: SlackWeb, policy: AccessPolicy, ttl: Duration) -> Self {
        AccessControl {
            web,
            policy,
            users: TtlCache::new(ttl),
        }
    }

    /// The email of a person's Slack profile, from the `users.info` answer [`AccessControl::check`] cached (so no
    /// call of its own); `None` without the `users:read.email` scope.
    pub fn email(&self, user_id: &str) -> Option<String> {
        self.users
            .get(&user_id.to_string())
            .and_then(|u| u.profile.email)
            .filter(|e| !e.is_empty())
    }

    pub async fn check(&self, user_id: &str) -> Result<AccessDecision, SlackError> {
        let user = match self.users.get(&user_id.to_string()) {
            Some(user) => user,
            None => {
                let user = self.web.users_info(user_id).await?;
                self.users.insert(user_id.to_string(), user.clone());
                user
            }
        };
        Ok(decide(&self.policy, &user))
    }
}

/// The policy applied to one user record.
pub fn decide(policy: &AccessPolicy, user: &SlackUser) -> AccessDecision {
    if user.is_bot {
        return AccessDecision::Allowed;
    }
    if user.deleted {
        return AccessDecision::Refused(DEACTIVATED_REFUSAL.into());
    }
    if (user.is_restricted || user.is_ultra_restricted) && !policy.allow_guests {
        return AccessDecision::Refused(GUEST_REFUSAL.into());
    }
    let other_team = match (&policy.home_team_id, &user.team_id) {
        (Some(home), Some(team)) => home != team,
        _ => false,
    };
    if other_team && !policy.allow_shared_workspaces {
        return AccessDecision::Refused(OTHER_WORKSPACE_REFUSAL.into());
    }
    AccessDecision::Allowed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(json: serde_json::Value) -> SlackUser {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn guests_and_other_workspaces_are_refused_by_default() {
        let policy = AccessPolicy {
            home_team_id: Some("T1".into()),
            ..Default::default()
        };
        let member = user(serde_json::json!({"id": "U1", "team_id": "T1"}));
        let guest = user(serde_json::json!({"id": "U2", "team_id": "T1", "is_restricted": true}));
        let ultra = user(serde_json::json!({"id": "U3", "team_id": "T1", "is_ultra_restricted": true}));
        let foreign = user(serde_json::json!({"id": "U4", "team_id": "T2"}));
        let bot = user(serde_json::json!({"id": "U5", "team_id": "T2", "is_bot": true, "is_restricted": true}));
        assert_eq!(decide(&policy, &member), AccessDecision::Allowed);
        assert_eq!(decide(&policy, &guest), AccessDecision::Refused(GUEST_REFUSAL.into()));
        assert_eq!(decide(&policy, &ultra), AccessDecision::Refused(GUEST_REFUSAL.into()));
        assert_eq!(
            decide(&policy, &foreign),
            AccessDecision::Refused(OTHER_WORKSPACE_REFUSAL.into())
        );
        assert_eq!(decide(&policy, &bot), AccessDecision::Allowed);

        let open = AccessPolicy {
            allow_guests: true,
            allow_shared_workspaces: true,
            ..policy
        };
        assert_eq!(decide(&open, &guest), AccessDecision::Allowed);
        assert_eq!(decide(&open, &foreign), AccessDecision::Allowed);
    }

    #[test]
    fn the_users_info_fixture_parses() {
        let json: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/web_api/users.info.success.json")).unwrap();
        let user: SlackUser = serde_json::from_value(json["user"].clone()).unwrap();
        assert!(!user.id.is_empty());
        assert_eq!(decide(&AccessPolicy::default(), &user), AccessDecision::Allowed);
    }
}
