//! Looker webhook bodies from anyone: parsing and checking never panic, an attachment (Base64 broken into lines, as
//! Looker sends it; the bot skips it unread) never makes a body fail, and only plans of the configured Looker become
//! deliveries.

use bot::delivery::{Delivery, Target};
use bot::lookers::Lookers;
use config::{Config, Environment, Needs};
use looker::models::WebhookPayload;
use looker::{ClientOptions, LookerClient};
use proptest::prelude::*;
use serde_json::{Value, json};
use url::Url;

const LOOKER: &str = "https://me.looker.com";

/// The one configured Looker (clients are built once: each holds an HTTP client).
fn lookers() -> &'static Lookers {
    static LOOKERS: std::sync::LazyLock<Lookers> = std::sync::LazyLock::new(configured_lookers);
    &LOOKERS
}

fn configured_lookers() -> Lookers {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let env = Environment::from_pairs([
        ("LOOKER_URL", LOOKER),
        ("LOOKER_API_BASE_URL", "https://me.looker.com:19999/api/4.0"),
        ("LOOKER_API_3_CLIENT_ID", "id"),
        ("LOOKER_API_3_CLIENT_SECRET", "secret"),
        ("LOOKER_WEBHOOK_TOKEN", "token"),
    ]);
    let config = Config::from_env(&env, Needs::LOOKER_ONLY).unwrap();
    let client = LookerClient::new(&config.lookers[0], ClientOptions::default()).unwrap();
    Lookers::new(vec![client])
}

/// Plan URLs: the real Looker, look-alikes, other schemes and ports, and junk.
fn plan_url() -> impl Strategy<Value = Option<String>> {
    let host = prop::sample::select(vec![
        "https://me.looker.com",
        "https://me.looker.com.evil.example",
        "https://evil.example/me.looker.com",
        "https://me.looker.com@evil.example",
        "http://me.looker.com",
        "https://me.looker.com:19999",
        "https://ME.LOOKER.COM",
        "https://me-looker.com",
        "javascript:alert(1)//me.looker.com",
        "",
    ]);
    let path = prop_oneof![
        "/looks/[0-9]{1,4}".boxed(),
        "/dashboards/[0-9a-z:_]{1,10}(\\?State=[a-zA-Z%]{0,8})?".boxed(),
        "/x/[A-Za-z0-9]{0,10}".boxed(),
        ".{0,20}".boxed(),
    ];
    prop::option::of((host, path).prop_map(|(h, p)| format!("{h}{p}")))
}

/// Base64 text broken into lines of any length, with `\n` or `\r\n`, as Looker's attachments come.
fn base64_with_line_breaks() -> impl Strategy<Value = String> {
    ("[A-Za-z0-9+/]{0,300}", 1usize..80, any::<bool>()).prop_map(|(text, width, crlf)| {
        let padded = format!("{text}{}", "=".repeat((4 - text.len() % 4) % 4));
        let newline = if crlf { "\r\n" } else { "\n" };
        padded
            .as_bytes()
            .chunks(width)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(newline)
    })
}

fn id() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<u32>().prop_map(Value::from),
        "[0-9a-z]{0,6}".prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(json!([1])),
    ]
}

fn payload() -> impl Strategy<Value = Value> {
    let kind = prop::sample::select(vec!["Look", "Dashboard", "LookMLDashboard", "Query", "", "Other"]);
    (plan_url(), kind, id(), id(), base64_with_line_breaks(), any::<bool>()).prop_map(
        |(url, kind, plan_id, query_id, data, differ)| {
            json!({
                "type": "query",
                "scheduled_plan": {
                    "scheduled_plan_id": plan_id, "title": "T", "type": kind, "url": url,
                    "query_id": query_id, "filters_differ_from_look": differ,
                },
                "attachment": {"mimetype": "image/png;base64", "extension": "png", "data": data},
                "data": null,
                "form_params": {},
            })
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn only_plans_of_the_configured_looker_become_deliveries(payload in payload()) {
        let lookers = lookers();
        let parsed: Result<WebhookPayload, _> = serde_json::from_value(payload.clone());
        let Ok(parsed) = parsed else {
            // Only ids of the wrong shape may be refused by the parser.
            let plan = &payload["scheduled_plan"];
            prop_assert!(plan["scheduled_plan_id"].is_array() || plan["query_id"].is_array()
                || plan["scheduled_plan_id"].is_boolean() || plan["query_id"].is_boolean());
            return Ok(());
        };
        let Ok(delivery) = Delivery::from_webhook(lookers, parsed, Target::Channel("general".into())) else {
            return Ok(());
        };
        let Delivery::Scheduled { plan, looker_url, .. } = &delivery else {
            panic!("a webhook makes a scheduled delivery");
        };
        prop_assert_eq!(Url::parse(looker_url).unwrap().origin(), Url::parse(LOOKER).unwrap().origin());
        match plan.url.as_deref().map(Url::parse) {
            Some(Ok(url)) => prop_assert_eq!(url.origin(), Url::parse(LOOKER).unwrap().origin(), "{}", url),
            Some(Err(_)) => prop_assert!(false, "an unparsable plan URL was accepted"),
            None => prop_assert!(plan.query_id.is_some()),
        }
        // What is stored in the queue comes back the same.
        let stored = serde_json::to_value(&delivery).unwrap();
        prop_assert_eq!(serde_json::from_value::<Delivery>(stored).unwrap(), delivery);
    }

    #[test]
    fn any_json_body_parses_or_is_refused_without_panicking(body in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        "[\\[\\]{}\":,a-z0-9_ ]{0,200}".prop_map(String::into_bytes),
    ]) {
        if let Ok(parsed) = serde_json::from_slice::<WebhookPayload>(&body) {
            let _ = parsed.param("channel");
            let _ = Delivery::from_webhook(lookers(), parsed, Target::Person("alice".into()));
        }
    }
}
