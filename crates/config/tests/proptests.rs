//! `LOOKERS` as anyone might write it: reading it never panics, and an instance is only accepted with what it needs.

use config::{Config, Environment, Needs};
use proptest::prelude::*;
use serde_json::{Value, json};

fn text() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!("https://me.looker.com")),
        Just(json!("https://me.looker.com:19999/api/4.0")),
        Just(json!("me.looker.com")),
        Just(json!("")),
        ".{0,16}".prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(json!([])),
        Just(json!({})),
    ]
}

fn instance() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "url",
        "apiBaseUrl",
        "clientId",
        "clientSecret",
        "customCommandSpaceId",
        "customCommandFolderId",
        "webhookToken",
        "caBundle",
        "verifySsl",
        "other",
    ]);
    prop::collection::btree_map(keys.prop_map(str::to_string), text(), 0..9)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// A working instance with some of its keys replaced by anything.
fn damaged_instance() -> impl Strategy<Value = Value> {
    instance().prop_map(|changes| {
        let mut base = json!({
            "url": "https://me.looker.com", "apiBaseUrl": "https://me.looker.com:19999/api/4.0",
            "clientId": "id", "clientSecret": "looker-secret-1",
        });
        for (k, v) in changes.as_object().unwrap() {
            base[k] = v.clone();
        }
        base
    })
}

fn lookers_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(damaged_instance(), 1..3).prop_map(|v| Value::from(v).to_string()),
        prop::collection::vec(instance(), 0..4).prop_map(|v| Value::from(v).to_string()),
        instance().prop_map(|v| v.to_string()),
        ".{0,60}",
        "[\\[\\]{}\":,a-zA-Z ]{0,60}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_lookers_value_is_read_or_refused_by_name(value in lookers_value()) {
        let env = Environment::from_pairs([("LOOKERS", value.as_str()), ("SLACK_API_KEY", "xoxb-1")]);
        match Config::from_env(&env, Needs::SERVER) {
            Ok(config) => {
                prop_assert!(!config.lookers.is_empty());
                for looker in &config.lookers {
                    prop_assert!(looker.url.has_host(), "{}", looker.url);
                    prop_assert!(!looker.client_id.is_empty());
                    prop_assert!(!looker.client_secret.expose().is_empty());
                }
            }
            Err(e) => {
                prop_assert!(e.problems.iter().any(|p| p.variable.starts_with("LOOKER")), "{}", e);
                // Whatever was written, the secret values are not repeated back.
                let shown = e.to_string();
                if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(&value) {
                    // A secret that is also written as another value (of any entry) may be shown as that value.
                    let elsewhere = |s: &str| {
                        items.iter().filter_map(Value::as_object).flatten().any(|(k, v)| k != "clientSecret" && v.to_string().contains(s))
                    };
                    for item in &items {
                        if let Some(secret) = item["clientSecret"].as_str().filter(|s| s.len() >= 8 && !elsewhere(s)) {
                            prop_assert!(!shown.contains(secret), "{}", shown);
                        }
                    }
                }
            }
        }
    }
}
