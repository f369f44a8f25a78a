//! Every manifest `lookerbot manifest` can print, checked against Slack's app manifest reference
//! (`data/manifest/fields.json`: field names, types, required fields, limits) and against the scope and event names
//! of Slack's API reference (`data/`). A field Slack does not know, a wrong type, a made-up scope or event fails.

use std::collections::BTreeSet;
use std::path::PathBuf;

use admin::manifest::{check_public_url, looker_hosts, manifest_yaml, manifest_yaml_for_identity, uses_user_identity};
use config::{Environment, SlackMode};
use serde_json::Value;
use serde_yaml_ng::Value as Yaml;

fn data(path: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data").join(path);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// One documented field of the manifest.
struct Field {
    path: String,
    kind: String,
    required: bool,
    max_length: Option<usize>,
    max_items: Option<usize>,
    pattern: Option<String>,
    items: Option<String>,
    https: bool,
}

fn fields() -> Vec<Field> {
    let doc = data("manifest/fields.json");
    assert!(
        doc["source"]
            .as_str()
            .unwrap()
            .contains("api.slack.com/reference/manifests")
    );
    doc["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| Field {
            path: f["path"].as_str().unwrap().to_string(),
            kind: f["type"].as_str().unwrap().to_string(),
            required: f["required"].as_bool().unwrap_or(false),
            max_length: f["max_length"].as_u64().map(|n| n as usize),
            max_items: f["max_items"].as_u64().map(|n| n as usize),
            pattern: f["pattern"].as_str().map(str::to_string),
            items: f["items"].as_str().map(str::to_string),
            https: f["https"].as_bool().unwrap_or(false),
        })
        .collect()
}

/// Scope names in Slack's API reference: the bot scopes of the methods, the events' scopes, and the exported
/// manifest's example.
fn known_scopes() -> BTreeSet<String> {
    let mut scopes = BTreeSet::new();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/methods");
    for entry in std::fs::read_dir(dir).unwrap() {
        let method: Value = serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        scopes.extend(strings(&method["scope"]["bot"]));
    }
    for event in data("events.json").as_array().unwrap() {
        // The reference spells one scope `app_mentions.read`; the real scope is `app_mentions:read`.
        scopes.extend(
            strings(&event["scopes"])
                .into_iter()
                .map(|s| if s.contains(':') { s } else { s.replacen('.', ":", 1) }),
        );
    }
    let export = data("manifest/apps.manifest.export.json");
    scopes.extend(strings(
        &export["examples"]["success"]["example"]["manifest"]["oauth_config"]["scopes"]["bot"],
    ));
    scopes
}

fn known_events() -> BTreeSet<String> {
    data("events.json")
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["name"].as_str().map(str::to_string))
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Every way `node` at `path` breaks the reference.
fn violations(node: &Yaml, path: &str, fields: &[Field], out: &mut Vec<String>) {
    let field = fields.iter().find(|f| f.path == path);
    let kind = field.map_or("object", |f| f.kind.as_str());
    match (kind, node) {
        ("object", Yaml::Mapping(map)) => {
            for (key, value) in map {
                let key = key.as_str().unwrap_or_default();
                let child = if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                };
                if fields.iter().all(|f| f.path != child) {
                    out.push(format!("{child}: not a field of Slack's manifest"));
                    continue;
                }
                violations(value, &child, fields, out);
            }
            for required in fields.iter().filter(|f| f.required && parent(&f.path) == path) {
                let key = required.path.rsplit(['.', ']']).next().unwrap_or_default();
                if !map.contains_key(key) {
                    out.push(format!("{}: required", required.path));
                }
            }
        }
        ("array", Yaml::Sequence(items)) => {
            let field = field.unwrap();
            if let Some(max) = field.max_items
                && items.len() > max
            {
                out.push(format!("{path}: {} items, at most {max}", items.len()));
            }
            for item in items {
                match field.items.as_deref() {
                    Some("object") => violations(item, &format!("{path}[]"), fields, out),
                    Some("scope") => check_name(item, path, &known_scopes(), out),
                    Some("event") => check_name(item, path, &known_events(), out),
                    _ => {
                        if item.as_str().is_none() {
                            out.push(format!("{path}: {item:?} is not a string"));
                        }
                    }
                }
            }
        }
        ("string", Yaml::String(text)) => {
            let field = field.unwrap();
            if let Some(max) = field.max_length
                && text.chars().count() > max
            {
                out.push(format!("{path}: longer than {max}"));
            }
            if let Some(pattern) = &field.pattern
                && !matches_pattern(pattern, text)
            {
                out.push(format!("{path}: {text:?} does not match {pattern}"));
            }
            if field.https && !text.starts_with("https://") {
                out.push(format!("{path}: {text:?} is not an https URL"));
            }
        }
        ("boolean", Yaml::Bool(_)) => {}
        ("integer", Yaml::Number(n)) if n.is_i64() => {}
        (kind, node) => out.push(format!("{path}: expected {kind}, found {node:?}")),
    }
}

fn parent(path: &str) -> &str {
    let cut = path.rfind('.').unwrap_or(0);
    &path[..cut]
}

fn check_name(item: &Yaml, path: &str, known: &BTreeSet<String>, out: &mut Vec<String>) {
    match item.as_str() {
        Some(name) if known.contains(name) => {}
        _ => out.push(format!("{path}: {item:?} is not named in Slack's API reference")),
    }
}

/// The few patterns the reference uses, checked by hand (no regex engine needed for three shapes).
fn matches_pattern(pattern: &str, text: &str) -> bool {
    match pattern {
        "^[a-z0-9._-]+$" => {
            !text.is_empty()
                && text
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        }
        "^/[^ ]+$" => text.starts_with('/') && text.len() > 1 && !text.contains(' '),
        "^(message|global)$" => text == "message" || text == "global",
        "^#([0-9a-fA-F]{3}){1,2}$" => {
            let hex = text.trim_start_matches('#');
            text.starts_with('#') && matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit())
        }
        other => panic!("fields.json uses a pattern this test does not know: {other}"),
    }
}

fn parse(yaml: &str) -> Yaml {
    serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("not YAML ({e}):\n{yaml}"))
}

#[test]
fn every_manifest_matches_slacks_manifest_reference() {
    let fields = fields();
    let hosts = vec![
        "https://mycompany.looker.com".to_string(),
        "https://eu.looker.com".to_string(),
    ];
    for mode in [SlackMode::Socket, SlackMode::Events, SlackMode::Rtm] {
        for expand in [false, true] {
            for url in [None, Some("https://bot.example.com")] {
                for user_identity in [false, true] {
                    let yaml = manifest_yaml_for_identity(mode, url, expand, user_identity, &hosts);
                    let mut found = Vec::new();
                    violations(&parse(&yaml), "", &fields, &mut found);
                    assert!(
                        found.is_empty(),
                        "{mode:?} expand={expand} url={url:?} user_identity={user_identity}: {found:#?}\n{yaml}"
                    );
                }
            }
        }
    }
}

#[test]
fn more_lookers_than_slack_takes_unfurl_domains_are_named_in_a_comment() {
    let hosts: Vec<String> = (1..=7).map(|n| format!("https://looker{n}.example.com")).collect();
    let yaml = manifest_yaml(SlackMode::Socket, None, false, &hosts);
    let mut found = Vec::new();
    violations(&parse(&yaml), "", &fields(), &mut found);
    assert!(found.is_empty(), "{found:#?}");
    let comments: String = yaml.lines().filter(|l| l.starts_with('#')).collect();
    assert!(
        comments.contains("looker6.example.com, looker7.example.com"),
        "{comments}"
    );
}

#[test]
fn the_checker_catches_what_slack_would_refuse() {
    let fields = fields();
    let broken = parse(
        "display_information: {name: Lookerbot}\n\
         features:\n  app_home: {messages_tab: true}\n  bot_user: {display_name: Looker Bot}\n\
         oauth_config: {scopes: {bot: [chat:write, chat:write_all]}}\n\
         settings: {socket_mode_enabled: 'yes', event_subscriptions: {bot_events: [message.dm]}}\n",
    );
    let mut found = Vec::new();
    violations(&broken, "", &fields, &mut found);
    let found = found.join("\n");
    for expected in [
        "features.app_home.messages_tab: not a field",
        "features.bot_user.display_name: \"Looker Bot\" does not match",
        "oauth_config.scopes.bot: String(\"chat:write_all\") is not named",
        "settings.socket_mode_enabled: expected boolean",
        "settings.event_subscriptions.bot_events: String(\"message.dm\") is not named",
    ] {
        assert!(found.contains(expected), "{expected:?} not reported in:\n{found}");
    }
    assert!(!found.contains("String(\"chat:write\")"), "{found}");
}

#[test]
fn dms_to_the_bot_are_switched_on() {
    for mode in [SlackMode::Socket, SlackMode::Events] {
        let doc = parse(&manifest_yaml(mode, None, false, &[]));
        let home = &doc["features"]["app_home"];
        assert_eq!(home["messages_tab_enabled"].as_bool(), Some(true), "{mode:?}");
        assert_eq!(
            home["messages_tab_read_only_enabled"].as_bool(),
            Some(false),
            "{mode:?}"
        );
        let events: Vec<&str> = doc["settings"]["event_subscriptions"]["bot_events"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(Yaml::as_str)
            .collect();
        assert!(events.contains(&"message.im"), "{events:?}");
    }
}

#[test]
fn unfurl_domains_come_from_the_looker_addresses_alone() {
    let single = Environment::from_pairs([("LOOKER_URL", "https://mycompany.looker.com")]);
    assert_eq!(looker_hosts(&single), vec!["https://mycompany.looker.com"]);
    let api_only = Environment::from_pairs([("LOOKER_API_BASE_URL", "https://api.looker.com:19999/api/4.0")]);
    let doc = parse(&manifest_yaml(SlackMode::Socket, None, false, &looker_hosts(&api_only)));
    assert_eq!(doc["features"]["unfurl_domains"][0].as_str(), Some("api.looker.com"));
    let several = Environment::from_pairs([(
        "LOOKERS",
        r#"[{"url": "https://a.looker.com"}, {"url": "https://b.looker.com:9999", "clientId": "x"}]"#,
    )]);
    let doc = parse(&manifest_yaml(SlackMode::Socket, None, false, &looker_hosts(&several)));
    let domains: Vec<&str> = doc["features"]["unfurl_domains"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(domains, vec!["a.looker.com", "b.looker.com"]);
    assert!(looker_hosts(&Environment::from_pairs([("LOOKERS", "not json")])).is_empty());
}

#[test]
fn the_public_url_must_be_https_without_a_path() {
    assert_eq!(
        check_public_url("https://bot.example.com/").unwrap(),
        "https://bot.example.com"
    );
    assert_eq!(
        check_public_url("https://bot.example.com:8443").unwrap(),
        "https://bot.example.com:8443"
    );
    for (bad, says) in [
        ("not a url", "is not a URL"),
        ("http://bot.example.com", "not an https:// URL"),
        ("https://bot.example.com/slack/events", "has a path"),
        ("https://bot.example.com/?x=1", "has a path, query"),
        ("ftp://bot.example.com", "not an https:// URL"),
    ] {
        let error = check_public_url(bad).unwrap_err();
        assert!(
            error.contains(says) && error.contains("https://bot.example.com"),
            "{bad}: {error}"
        );
    }
}

fn bot_scopes(yaml: &str) -> Vec<String> {
    parse(yaml)["oauth_config"]["scopes"]["bot"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

#[test]
fn identity_user_adds_the_email_scope_for_any_looker() {
    for mode in [SlackMode::Socket, SlackMode::Events, SlackMode::Rtm] {
        let with = bot_scopes(&manifest_yaml_for_identity(mode, None, false, true, &[]));
        let without = bot_scopes(&manifest_yaml(mode, None, false, &[]));
        assert!(with.iter().any(|s| s == "users:read.email"), "{mode:?}: {with:?}");
        assert!(
            !without.iter().any(|s| s == "users:read.email"),
            "{mode:?}: {without:?}"
        );
        assert_eq!(with.len(), without.len() + 1, "{mode:?}");
    }
    let env = |pairs: &[(&str, &str)]| Environment::from_pairs(pairs.iter().copied());
    assert!(!uses_user_identity(&env(&[])));
    assert!(uses_user_identity(&env(&[("LOOKERBOT_IDENTITY", "User")])));
    assert!(!uses_user_identity(&env(&[("LOOKERBOT_IDENTITY", "service")])));
    let one_of_two = r#"[{"url": "https://a.looker.com"}, {"url": "https://b.looker.com", "identity": "user"}]"#;
    assert!(uses_user_identity(&env(&[("LOOKERS", one_of_two)])));
    let all_service = r#"[{"url": "https://a.looker.com", "identity": "service"}]"#;
    assert!(!uses_user_identity(&env(&[
        ("LOOKERBOT_IDENTITY", "user"),
        ("LOOKERS", all_service)
    ])));
    let inherits = r#"[{"url": "https://a.looker.com"}]"#;
    assert!(uses_user_identity(&env(&[
        ("LOOKERBOT_IDENTITY", "user"),
        ("LOOKERS", inherits)
    ])));
    assert!(
        uses_user_identity(&env(&[("LOOKERBOT_IDENTITY", "everyone")])),
        "when unsure, the manifest asks for the scope"
    );
}
