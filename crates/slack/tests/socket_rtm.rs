//! Socket Mode and RTM clients against the simulator.

mod common;

use std::sync::Arc;

use bot::event::{ChatEvent, Origin};
use common::{Recorder, eventually, fast_reconnect, next_event, sim, web};
use serde_json::{Value, json};
use slack::Secret;
use slack::dedupe::MemoryDedupe;
use slack::inbound::InboundParser;
use slack::rtm::RtmClient;
use slack::socket::SocketModeClient;
use slack_sim::SlackSim;

fn mention_envelope(sim: &SlackSim, envelope_id: &str, event_id: &str) -> Value {
    json!({
        "envelope_id": envelope_id,
        "type": "events_api",
        "accepts_response_payload": false,
        "retry_attempt": 0,
        "payload": {
            "type": "event_callback",
            "team_id": "T0SIM",
            "event_id": event_id,
            "event": {
                "type": "app_mention",
                "user": "U0ALICE",
                "channel": "C0GENERAL",
                "text": format!("<@{}> show look 7", sim.bot_user_id()),
                "ts": "1700000000.000100",
            },
        },
    })
}

fn start_socket_client(sim: &SlackSim, handler: Arc<Recorder>) -> slack::ws::ClientHandle {
    SocketModeClient::new(
        web(sim),
        Secret::new(sim.app_token()),
        InboundParser::new(sim.bot_user_id()),
        handler,
    )
    .with_policy(fast_reconnect())
    .with_dedupe(Arc::new(MemoryDedupe::default()))
    .start()
}

#[tokio::test]
async fn envelopes_are_acked_and_handled() {
    let sim = sim().await;
    let (recorder, mut events) = Recorder::new();
    let client = start_socket_client(&sim, recorder.clone());

    sim.send_socket_envelope(mention_envelope(&sim, "env-1", "Ev1"))
        .await
        .unwrap();
    assert!(
        sim.socket_acks().iter().any(|ack| ack["envelope_id"] == "env-1"),
        "{:?}",
        sim.socket_acks()
    );
    let event = next_event(&mut events).await;
    assert_eq!(event.context.retry_num, Some(0));
    assert!(!event.context.is_redelivery(), "retry_attempt 0 is the first delivery");
    let ChatEvent::Message(message) = &event.event else {
        panic!("not a message")
    };
    assert_eq!(
        (message.origin, message.text.as_str()),
        (Origin::Mention, "show look 7")
    );

    let command = json!({
        "envelope_id": "env-2",
        "type": "slash_commands",
        "accepts_response_payload": true,
        "payload": {
            "command": "/looker", "text": "help", "user_id": "U0BOB", "team_id": "T0SIM",
            "channel_id": "C0GENERAL", "response_url": sim.response_url("r1"),
        },
    });
    sim.send_socket_envelope(command).await.unwrap();
    let ack = sim
        .socket_acks()
        .into_iter()
        .find(|ack| ack["envelope_id"] == "env-2")
        .unwrap();
    assert!(
        ack.get("payload").is_none(),
        "slash commands are acked without a payload: {ack}"
    );
    let event = next_event(&mut events).await;
    assert_eq!(event.context.response_url, Some(sim.response_url("r1")));

    // A redelivery of an event already handled is acked but not handled again.
    let mut retry = mention_envelope(&sim, "env-3", "Ev1");
    retry["retry_attempt"] = json!(1);
    sim.send_socket_envelope(retry).await.unwrap();
    assert!(sim.socket_acks().iter().any(|ack| ack["envelope_id"] == "env-3"));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(recorder.count(), 2);
    client.shutdown().await;
}

#[tokio::test]
async fn a_dropped_socket_reconnects() {
    let sim = sim().await;
    let (recorder, mut events) = Recorder::new();
    let client = start_socket_client(&sim, recorder);
    eventually(|| sim.socket_connections() == 1).await;
    sim.drop_socket().await;
    eventually(|| sim.socket_connections() == 2).await;
    sim.send_socket_envelope(mention_envelope(&sim, "env-after-drop", "Ev2"))
        .await
        .unwrap();
    next_event(&mut events).await;
    assert_eq!(sim.calls_to("apps.connections.open").len(), 2);
    assert_eq!(
        sim.calls_to("apps.connections.open")[0].token.as_deref(),
        Some(sim.app_token())
    );
    client.shutdown().await;
}

#[tokio::test]
async fn a_disconnect_frame_reconnects() {
    let sim = sim().await;
    let (recorder, mut events) = Recorder::new();
    let client = start_socket_client(&sim, recorder);
    eventually(|| sim.socket_connections() == 1).await;
    sim.socket_disconnect("refresh_requested").await;
    eventually(|| sim.socket_connections() == 2).await;
    sim.send_socket_envelope(mention_envelope(&sim, "env-after-refresh", "Ev3"))
        .await
        .unwrap();
    next_event(&mut events).await;
    client.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_the_client() {
    let sim = sim().await;
    let (recorder, _events) = Recorder::new();
    let client = start_socket_client(&sim, recorder);
    eventually(|| sim.socket_connections() == 1).await;
    tokio::time::timeout(std::time::Duration::from_secs(2), client.shutdown())
        .await
        .expect("shutdown is prompt");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(sim.socket_connections(), 1, "no reconnect after shutdown");
}

#[tokio::test]
async fn rtm_events_reach_the_handler_and_reconnect_after_a_drop() {
    let sim = sim().await;
    let (recorder, mut events) = Recorder::new();
    let client = RtmClient::new(web(&sim), InboundParser::new(sim.bot_user_id()), recorder)
        .with_policy(fast_reconnect())
        .start();
    let dm = json!({ "type": "message", "channel": "D0ALICE", "user": "U0ALICE", "text": "run look 3", "ts": "1700000000.1" });
    sim.send_rtm_event(dm.clone()).await.unwrap();
    let event = next_event(&mut events).await;
    let ChatEvent::Message(message) = &event.event else {
        panic!("not a message")
    };
    assert_eq!(
        (message.origin, message.text.as_str()),
        (Origin::DirectMessage, "run look 3")
    );

    let own = json!({ "type": "message", "channel": "D0ALICE", "user": sim.bot_user_id(), "text": "my reply" });
    sim.send_rtm_event(own).await.unwrap();
    sim.drop_socket().await;
    eventually(|| sim.calls_to("rtm.connect").len() == 2).await;
    sim.send_rtm_event(dm).await.unwrap();
    let again = next_event(&mut events).await;
    let ChatEvent::Message(message) = &again.event else {
        panic!("not a message")
    };
    assert_eq!(message.text, "run look 3", "the bot's own message was skipped");
    client.shutdown().await;
}
