//! The HTTP endpoints: verification before anything else, url_verification, retry dedupe, fast slash command acks.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use bot::event::ChatEvent;
use bot::reply::Reply;
use bot::sink::{ChatSink, Destination};
use common::{Recorder, eventually, sim, web};
use serde_json::json;
use slack::Secret;
use slack::directory::Directory;
use slack::http::{NOT_CONFIGURED_MESSAGE, SlackHttp};
use slack::inbound::{InboundEvent, InboundHandler, InboundParser};
use slack::sink::SlackSink;
use slack::verify::Verification;
use slack_sim::SlackSim;
use tower::ServiceExt;

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn router(sim: &SlackSim, handler: Arc<dyn InboundHandler>) -> Router {
    let verification = Verification::from_config(Some(Secret::new(sim.signing_secret())), None);
    SlackHttp::new(verification, InboundParser::new(sim.bot_user_id()), handler)
        .with_body_limit(64 * 1024)
        .router()
}

fn signed(sim: &SlackSim, path: &str, content_type: &str, body: &str, timestamp: i64) -> Request<Body> {
    Request::post(path)
        .header("content-type", content_type)
        .header("x-slack-request-timestamp", timestamp.to_string())
        .header("x-slack-signature", sim.sign(timestamp, body.as_bytes()))
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn event_body(sim: &SlackSim, event_id: &str) -> String {
    json!({
        "type": "event_callback", "team_id": "T0SIM", "event_id": event_id,
        "event": { "type": "app_mention", "user": "U0ALICE", "channel": "C0GENERAL", "ts": "1.1",
                   "text": format!("<@{}> run look 1", sim.bot_user_id()) },
    })
    .to_string()
}

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn signed_events_are_handled_and_url_verification_answered() {
    let sim = sim().await;
    let (recorder, mut events) = Recorder::new();
    let app = router(&sim, recorder);
    let challenge = json!({ "type": "url_verification", "token": "t", "challenge": "abc123" }).to_string();
    assert_eq!(
        send(&app, signed(&sim, "/slack/event", JSON, &challenge, now())).await,
        (StatusCode::OK, "abc123".into())
    );

    let (status, _) = send(
        &app,
        signed(&sim, "/slack/events", JSON, &event_body(&sim, "Ev1"), now()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let event = common::next_event(&mut events).await;
    assert_eq!(event.context.event_id.as_deref(), Some("Ev1"));
}

#[tokio::test]
async fn forged_stale_and_unsigned_requests_are_refused_without_side_effects() {
    let sim = sim().await;
    let (recorder, _events) = Recorder::new();
    let app = router(&sim, recorder.clone());
    let body = event_body(&sim, "Ev1");

    let mut forged = signed(&sim, "/slack/receive", JSON, &body, now());
    forged.headers_mut().insert(
        "x-slack-signature",
        "v0=0000000000000000000000000000000000000000000000000000000000000000"
            .parse()
            .unwrap(),
    );
    let (status, text) = send(&app, forged).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(text.contains("SLACK_SIGNING_SECRET"), "{text}");

    let tampered = Request::post("/slack/receive")
        .header("content-type", JSON)
        .header("x-slack-request-timestamp", now().to_string())
        .header("x-slack-signature", sim.sign(now(), body.as_bytes()))
        .body(Body::from(body.replace("run look 1", "run look 2")))
        .unwrap();
    assert_eq!(send(&app, tampered).await.0, StatusCode::UNAUTHORIZED);

    let (status, text) = send(&app, signed(&sim, "/slack/receive", JSON, &body, now() - 600)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(text.contains("5 minutes"), "{text}");

    let unsigned = Request::post("/slack/action")
        .header("content-type", JSON)
        .body(Body::from(body.clone()))
        .unwrap();
    assert_eq!(send(&app, unsigned).await.0, StatusCode::UNAUTHORIZED);

    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(recorder.count(), 0);
}

#[tokio::test]
async fn redeliveries_are_acknowledged_but_handled_once() {
    let sim = sim().await;
    let (recorder, _events) = Recorder::new();
    let app = router(&sim, recorder.clone());
    let body = event_body(&sim, "EvRetry");
    assert_eq!(
        send(&app, signed(&sim, "/slack/events", JSON, &body, now())).await.0,
        StatusCode::OK
    );
    let mut retry = signed(&sim, "/slack/events", JSON, &body, now());
    retry.headers_mut().insert("x-slack-retry-num", "1".parse().unwrap());
    retry
        .headers_mut()
        .insert("x-slack-retry-reason", "http_timeout".parse().unwrap());
    assert_eq!(send(&app, retry).await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(recorder.count(), 1);
}

/// Answers slash commands slowly through the response_url, like the bot core running a Looker query.
struct SlowAnswer {
    sink: SlackSink,
}

#[async_trait]
impl InboundHandler for SlowAnswer {
    async fn handle(&self, event: InboundEvent) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let ChatEvent::Message(message) = event.event else {
            return;
        };
        let sink = self.sink.with_response_url(
            message.conversation.channel_id.clone(),
            event.context.response_url.unwrap(),
        );
        let to = Destination::Conversation {
            conversation: message.conversation,
            asker: Some(message.sender.user_id),
        };
        sink.post(&to, &Reply::text(format!("you said {}", message.text)))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn slash_commands_are_acked_at_once_and_answered_through_the_response_url() {
    let sim = sim().await;
    let web = web(&sim);
    let sink = SlackSink::new(web.clone(), Arc::new(Directory::new(web, Duration::from_secs(60))));
    let app = router(&sim, Arc::new(SlowAnswer { sink }));
    let body = serde_urlencoded::to_string([
        ("token", "legacy"),
        ("team_id", "T0SIM"),
        ("channel_id", "C0GENERAL"),
        ("user_id", "U0ALICE"),
        ("command", "/looker"),
        ("text", "&lt;sales&gt;"),
        ("response_url", &sim.response_url_in("cmd", "C0GENERAL")),
    ])
    .unwrap();
    let started = Instant::now();
    let (status, _) = send(&app, signed(&sim, "/slack/receive", FORM, &body, now())).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "acked before the work is done"
    );
    eventually(|| !sim.messages().is_empty()).await;
    let message = &sim.messages()[0];
    assert_eq!(message.method, "response_url");
    assert_eq!(message.text.as_deref(), Some("you said &lt;sales&gt;"));
}

#[tokio::test]
async fn interactive_payloads_are_handled() {
    let sim = sim().await;
    let (recorder, mut events) = Recorder::new();
    let app = router(&sim, recorder);
    let payload = json!({
        "type": "block_actions", "user": { "id": "U0BOB", "team_id": "T0SIM" }, "team": { "id": "T0SIM" },
        "channel": { "id": "C0GENERAL" }, "container": { "message_ts": "1.2", "channel_id": "C0GENERAL" },
        "response_url": sim.response_url("act"), "actions": [{ "type": "button", "action_id": "a", "value": "run:7" }],
    });
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    assert_eq!(
        send(&app, signed(&sim, "/slack/action", FORM, &body, now())).await.0,
        StatusCode::OK
    );
    let event = common::next_event(&mut events).await;
    let ChatEvent::ButtonClick(click) = event.event else {
        panic!("not a click")
    };
    assert_eq!(click.value, "run:7");
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_refused() {
    let sim = sim().await;
    let (recorder, _events) = Recorder::new();
    let app = router(&sim, recorder.clone());
    let (status, text) = send(&app, signed(&sim, "/slack/events", JSON, "{not json", now())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("malformed"), "{text}");
    assert_eq!(
        send(&app, signed(&sim, "/slack/receive", FORM, "hello=world", now()))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let huge = format!("text={}", "x".repeat(100 * 1024));
    assert_eq!(
        send(&app, signed(&sim, "/slack/receive", FORM, &huge, now())).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(recorder.count(), 0);
}

#[tokio::test]
async fn without_verification_slash_commands_get_the_setup_message() {
    let (recorder, _events) = Recorder::new();
    let app = SlackHttp::new(Verification::None, InboundParser::new("UBOT"), recorder.clone()).router();
    let body = "command=%2Flooker&text=hi&user_id=U1&channel_id=C1&team_id=T1";
    let request = Request::post("/slack/receive")
        .header("content-type", FORM)
        .body(Body::from(body))
        .unwrap();
    assert_eq!(
        send(&app, request).await,
        (StatusCode::OK, NOT_CONFIGURED_MESSAGE.into())
    );
    let event = json!({ "type": "url_verification", "challenge": "c" }).to_string();
    let request = Request::post("/slack/event")
        .header("content-type", JSON)
        .body(Body::from(event))
        .unwrap();
    assert_eq!(send(&app, request).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(recorder.count(), 0);
}

#[tokio::test]
async fn the_legacy_token_is_checked_when_there_is_no_signing_secret() {
    let (recorder, mut events) = Recorder::new();
    let verification = Verification::from_config(None, Some(Secret::new("tok-123")));
    let app = SlackHttp::new(verification, InboundParser::new("UBOT"), recorder.clone()).router();
    let good = "token=tok-123&command=%2Flooker&text=hi&user_id=U1&channel_id=C1&team_id=T1";
    let request = Request::post("/slack/receive")
        .header("content-type", FORM)
        .body(Body::from(good))
        .unwrap();
    assert_eq!(send(&app, request).await.0, StatusCode::OK);
    common::next_event(&mut events).await;
    let bad = good.replace("tok-123", "tok-999");
    let request = Request::post("/slack/receive")
        .header("content-type", FORM)
        .body(Body::from(bad))
        .unwrap();
    let (status, text) = send(&app, request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(text.contains("SLACK_SLASH_COMMAND_TOKEN"), "{text}");
    let payload = serde_urlencoded::to_string([(
        "payload",
        json!({ "type": "block_actions", "token": "tok-999" }).to_string(),
    )])
    .unwrap();
    let request = Request::post("/slack/action")
        .header("content-type", FORM)
        .body(Body::from(payload))
        .unwrap();
    assert_eq!(send(&app, request).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(recorder.count(), 1);
}
