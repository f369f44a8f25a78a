//! The Slack bot scopes and event subscriptions each mode needs, in one place, so that `manifest` asks for exactly
//! what `check` verifies.
//!
//! Derived from the Web API methods `crates/slack` calls (see `data/README.md`; `tests/scopes.rs` keeps them in
//! step) and the events it handles.

use config::SlackMode;

/// The scope a classic Slack app's bot token carries; RTM only works with such tokens.
pub const CLASSIC_BOT_SCOPE: &str = "bot";

/// Scopes needed in Socket Mode and Events API mode alike, each with why.
const BASE_SCOPES: &[(&str, &str)] = &[
    ("app_mentions:read", "app_mention events"),
    (
        "channels:read",
        "conversations.list of public channels (scheduled deliveries name them)",
    ),
    ("chat:write", "chat.postMessage, chat.postEphemeral, chat.update"),
    ("commands", "the /looker slash command"),
    (
        "files:write",
        "chart uploads (files.getUploadURLExternal, files.completeUploadExternal)",
    ),
    ("groups:read", "conversations.list of private channels"),
    ("im:history", "message.im events: direct messages to the bot"),
    ("im:write", "conversations.open of a direct message"),
    ("links:read", "link_shared events"),
    ("links:write", "chat.unfurl"),
    ("team:read", "team.info"),
    (
        "users:read",
        "users.info and users.list (guest and shared-workspace checks)",
    ),
];

/// Read after a delivery's post went unanswered (conversations.history), to see whether it arrived before posting it
/// again. Without them deliveries still arrive, at least once: `check` warns instead of failing.
const DELIVERY_HISTORY_SCOPES: &[(&str, &str)] = &[
    (
        "channels:history",
        "conversations.history of a public channel: a delivery Slack answered late is not posted twice",
    ),
    (
        "groups:history",
        "conversations.history of a private channel: a delivery Slack answered late is not posted twice",
    ),
    (
        "im:history",
        "conversations.history of a direct message: a delivery Slack answered late is not posted twice",
    ),
    (
        "mpim:history",
        "conversations.history of a group DM: a delivery Slack answered late is not posted twice",
    ),
];

/// Needed only when the bot reads along in channels to expand Looker links (`LOOKER_SLACKBOT_EXPAND_URLS`).
const EXPAND_URL_SCOPES: &[(&str, &str)] = &[("channels:history", "message.channels events")];

/// Scopes identity `user` adds: the asker's email, to find their Looker user.
const USER_IDENTITY_SCOPES: &[(&str, &str)] = &[(
    "users:read.email",
    "emails in users.info, matched to Looker users (LOOKERBOT_IDENTITY=user)",
)];

/// [`required_bot_scopes`], plus what identity `user` needs when a Looker uses it.
pub fn required_bot_scopes_for_identity(mode: SlackMode, expand_urls: bool, user_identity: bool) -> Vec<&'static str> {
    let mut scopes = required_bot_scopes(mode, expand_urls);
    if user_identity && mode != SlackMode::Rtm {
        scopes.extend(USER_IDENTITY_SCOPES.iter().map(|(scope, _)| *scope));
        scopes.sort_unstable();
    }
    scopes
}

/// The bot-token scopes `mode` needs, sorted. `chat:write.public` is left out on purpose: the bot posts only where
/// it was invited, so a Looker schedule cannot reach channels nobody invited it to.
pub fn required_bot_scopes(mode: SlackMode, expand_urls: bool) -> Vec<&'static str> {
    if mode == SlackMode::Rtm {
        return vec![CLASSIC_BOT_SCOPE];
    }
    let extra = if expand_urls { EXPAND_URL_SCOPES } else { &[] };
    let mut scopes: Vec<&'static str> = BASE_SCOPES
        .iter()
        .chain(DELIVERY_HISTORY_SCOPES)
        .chain(extra)
        .map(|(scope, _)| *scope)
        .collect();
    scopes.sort_unstable();
    scopes.dedup();
    scopes
}

/// The history scopes with which a delivery whose post went unanswered is looked for before it is posted again.
pub fn delivery_history_scopes() -> Vec<&'static str> {
    DELIVERY_HISTORY_SCOPES.iter().map(|(scope, _)| *scope).collect()
}

/// Whether the bot works without `scope` in `mode`, only less well: a delivery history scope that nothing else
/// needs. `check` warns about these rather than failing.
pub fn is_delivery_history_only(scope: &str, expand_urls: bool) -> bool {
    let also_needed = BASE_SCOPES
        .iter()
        .chain(if expand_urls { EXPAND_URL_SCOPES } else { &[] })
        .any(|(name, _)| *name == scope);
    !also_needed && DELIVERY_HISTORY_SCOPES.iter().any(|(name, _)| *name == scope)
}

/// Why the bot needs `scope` (the calls or events it allows), for advice about missing scopes.
pub fn why_needed(scope: &str) -> Option<&'static str> {
    BASE_SCOPES
        .iter()
        .chain(DELIVERY_HISTORY_SCOPES)
        .chain(EXPAND_URL_SCOPES)
        .chain(USER_IDENTITY_SCOPES)
        .find(|(name, _)| *name == scope)
        .map(|(_, why)| *why)
}

/// The bot events to subscribe to (Socket Mode and Events API mode; RTM receives everything anyway).
pub fn bot_events(expand_urls: bool) -> Vec<&'static str> {
    let mut events = vec!["app_mention", "link_shared", "message.im"];
    if expand_urls {
        events.push("message.channels");
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtm_needs_the_classic_bot_scope_only() {
        assert_eq!(required_bot_scopes(SlackMode::Rtm, true), vec!["bot"]);
    }

    #[test]
    fn reading_along_makes_channel_history_required() {
        assert!(is_delivery_history_only("channels:history", false));
        assert!(!is_delivery_history_only("channels:history", true));
        assert!(
            !is_delivery_history_only("im:history", false),
            "message.im events need it"
        );
        assert!(!is_delivery_history_only("chat:write", false));
        let scopes = required_bot_scopes(SlackMode::Socket, false);
        for history in ["channels:history", "groups:history", "im:history", "mpim:history"] {
            assert!(scopes.contains(&history), "{history} in {scopes:?}");
        }
        assert_eq!(
            scopes.iter().filter(|s| **s == "im:history").count(),
            1,
            "asked for once"
        );
        assert_eq!(
            required_bot_scopes(SlackMode::Socket, true),
            required_bot_scopes(SlackMode::Events, true)
        );
        assert!(bot_events(true).contains(&"message.channels"));
        assert!(!bot_events(false).contains(&"message.channels"));
    }

    #[test]
    fn every_required_scope_says_why() {
        for scope in required_bot_scopes(SlackMode::Events, true) {
            assert!(why_needed(scope).is_some(), "{scope}");
        }
        assert_eq!(why_needed("links:write"), Some("chat.unfurl"));
        assert_eq!(why_needed("admin"), None);
    }
}
