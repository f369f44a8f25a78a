//! The scope list against the Slack API reference (copied into `data/`): every Web API method the Slack edge
//! calls, and every event the manifest subscribes to, must be allowed by `required_bot_scopes`; and the manifest
//! carries those scopes and the right URLs per mode.

use std::path::{Path, PathBuf};

use admin::{bot_events, manifest_yaml, required_bot_scopes};
use config::SlackMode;
use serde_json::Value;
use serde_yaml_ng::Value as Yaml;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether `text` is shaped like a Web API method name: `family.method` or `family.sub.method`.
fn looks_like_method(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    (2..=3).contains(&parts.len())
        && parts[0].starts_with(|c: char| c.is_ascii_lowercase())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphabetic()))
}

/// Every string literal shaped like a Web API method in the Slack edge's sources.
fn methods_called_by_slack_crate() -> Vec<String> {
    let src = crate_dir().join("../slack/src");
    let mut methods = Vec::new();
    let mut dirs = vec![src];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for literal in text.split('"').skip(1).step_by(2) {
                    if looks_like_method(literal) && !methods.iter().any(|m| m == literal) {
                        methods.push(literal.to_string());
                    }
                }
            }
        }
    }
    methods.sort();
    methods
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; copy it from the Slack API reference (see data/README.md)",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Methods that take no bot scope: the app-level token (Socket Mode) and the classic token (RTM) authorize them.
const NOT_BOT_SCOPED: &[&str] = &["apps.connections.open", "rtm.connect"];

#[test]
fn every_web_api_method_the_slack_crate_calls_is_covered() {
    let methods = methods_called_by_slack_crate();
    assert!(methods.len() >= 10, "found too few methods: {methods:?}");
    assert!(methods.iter().any(|m| m == "chat.postMessage"));
    for mode in [SlackMode::Socket, SlackMode::Events] {
        let scopes = required_bot_scopes(mode, false);
        for method in &methods {
            let spec = read_json(&crate_dir().join(format!("data/methods/{method}.json")));
            let allowed = strings(&spec["scope"]["bot"]);
            if allowed.is_empty() {
                let no_scope = spec["no_scope_required"].as_bool() == Some(true);
                assert!(
                    no_scope || NOT_BOT_SCOPED.contains(&method.as_str()),
                    "{method} takes no bot scope in the reference; is it really called with the bot token?"
                );
                continue;
            }
            // Slack lists the scopes any one of which allows the call.
            assert!(
                allowed.iter().any(|s| scopes.contains(&s.as_str())),
                "{method} needs one of {allowed:?}; required_bot_scopes({mode:?}) has {scopes:?}"
            );
        }
    }
}

/// The reference spells one scope `app_mentions.read`; the real scope is `app_mentions:read`.
fn normalize(scope: &str) -> String {
    if scope.contains(':') {
        scope.to_string()
    } else {
        scope.replacen('.', ":", 1)
    }
}

#[test]
fn every_subscribed_event_is_covered() {
    let events = read_json(&crate_dir().join("data/events.json"));
    let events = events.as_array().unwrap();
    for expand in [false, true] {
        let scopes = required_bot_scopes(SlackMode::Events, expand);
        for name in bot_events(expand) {
            let event = events
                .iter()
                .find(|e| e["name"] == name)
                .unwrap_or_else(|| panic!("{name} is not in data/events.json"));
            let needed: Vec<String> = strings(&event["scopes"]).iter().map(|s| normalize(s)).collect();
            assert!(
                needed.iter().any(|s| scopes.contains(&s.as_str())),
                "event {name} needs one of {needed:?}"
            );
        }
    }
}

fn parse(yaml: &str) -> Yaml {
    serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("not YAML ({e}):\n{yaml}"))
}

fn text<'a>(doc: &'a Yaml, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(doc, |node, key| node.get(*key))?.as_str()
}

fn list(doc: &Yaml, path: &[&str]) -> Vec<String> {
    path.iter()
        .try_fold(doc, |node, key| node.get(*key))
        .and_then(Yaml::as_sequence)
        .map(|s| s.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

#[test]
fn events_manifest_points_slack_at_the_public_url() {
    let hosts = vec![
        "https://mycompany.looker.com".to_string(),
        "other.looker.com".to_string(),
    ];
    let yaml = manifest_yaml(SlackMode::Events, Some("https://bot.example.com/"), true, &hosts);
    let doc = parse(&yaml);
    assert_eq!(text(&doc, &["display_information", "name"]), Some("Lookerbot"));
    assert_eq!(text(&doc, &["features", "bot_user", "display_name"]), Some("looker"));
    assert_eq!(doc["features"]["bot_user"]["always_online"].as_bool(), Some(true));
    let command = &doc["features"]["slash_commands"][0];
    assert_eq!(command["command"].as_str(), Some("/looker"));
    assert_eq!(command["url"].as_str(), Some("https://bot.example.com/slack/receive"));
    assert_eq!(command["usage_hint"].as_str(), Some("help"));
    assert_eq!(
        text(&doc, &["settings", "event_subscriptions", "request_url"]),
        Some("https://bot.example.com/slack/events")
    );
    assert_eq!(
        text(&doc, &["settings", "interactivity", "request_url"]),
        Some("https://bot.example.com/slack/action")
    );
    assert_eq!(doc["settings"]["interactivity"]["is_enabled"].as_bool(), Some(true));
    assert_eq!(doc["settings"]["socket_mode_enabled"].as_bool(), Some(false));
    assert_eq!(doc["settings"]["org_deploy_enabled"].as_bool(), Some(false));
    assert_eq!(doc["settings"]["token_rotation_enabled"].as_bool(), Some(false));
    assert_eq!(
        list(&doc, &["features", "unfurl_domains"]),
        vec!["mycompany.looker.com", "other.looker.com"]
    );
    let events = list(&doc, &["settings", "event_subscriptions", "bot_events"]);
    for event in ["app_mention", "message.im", "link_shared", "message.channels"] {
        assert!(events.iter().any(|e| e == event), "{event} missing from {events:?}");
    }
    let scopes = list(&doc, &["oauth_config", "scopes", "bot"]);
    assert_eq!(scopes, required_bot_scopes(SlackMode::Events, true));
    assert!(scopes.iter().any(|s| s == "channels:history"));
    assert!(!yaml.contains("YOUR-BOT-URL"));
}

#[test]
fn events_manifest_without_a_url_uses_a_placeholder_and_says_so() {
    let yaml = manifest_yaml(SlackMode::Events, None, false, &[]);
    let doc = parse(&yaml);
    assert!(yaml.lines().next().unwrap().starts_with('#'));
    let comments: String = yaml.lines().filter(|l| l.starts_with('#')).collect();
    assert!(comments.contains("https://YOUR-BOT-URL"), "{comments}");
    assert_eq!(
        text(&doc, &["settings", "event_subscriptions", "request_url"]),
        Some("https://YOUR-BOT-URL/slack/events")
    );
    assert!(doc["features"].get("unfurl_domains").is_none());
    let events = list(&doc, &["settings", "event_subscriptions", "bot_events"]);
    assert!(!events.iter().any(|e| e == "message.channels"));
}

#[test]
fn socket_manifest_has_no_urls_and_enables_socket_mode() {
    for mode in [SlackMode::Socket, SlackMode::Rtm] {
        let yaml = manifest_yaml(mode, Some("https://ignored.example.com"), false, &[]);
        let doc = parse(&yaml);
        assert_eq!(doc["settings"]["socket_mode_enabled"].as_bool(), Some(true), "{mode:?}");
        assert!(!yaml.contains("https://"), "{mode:?} manifest has a URL:\n{yaml}");
        assert!(doc["settings"]["event_subscriptions"].get("request_url").is_none());
        assert!(doc["features"]["slash_commands"][0].get("url").is_none());
        let scopes = list(&doc, &["oauth_config", "scopes", "bot"]);
        assert_eq!(scopes, required_bot_scopes(SlackMode::Socket, false), "{mode:?}");
    }
    let rtm = manifest_yaml(SlackMode::Rtm, None, false, &[]);
    assert!(
        rtm.lines()
            .take_while(|l| l.starts_with('#'))
            .any(|l| l.contains("classic")),
        "{rtm}"
    );
}
