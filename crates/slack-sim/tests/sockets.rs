//! Socket Mode and RTM WebSocket endpoints.

mod common;

use std::time::Duration;

use common::{call, call_with_token, missing_keys, start};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use slack_sim::{SimError, SlackSim};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn socket_mode_url(sim: &SlackSim) -> String {
    let (_, body) = call_with_token(sim, "apps.connections.open", Some(sim.app_token()), &[]).await;
    body["url"].as_str().unwrap().to_owned()
}

async fn next_json(ws: &mut Client) -> Value {
    let frame = tokio::time::timeout(Duration::from_secs(2), ws.next())
        .await
        .expect("a frame within 2s");
    match frame {
        Some(Ok(Message::Text(text))) => serde_json::from_str(text.as_str()).unwrap(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

async fn send_json(ws: &mut Client, value: Value) {
    ws.send(Message::Text(value.to_string().into())).await.unwrap();
}

#[tokio::test]
async fn socket_mode_hello_envelope_and_ack_round_trip() {
    let sim = start().await;
    let (mut ws, _) = connect_async(socket_mode_url(&sim).await).await.unwrap();
    let hello = next_json(&mut ws).await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(
        missing_keys(&common::fixture("hello.sdk.json"), &hello),
        Vec::<String>::new()
    );

    let envelope = json!({
        "envelope_id": "env-1",
        "type": "events_api",
        "accepts_response_payload": false,
        "payload": { "type": "event_callback", "event": { "type": "app_mention", "text": "<@UBOT> hi" } },
    });
    let pusher = tokio::spawn({
        let sim = sim.clone();
        let envelope = envelope.clone();
        async move { sim.send_socket_envelope(envelope).await }
    });
    let received = next_json(&mut ws).await;
    assert_eq!(received, envelope);
    send_json(&mut ws, json!({ "envelope_id": "env-1", "payload": { "text": "ok" } })).await;
    pusher.await.unwrap().expect("ack arrives");
    assert_eq!(
        sim.socket_acks(),
        vec![json!({ "envelope_id": "env-1", "payload": { "text": "ok" } })]
    );
    assert_eq!(sim.socket_connections(), 1);
}

#[tokio::test]
async fn envelope_without_id_gets_one_and_missing_ack_times_out() {
    let sim = start().await;
    let (mut ws, _) = connect_async(socket_mode_url(&sim).await).await.unwrap();
    next_json(&mut ws).await;
    let pusher = tokio::spawn({
        let sim = sim.clone();
        async move {
            sim.send_socket_envelope(json!({ "type": "slash_commands", "payload": {} }))
                .await
        }
    });
    let received = next_json(&mut ws).await;
    assert!(
        received["envelope_id"].as_str().is_some_and(|id| !id.is_empty()),
        "{received}"
    );
    match pusher.await.unwrap() {
        Err(SimError::AckTimeout { envelope_id, .. }) => {
            assert_eq!(envelope_id, received["envelope_id"])
        }
        other => panic!("expected an ack timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn pushing_without_a_client_fails() {
    let sim = start().await;
    let result = sim.send_rtm_event(json!({ "type": "message" })).await;
    assert!(matches!(result, Err(SimError::NotConnected { .. })), "{result:?}");
}

#[tokio::test]
async fn tickets_are_single_use() {
    let sim = start().await;
    let url = socket_mode_url(&sim).await;
    let (_first, _) = connect_async(&url).await.unwrap();
    assert!(connect_async(&url).await.is_err(), "a used ticket is refused");
    let rtm_ticket_on_socket_path = {
        let (_, rtm) = call(&sim, "rtm.connect", &[]).await;
        rtm["url"].as_str().unwrap().replace("/rtm/", "/link/")
    };
    assert!(connect_async(&rtm_ticket_on_socket_path).await.is_err());
}

#[tokio::test]
async fn disconnect_sends_the_frame_then_closes_and_the_client_can_reconnect() {
    let sim = start().await;
    let (mut ws, _) = connect_async(socket_mode_url(&sim).await).await.unwrap();
    next_json(&mut ws).await;
    sim.socket_disconnect("refresh_requested").await;
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["reason"], "refresh_requested");
    assert_eq!(
        missing_keys(&common::fixture("disconnect.refresh_requested.json"), &frame),
        Vec::<String>::new()
    );
    let after = tokio::time::timeout(Duration::from_secs(2), ws.next()).await.unwrap();
    assert!(matches!(after, Some(Ok(Message::Close(_))) | None), "{after:?}");

    let (mut again, _) = connect_async(socket_mode_url(&sim).await).await.unwrap();
    assert_eq!(next_json(&mut again).await["type"], "hello");
    assert_eq!(sim.socket_connections(), 2);
}

#[tokio::test]
async fn drop_socket_closes_without_a_close_frame() {
    let sim = start().await;
    let (mut ws, _) = connect_async(socket_mode_url(&sim).await).await.unwrap();
    next_json(&mut ws).await;
    sim.drop_socket().await;
    let after = tokio::time::timeout(Duration::from_secs(2), ws.next()).await.unwrap();
    assert!(
        !matches!(after, Some(Ok(Message::Close(_))) | Some(Ok(Message::Text(_)))),
        "{after:?}"
    );
}

#[tokio::test]
async fn rtm_hello_events_and_ping_pong() {
    let sim = start().await;
    let (_, body) = call(&sim, "rtm.connect", &[]).await;
    let (mut ws, _) = connect_async(body["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(next_json(&mut ws).await, json!({ "type": "hello" }));

    let event = json!({ "type": "message", "channel": "C0GENERAL", "user": "U0ALICE", "text": "hi", "ts": "1.000001" });
    sim.send_rtm_event(event.clone()).await.unwrap();
    assert_eq!(next_json(&mut ws).await, event);

    send_json(&mut ws, json!({ "type": "ping", "id": 42 })).await;
    assert_eq!(next_json(&mut ws).await, json!({ "type": "pong", "reply_to": 42 }));
    assert_eq!(sim.socket_connections(), 1);
}

#[tokio::test]
async fn shutdown_closes_open_sockets() {
    let sim = start().await;
    let (mut ws, _) = connect_async(socket_mode_url(&sim).await).await.unwrap();
    next_json(&mut ws).await;
    let base = sim.base_url();
    sim.shutdown().await;
    let after = tokio::time::timeout(Duration::from_secs(3), ws.next()).await.unwrap();
    assert!(!matches!(after, Some(Ok(Message::Text(_)))), "{after:?}");
    assert!(
        common::client()
            .get(format!("{base}/api/auth.test"))
            .send()
            .await
            .is_err(),
        "server stopped"
    );
}
