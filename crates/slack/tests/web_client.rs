//! The Web API client against the simulator: calls, pagination, 429 handling, error advice.

mod common;

use std::time::{Duration, Instant};

use common::{fast_config, sim, web, web_with};
use slack::Secret;
use slack::SlackError;
use slack::web::{MessageBody, SlackWeb, WebConfig};
use slack_sim::{SimConfig, SlackSim};

#[tokio::test]
async fn auth_test_reports_identity_and_scopes() {
    let sim = sim().await;
    let info = web(&sim).auth_test().await.unwrap();
    assert_eq!(info.user_id, sim.bot_user_id());
    assert_eq!(info.team_id, "T0SIM");
    assert!(info.scopes.iter().any(|s| s == "chat:write"), "{:?}", info.scopes);
    let call = &sim.calls_to("auth.test")[0];
    assert_eq!(call.token.as_deref(), Some(sim.bot_token()));
}

#[tokio::test]
async fn lists_are_read_across_all_pages() {
    let sim = sim().await;
    let client = web_with(
        &sim,
        WebConfig {
            page_size: 2,
            ..fast_config()
        },
    );
    let users = client.users_list().await.unwrap();
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    for id in ["U0ALICE", "U0BOB", "U0GUEST", "U0OTHER"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(sim.calls_to("users.list").len() >= 3, "fetched page by page");

    let channels = client
        .conversations_list("public_channel,private_channel")
        .await
        .unwrap();
    let names: Vec<&str> = channels.iter().filter_map(|c| c.name.as_deref()).collect();
    assert!(
        names.contains(&"general") && names.contains(&"secret-plans"),
        "{names:?}"
    );
    assert!(sim.calls_to("conversations.list").len() >= 2);
}

#[tokio::test]
async fn rate_limit_is_waited_out() {
    let sim = sim().await;
    sim.rate_limit("users.info", 1, 1);
    let started = Instant::now();
    let user = web(&sim).users_info("U0ALICE").await.unwrap();
    assert_eq!(user.id, "U0ALICE");
    assert!(started.elapsed() >= Duration::from_secs(1), "waited for Retry-After");
    assert_eq!(sim.calls_to("users.info").len(), 2);
}

#[tokio::test]
async fn rate_limit_beyond_the_attempts_is_a_retryable_error() {
    let sim = sim().await;
    sim.rate_limit("team.info", 5, 1);
    let client = web_with(
        &sim,
        WebConfig {
            max_attempts: 1,
            ..fast_config()
        },
    );
    let error = client.team_info().await.unwrap_err();
    assert!(matches!(error, SlackError::RateLimited { .. }), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn server_errors_and_timeouts_are_retryable() {
    let sim = sim().await;
    sim.fail("team.info", 1, 503);
    let error = web(&sim).team_info().await.unwrap_err();
    assert!(matches!(error, SlackError::Http { status: 503, .. }), "{error:?}");
    assert!(error.is_retryable());

    sim.set_latency(Duration::from_millis(500));
    let impatient = web_with(
        &sim,
        WebConfig {
            timeout: Duration::from_millis(100),
            ..fast_config()
        },
    );
    let error = impatient.team_info().await.unwrap_err();
    assert!(matches!(error, SlackError::Timeout { .. }), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn slack_errors_come_with_advice() {
    let sim = sim().await;
    let client = web(&sim);
    let message = MessageBody {
        channel: "C0RANDOM".into(),
        text: "hi".into(),
        ..Default::default()
    };
    let error = client.post_message(&message).await.unwrap_err();
    assert_eq!(error.code(), Some("not_in_channel"));
    assert!(error.to_string().contains("/invite @bot"), "{error}");
    assert!(!error.is_retryable());

    let bad = SlackWeb::with_config(&sim.api_url(), Secret::new("xoxb-wrong"), fast_config()).unwrap();
    let error = bad.auth_test().await.unwrap_err();
    assert!(error.to_string().contains("SLACK_API_KEY"), "{error}");
    assert!(!error.to_string().contains("xoxb-wrong"));
}

#[tokio::test]
async fn missing_scope_names_the_scope() {
    let config = SimConfig {
        scopes: vec!["chat:write".into()],
        ..SimConfig::default()
    };
    let sim = SlackSim::start(config).await.unwrap();
    let error = web(&sim).users_info("U0ALICE").await.unwrap_err();
    assert_eq!(error.code(), Some("missing_scope"));
    let text = error.to_string();
    assert!(text.contains("users:read") && text.contains("reinstall"), "{text}");
}

#[tokio::test]
async fn posts_into_one_channel_are_paced() {
    let sim = sim().await;
    let client = web_with(
        &sim,
        WebConfig {
            post_interval: Duration::from_millis(300),
            ..fast_config()
        },
    );
    let message = MessageBody {
        channel: "C0GENERAL".into(),
        text: "one".into(),
        ..Default::default()
    };
    let started = Instant::now();
    client.post_message(&message).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "the first post goes at once"
    );
    client.post_message(&message).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the second waits its turn"
    );
    assert_eq!(sim.messages().len(), 2);
}

#[tokio::test]
async fn edits_and_ephemeral_messages_do_not_wait_for_the_channel_pace() {
    let sim = sim().await;
    let client = web_with(
        &sim,
        WebConfig {
            post_interval: Duration::from_secs(5),
            ..fast_config()
        },
    );
    let message = MessageBody {
        channel: "C0GENERAL".into(),
        text: "loading".into(),
        ..Default::default()
    };
    let started = Instant::now();
    let posted = client.post_message(&message).await.unwrap();
    let done = MessageBody {
        text: "done".into(),
        ..message.clone()
    };
    client.update_message(&posted.ts, &done).await.unwrap();
    client.post_ephemeral(&done, "U0ALICE").await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "only chat.postMessage is paced per channel: {:?}",
        started.elapsed()
    );
    let methods: Vec<String> = sim.messages().into_iter().map(|m| m.method).collect();
    assert_eq!(
        methods,
        ["chat.update", "chat.postEphemeral"],
        "the post was edited in place"
    );
}

#[tokio::test]
async fn message_calls_round_trip() {
    let sim = sim().await;
    let client = web(&sim);
    let blocks = serde_json::json!([{ "type": "section", "text": { "type": "mrkdwn", "text": "hello" } }]);
    let body = MessageBody {
        channel: "C0GENERAL".into(),
        text: "hello".into(),
        blocks: Some(blocks),
        thread_ts: None,
    };
    let posted = client.post_message(&body).await.unwrap();
    assert_eq!(posted.channel_id, "C0GENERAL");
    client
        .update_message(
            &posted.ts,
            &MessageBody {
                text: "bye".into(),
                ..body.clone()
            },
        )
        .await
        .unwrap();
    let ts = client.post_ephemeral(&body, "U0ALICE").await.unwrap();
    assert!(!ts.is_empty());
    let dm = client.conversations_open("U0BOB").await.unwrap();
    assert!(!dm.is_empty());
    let team = client.team_info().await.unwrap();
    assert_eq!(team.id, "T0SIM");
    let url = client
        .apps_connections_open(&Secret::new(sim.app_token()))
        .await
        .unwrap();
    assert!(url.starts_with("ws"), "{url}");
    let rtm = client.rtm_connect().await.unwrap();
    assert!(rtm.url.starts_with("ws"));
    let methods: Vec<String> = sim.messages().iter().map(|m| m.method.clone()).collect();
    assert!(
        methods.contains(&"chat.update".to_string()) && methods.contains(&"chat.postEphemeral".to_string()),
        "{methods:?}"
    );
}
