//! Hostile input at the Slack edge: random signatures, bodies and payloads never panic, only genuine signatures
//! pass, and text from people or data never becomes a mention or a link.

use bot::reply::{Block, Inline, Reply};
use proptest::prelude::*;
use serde_json::Value;
use slack::inbound::{InboundParser, Transport, clean_text, decode_entities, interactive_payload};
use slack::render::render;
use slack::secret::Secret;
use slack::verify::SigningVerifier;

const NOW: i64 = 1_700_000_000;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

fn verifier() -> SigningVerifier {
    SigningVerifier::new(Secret::new("8f742231b10e8888abcd99yyyzzz85a5"))
}

/// Any JSON value, a few levels deep, with Slack's key names so parsers get past their first checks.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        prop::sample::select(vec![
            "event_callback",
            "message",
            "app_mention",
            "block_actions",
            "url_verification"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop::sample::select(vec![
            "type",
            "event",
            "text",
            "user",
            "channel",
            "id",
            "actions",
            "value",
            "event_id",
            "ts",
            "thread_ts",
            "team_id",
            "bot_id",
            "subtype",
            "links",
            "payload",
            "envelope_id",
            "container",
            "message",
            "files",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(keys.prop_map(str::to_string), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Text carrying every mrkdwn control sequence Slack knows.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<!channel>".to_string()),
        Just("<!here|here>".to_string()),
        Just("<!subteam^S123>".to_string()),
        Just("<@U0BOSS>".to_string()),
        Just("<#C0GENERAL>".to_string()),
        Just("<https://evil.example|click>".to_string()),
        Just("<http://x>".to_string()),
        Just("&lt;!channel&gt;".to_string()),
        Just("`".to_string()),
        Just("*".to_string()),
        Just("|".to_string()),
        "[<>&!@#|a-z ]{0,6}",
        ".{0,6}",
    ];
    prop::collection::vec(piece, 0..6).prop_map(|p| p.concat())
}

/// The strings of a rendered message Slack reads as mrkdwn: the fallback text and every `mrkdwn` text object.
fn mrkdwn_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("mrkdwn")
                && let Some(text) = map.get("text").and_then(Value::as_str)
            {
                out.push(text.to_string());
            }
            map.values().for_each(|v| mrkdwn_strings(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| mrkdwn_strings(v, out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn only_a_genuine_recent_signature_verifies(
        body in prop::collection::vec(any::<u8>(), 0..512),
        skew in -600i64..600,
        flip in any::<prop::sample::Index>(),
    ) {
        let verifier = verifier();
        let timestamp = (NOW - skew).to_string();
        let signature = verifier.sign(&timestamp, &body);
        let verdict = verifier.verify(Some(&timestamp), Some(&signature), &body, NOW);
        prop_assert_eq!(verdict.is_ok(), skew.abs() <= 300, "skew {}", skew);
        if !body.is_empty() {
            let mut tampered = body.clone();
            let at = flip.index(tampered.len());
            tampered[at] ^= 0x01;
            prop_assert!(verifier.verify(Some(&timestamp), Some(&signature), &tampered, NOW).is_err());
        }
        let other = SigningVerifier::new(Secret::new("another-secret"));
        prop_assert!(other.verify(Some(&timestamp), Some(&signature), &body, NOW).is_err());
    }

    #[test]
    fn random_headers_never_verify_or_panic(
        timestamp in prop::option::of(prop_oneof!["-?[0-9]{0,25}", ".{0,30}"]),
        signature in prop::option::of(prop_oneof!["v0=[0-9a-f]{0,70}", ".{0,80}"]),
        body in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let verdict = verifier().verify(timestamp.as_deref(), signature.as_deref(), &body, NOW);
        prop_assert!(verdict.is_err());
    }

    #[test]
    fn random_form_bodies_never_panic(body in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        "(payload|text|command|user_id|channel_id|response_url|team_id)=[%a-zA-Z0-9&=+{}\\[\\]\":,]{0,80}"
            .prop_map(String::into_bytes),
    ]) {
        let parser = InboundParser::new("UBOT");
        let _ = parser.slash_command_form(&body);
        let _ = parser.interactive_form(&body);
        let _ = interactive_payload(&body);
    }

    #[test]
    fn random_event_and_interactive_json_never_panics(value in json_value(), retry in prop::option::of(0u32..10)) {
        let parser = InboundParser::new("UBOT");
        let _ = parser.events_api(&value, retry, Transport::Http);
        let _ = parser.interactive(&value, Transport::Http);
        let _ = parser.socket_frame(&value);
        let _ = parser.rtm_event(&value);
        let wrapped = serde_json::json!({"type": "event_callback", "event_id": "Ev1", "event": value});
        let _ = parser.events_api(&wrapped, retry, Transport::SocketMode);
    }

    #[test]
    fn user_text_cleaning_never_panics(text in hostile_text(), bot in prop::option::of("U[A-Z0-9]{0,8}")) {
        let _ = clean_text(&text, bot.as_deref());
        let _ = decode_entities(&text);
    }

    #[test]
    fn data_never_becomes_a_mention_or_a_link(
        heading in hostile_text(),
        words in prop::collection::vec(hostile_text(), 1..4),
        label in hostile_text(),
        value in hostile_text(),
    ) {
        let inline = |t: &String, n: usize| match n % 4 {
            0 => Inline::Text(t.clone()),
            1 => Inline::Bold(t.clone()),
            2 => Inline::Italic(t.clone()),
            _ => Inline::Code(t.clone()),
        };
        let paragraph: Vec<Inline> = words.iter().enumerate().map(|(n, t)| inline(t, n)).collect();
        let reply = Reply::new(vec![
            Block::Heading { text: heading, link: None },
            Block::Paragraph(paragraph.clone()),
            Block::Fields(vec![(label, vec![Inline::Text(value)])]),
            Block::Context(paragraph),
        ]);
        let rendered = render(&reply);
        let mut texts = vec![rendered.text.clone()];
        let blocks = serde_json::to_value(&rendered.blocks).unwrap();
        mrkdwn_strings(&blocks, &mut texts);
        prop_assert!(texts.len() >= 4, "the paragraph, fields and context are mrkdwn: {:?}", rendered.blocks);
        for text in texts {
            prop_assert!(!text.contains("<!"), "{}", text);
            prop_assert!(!text.contains("<http"), "{}", text);
            prop_assert!(!text.contains("<@") && !text.contains("<#"), "{}", text);
        }
    }
}
