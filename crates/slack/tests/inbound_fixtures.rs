//! Every Slack fixture (tests/fixtures, copied from the shared fixture set) parses into what the bot expects.

use bot::event::{ChatEvent, Origin};
use serde_json::{Value, json};
use slack::inbound::{InboundEvent, InboundParser, Parsed, SocketFrame, Transport, clean_text};

fn fixture(path: &str) -> Value {
    let text = std::fs::read_to_string(format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn parser(bot: &str) -> InboundParser {
    InboundParser::new(bot)
}

fn event(parsed: Parsed) -> InboundEvent {
    match parsed {
        Parsed::Event(event) => *event,
        other => panic!("expected an event, got {other:?}"),
    }
}

fn message(event: &InboundEvent) -> &bot::event::Message {
    match &event.event {
        ChatEvent::Message(message) => message,
        other => panic!("expected a message, got {other:?}"),
    }
}

#[test]
fn url_verification_answers_the_challenge() {
    let parsed = parser("UBOT")
        .events_api(&fixture("events/url_verification.json"), None, Transport::Http)
        .unwrap();
    assert_eq!(
        parsed,
        Parsed::UrlVerification {
            challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P".into()
        }
    );
}

#[test]
fn app_mention_becomes_a_mention_without_the_bot_tag() {
    let inbound = event(
        parser("U0LAN0Z89")
            .events_api(
                &fixture("events/app_mention.event_callback.json"),
                Some(2),
                Transport::Http,
            )
            .unwrap(),
    );
    let msg = message(&inbound);
    assert_eq!(msg.origin, Origin::Mention);
    assert_eq!(msg.text, "is it everything a river should be?");
    assert_eq!(msg.sender.user_id, "U061F7AUR");
    assert_eq!(msg.sender.team_id.as_deref(), Some("T123ABC456"));
    assert_eq!(msg.conversation.channel_id, "C123ABC456");
    assert_eq!(inbound.context.event_id.as_deref(), Some("Ev123ABC456"));
    assert_eq!(inbound.context.retry_num, Some(2));
    assert_eq!(inbound.context.message_ts.as_deref(), Some("1515449522.000016"));

    let invite = event(
        parser("U0LAN0Z89")
            .events_api(
                &fixture("events/app_mention.invite.event_callback.json"),
                None,
                Transport::Http,
            )
            .unwrap(),
    );
    assert_eq!(message(&invite).text, "You can count on for an honorable mention.");
}

#[test]
fn im_message_is_a_direct_message() {
    let inbound = event(
        parser("UBOT")
            .events_api(&fixture("events/message_im.event_callback.json"), None, Transport::Http)
            .unwrap(),
    );
    let msg = message(&inbound);
    assert_eq!(msg.origin, Origin::DirectMessage);
    assert_eq!(msg.text, "Hello hello can you hear me?");
    assert_eq!(msg.conversation.channel_id, "D024BE91L");
    assert_eq!(inbound.context.event_id.as_deref(), Some("Ev0PV52K21"));
}

#[test]
fn link_shared_carries_the_unfurl_target() {
    let inbound = event(
        parser("UBOT")
            .events_api(
                &fixture("events/link_shared.event_callback.json"),
                None,
                Transport::Http,
            )
            .unwrap(),
    );
    let msg = message(&inbound);
    assert_eq!(msg.origin, Origin::LinkShared);
    assert!(
        msg.text.contains("https://example.com/12345") && msg.text.contains("https://yet.another-example.com/v/abcde")
    );
    let unfurl = inbound.context.unfurl.as_ref().unwrap();
    assert_eq!(unfurl.channel, "C123ABC456");
    assert_eq!(unfurl.ts, "123456789.9875");
    assert_eq!(unfurl.links.len(), 3);
    assert_eq!(msg.conversation.thread.as_deref(), Some("123456621.1855"));

    let composer = event(parser("UBOT").rtm_event(&fixture("events/link_shared.composer.event.json")));
    let unfurl = composer.context.unfurl.unwrap();
    assert_eq!(unfurl.source.as_deref(), Some("composer"));
    assert!(unfurl.unfurl_id.is_some());
}

#[test]
fn slash_command_form_is_parsed() {
    let form = fixture("interactivity/slash_command.form.json");
    let body = form["body"].as_str().unwrap();
    let inbound = parser("UBOT").slash_command_form(body.as_bytes()).unwrap();
    let msg = message(&inbound);
    assert_eq!(msg.origin, Origin::SlashCommand);
    assert_eq!(msg.text, "94070");
    assert_eq!(msg.sender.user_id, "U2147483697");
    assert_eq!(msg.conversation.channel_id, "C2147483705");
    assert_eq!(
        inbound.context.response_url.as_deref(),
        Some("https://hooks.slack.com/commands/1234/5678")
    );
    assert_eq!(inbound.context.command.as_deref(), Some("/weather"));

    let signed = fixture("signing_vector.json");
    let inbound = parser("UBOT")
        .slash_command_form(signed["body"].as_str().unwrap().as_bytes())
        .unwrap();
    assert_eq!(
        inbound.context.response_url.as_deref().unwrap().split('/').nth(2),
        Some("hooks.slack.com")
    );
    assert_eq!(inbound.context.command.as_deref(), Some("/webhook-collect"));
}

#[test]
fn block_actions_click_carries_the_value_and_response_url() {
    let inbound = event(
        parser("UBOT")
            .interactive(&fixture("interactivity/block_actions.message.json"), Transport::Http)
            .unwrap(),
    );
    let ChatEvent::ButtonClick(click) = &inbound.event else {
        panic!("not a click")
    };
    assert_eq!(click.value, "click_me_123");
    assert_eq!(click.sender.user_id, "UA8RXUSPL");
    assert_eq!(click.sender.team_id.as_deref(), Some("T9TK3CUKW"));
    assert_eq!(click.conversation.channel_id, "CBR2V3XEX");
    assert_eq!(
        inbound.context.response_url.as_deref(),
        Some("https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209")
    );
    assert_eq!(inbound.context.message_ts.as_deref(), Some("1548261231.000200"));
}

#[test]
fn legacy_interactive_message_uses_the_selected_value() {
    let payload = fixture("interactivity/interactive_message.legacy.json");
    let inbound = event(parser("UBOT").interactive(&payload, Transport::Http).unwrap());
    let ChatEvent::ButtonClick(click) = &inbound.event else {
        panic!("not a click")
    };
    assert_eq!(click.value, "C012AB3CD");
    assert_eq!(click.conversation.channel_id, "C012AB3CD");
    assert_eq!(inbound.context.message_ts.as_deref(), Some("1481579582.000003"));

    let form = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    assert_eq!(
        parser("UBOT").interactive_form(form.as_bytes()).unwrap(),
        Parsed::Event(Box::new(inbound))
    );
}

#[test]
fn the_slash_command_response_fixture_is_valid_json() {
    let response = fixture("interactivity/slash_command.response.in_channel.json");
    assert_eq!(response["response_type"], "in_channel");
}

#[test]
fn socket_mode_frames_parse() {
    let p = parser("U111");
    assert_eq!(
        p.socket_frame(&fixture("socket_mode/hello.docs.json")),
        SocketFrame::Hello
    );
    assert_eq!(
        p.socket_frame(&fixture("socket_mode/hello.sdk.json")),
        SocketFrame::Hello
    );
    for (file, reason) in [
        ("disconnect.warning.json", "warning"),
        ("disconnect.refresh_requested.json", "refresh_requested"),
        ("disconnect.link_disabled.json", "link_disabled"),
        ("disconnect.too_many_websockets.json", "too_many_websockets"),
    ] {
        assert_eq!(
            p.socket_frame(&fixture(&format!("socket_mode/{file}"))),
            SocketFrame::Disconnect { reason: reason.into() }
        );
    }

    let SocketFrame::Envelope {
        envelope_id,
        kind,
        parsed,
    } = p.socket_frame(&fixture("socket_mode/events_api.app_mention.envelope.json"))
    else {
        panic!("not an envelope")
    };
    assert_eq!(
        (envelope_id.as_str(), kind.as_str()),
        ("cda4159a-72a5-4744-aba3-4d66eb52682b", "events_api")
    );
    let inbound = event(parsed.unwrap());
    assert_eq!(message(&inbound).origin, Origin::Mention);
    assert_eq!(message(&inbound).text, "");
    assert_eq!(inbound.context.transport, Transport::SocketMode);
    assert_eq!(inbound.context.retry_num, Some(0));

    // A channel message that mentions the bot also arrives as app_mention, so the message copy is dropped.
    let SocketFrame::Envelope { parsed, .. } = p.socket_frame(&fixture("socket_mode/events_api.message.envelope.json"))
    else {
        panic!()
    };
    assert!(matches!(parsed.unwrap(), Parsed::Ignored(_)));

    for file in ["slash_commands.envelope.json", "slash_commands.envelope.sdk.json"] {
        let SocketFrame::Envelope { kind, parsed, .. } = p.socket_frame(&fixture(&format!("socket_mode/{file}")))
        else {
            panic!()
        };
        assert_eq!(kind, "slash_commands");
        let inbound = event(parsed.unwrap());
        assert_eq!(message(&inbound).origin, Origin::SlashCommand);
        assert!(inbound.context.response_url.is_some());
    }

    let SocketFrame::Envelope { parsed, .. } =
        p.socket_frame(&fixture("socket_mode/interactive.block_actions.envelope.json"))
    else {
        panic!()
    };
    let ChatEvent::ButtonClick(click) = event(parsed.unwrap()).event else {
        panic!("not a click")
    };
    assert_eq!(click.value, "click_me_123");

    let SocketFrame::Envelope { parsed, .. } =
        p.socket_frame(&fixture("socket_mode/interactive.shortcut.envelope.json"))
    else {
        panic!()
    };
    assert!(matches!(parsed.unwrap(), Parsed::Ignored(_)));

    // Frames we only send (acks) and the connections.open answer are not envelopes.
    assert_eq!(
        p.socket_frame(&fixture("socket_mode/apps.connections.open.response.json")),
        SocketFrame::Unknown
    );
    let ack = fixture("socket_mode/ack.json");
    assert!(matches!(
        p.socket_frame(&ack),
        SocketFrame::Envelope { .. } | SocketFrame::Unknown
    ));
    assert!(fixture("socket_mode/slash_commands.ack_with_payload.json")["payload"]["blocks"].is_array());
}

#[test]
fn bots_edits_joins_and_plain_channel_chatter_are_ignored() {
    let p = parser("UBOT");
    let wrap = |event: Value| json!({ "type": "event_callback", "team_id": "T1", "event_id": "Ev1", "event": event });
    let ignored = [
        json!({ "type": "message", "channel": "D1", "channel_type": "im", "user": "UBOT", "text": "my own" }),
        json!({ "type": "message", "channel": "D1", "channel_type": "im", "user": "U2", "bot_id": "B2", "text": "other bot" }),
        json!({ "type": "message", "subtype": "bot_message", "channel": "C1", "text": "bot" }),
        json!({ "type": "message", "subtype": "message_changed", "channel": "D1", "channel_type": "im", "message": {} }),
        json!({ "type": "message", "subtype": "channel_join", "channel": "C1", "user": "U2", "text": "joined" }),
        json!({ "type": "message", "channel": "C1", "channel_type": "channel", "user": "U2", "text": "hello all" }),
        json!({ "type": "app_mention", "channel": "C1", "user": "U2", "bot_id": "B9", "text": "<@UBOT> hi" }),
        json!({ "type": "reaction_added", "user": "U2" }),
    ];
    for inner in ignored {
        let parsed = p.events_api(&wrap(inner.clone()), None, Transport::Http).unwrap();
        assert!(matches!(parsed, Parsed::Ignored(_)), "{inner} -> {parsed:?}");
    }
    let expanding = InboundParser {
        expand_urls: true,
        ..parser("UBOT")
    };
    let channel_msg = json!({ "type": "message", "channel": "C1", "channel_type": "channel", "user": "U2", "text": "see <https://looker.example.com/looks/3>" });
    let inbound = event(expanding.events_api(&wrap(channel_msg), None, Transport::Http).unwrap());
    assert_eq!(message(&inbound).origin, Origin::ChannelMessage);
    assert_eq!(message(&inbound).text, "see https://looker.example.com/looks/3");
}

#[test]
fn rtm_messages_with_a_mention_are_mentions() {
    let p = parser("UBOT");
    let inbound = event(p.rtm_event(
        &json!({ "type": "message", "channel": "C1", "user": "U2", "text": "<@UBOT> run &lt;look&gt;", "ts": "1.2" }),
    ));
    assert_eq!(message(&inbound).origin, Origin::Mention);
    assert_eq!(message(&inbound).text, "run <look>");
    let dm = event(p.rtm_event(&json!({ "type": "message", "channel": "D1", "user": "U2", "text": "hi" })));
    assert_eq!(message(&dm).origin, Origin::DirectMessage);
    assert_eq!(inbound.context.transport, Transport::Rtm);
}

#[test]
fn malformed_bodies_are_errors() {
    let p = parser("UBOT");
    assert!(p.events_api(&json!({ "no": "type" }), None, Transport::Http).is_err());
    assert!(
        p.events_api(&json!({ "type": "event_callback" }), None, Transport::Http)
            .is_err()
    );
    assert!(p.interactive_form(b"payload=%7Bnot-json").is_err());
    assert!(p.interactive_form(b"other=1").is_err());
    assert!(p.slash_command_form(b"command=%2Flooker&text=hi").is_err());
    assert_eq!(clean_text("&amp;lt;", None), "&lt;");
}
