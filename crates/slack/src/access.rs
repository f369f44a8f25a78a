//! Who may talk to the bot. Everyone who can reach it acts with the Looker API user's rights, so guests and people
//! from other workspaces (shared channels, `is_stranger`) are refused unless the configuration allows them, and
//! other bots and apps always are (as the original did). Enterprise Grid members count as the bot's workspace when
//! their `teams` list it, although their `team_id` is the org's.

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
pub const BOT_REFUSAL: &str = "Sorry, bots and apps can't use this bot; only people can.";

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
    if user.is_bot || user.is_app_user == Some(true) || user.is_workflow_bot == Some(true) {
        return AccessDecision::Refused(BOT_REFUSAL.into());
    }
    if user.deleted {
        return AccessDecision::Refused(DEACTIVATED_REFUSAL.into());
    }
    if (user.is_restricted || user.is_ultra_restricted) && !policy.allow_guests {
        return AccessDecision::Refused(GUEST_REFUSAL.into());
    }
    let stranger = user.is_stranger == Some(true);
    let other_team = match &policy.home_team_id {
        Some(home) => !in_workspace(user, home),
        None => false,
    };
    if (stranger || other_team) && !policy.allow_shared_workspaces {
        return AccessDecision::Refused(OTHER_WORKSPACE_REFUSAL.into());
    }
    AccessDecision::Allowed
}

/// Whether `user` belongs to the workspace `home`: their own team, or (Enterprise Grid) one of their teams.
fn in_workspace(user: &SlackUser, home: &str) -> bool {
    let listed = |teams: &Option<Vec<String>>| teams.iter().flatten().any(|team| team == home);
    user.team_id.as_deref() == Some(home)
        || listed(&user.teams)
        || user.enterprise_user.as_ref().is_some_and(|e| listed(&e.teams))
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
        let bot = user(serde_json::json!({"id": "U5", "team_id": "T1", "is_bot": true}));
        let app = user(serde_json::json!({"id": "U6", "team_id": "T1", "is_app_user": true}));
        let workflow = user(serde_json::json!({"id": "U7", "team_id": "T1", "is_workflow_bot": true}));
        assert_eq!(decide(&policy, &member), AccessDecision::Allowed);
        assert_eq!(decide(&policy, &guest), AccessDecision::Refused(GUEST_REFUSAL.into()));
        assert_eq!(decide(&policy, &ultra), AccessDecision::Refused(GUEST_REFUSAL.into()));
        assert_eq!(
            decide(&policy, &foreign),
            AccessDecision::Refused(OTHER_WORKSPACE_REFUSAL.into())
        );
        for bot in [&bot, &app, &workflow] {
            assert_eq!(
                decide(&policy, bot),
                AccessDecision::Refused(BOT_REFUSAL.into()),
                "{bot:?}"
            );
        }

        let open = AccessPolicy {
            allow_guests: true,
            allow_shared_workspaces: true,
            ..policy
        };
        assert_eq!(decide(&open, &guest), AccessDecision::Allowed);
        assert_eq!(decide(&open, &foreign), AccessDecision::Allowed);
        assert_eq!(
            decide(&open, &bot),
            AccessDecision::Refused(BOT_REFUSAL.into()),
            "no setting lets bots in"
        );
    }

    #[test]
    fn grid_members_of_the_workspace_are_in_and_strangers_are_out() {
        let policy = AccessPolicy {
            home_team_id: Some("T1".into()),
            ..Default::default()
        };
        let grid = user(serde_json::json!({"id": "W1", "team_id": "E1", "teams": ["T9", "T1"]}));
        let grid_nested = user(serde_json::json!({"id": "W2", "team_id": "E1", "enterprise_user": {"teams": ["T1"]}}));
        let grid_elsewhere =
            user(serde_json::json!({"id": "W3", "team_id": "E1", "teams": ["T9"], "enterprise_user": {"teams": null}}));
        let stranger = user(serde_json::json!({"id": "U8", "team_id": "T1", "is_stranger": true}));
        let nulls = user(
            serde_json::json!({"id": "U9", "team_id": "T1", "teams": null, "is_stranger": null, "is_app_user": null}),
        );
        assert_eq!(decide(&policy, &grid), AccessDecision::Allowed);
        assert_eq!(decide(&policy, &grid_nested), AccessDecision::Allowed);
        assert_eq!(decide(&policy, &nulls), AccessDecision::Allowed);
        for refused in [&grid_elsewhere, &stranger] {
            assert_eq!(
                decide(&policy, refused),
                AccessDecision::Refused(OTHER_WORKSPACE_REFUSAL.into()),
                "{refused:?}"
            );
        }
        let shared = AccessPolicy {
            allow_shared_workspaces: true,
            ..policy
        };
        assert_eq!(decide(&shared, &stranger), AccessDecision::Allowed);
        assert_eq!(decide(&shared, &grid_elsewhere), AccessDecision::Allowed);
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
