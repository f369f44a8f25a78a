//! The Web API client against the simulator: calls, pagination, 429 handling, error advice.

mod common;

use std::time::{Duration, Instant};

use common::{fast_config, sim, web, web_with};
use slack::Secret;
use slack::SlackError;
use slack::web::{MessageBody, SlackWeb, WebConfig};
use slack_sim::{PostRate, SimConfig, SlackSim};

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

/// Slack's limit, quickened: bursts of 8, then one post per 100 ms.
fn quick_slack_rate() -> SimConfig {
    SimConfig {
        post_rate: Some(PostRate {
            burst: 8,
            interval: Duration::from_millis(100),
        }),
        ..SimConfig::default()
    }
}

fn numbered(i: usize) -> MessageBody {
    MessageBody {
        channel: "C0GENERAL".into(),
        text: format!("message {i}"),
        ..Default::default()
    }
}

fn posted_texts(sim: &SlackSim) -> Vec<String> {
    sim.messages().into_iter().filter_map(|m| m.text).collect()
}

#[tokio::test]
async fn posts_into_one_channel_go_in_a_burst_then_wait_their_turn_without_429s() {
    let sim = SlackSim::start(quick_slack_rate()).await.unwrap();
    let client = web_with(
        &sim,
        WebConfig {
            post_interval: Duration::from_millis(100),
            ..fast_config()
        },
    );
    for i in 0..14 {
        client.post_message(&numbered(i)).await.unwrap();
    }
    let calls = sim.calls_to("chat.postMessage");
    assert_eq!(calls.len(), 14, "every post was accepted the first time");
    assert!(calls.iter().all(|c| c.http_status == 200), "{calls:#?}");
    let expected: Vec<String> = (0..14).map(|i| format!("message {i}")).collect();
    assert_eq!(posted_texts(&sim), expected);
}

#[tokio::test]
async fn the_burst_goes_out_at_once() {
    // One token per minute: a post that waited for its turn would hang this test.
    let sim = SlackSim::start(SimConfig {
        post_rate: Some(PostRate {
            burst: 8,
            interval: Duration::from_secs(60),
        }),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = web_with(
        &sim,
        WebConfig {
            post_interval: Duration::from_secs(60),
            ..fast_config()
        },
    );
    let burst = slack::pace::DEFAULT_BURST as usize;
    let posts = (0..burst).map(|i| {
        let client = client.clone();
        async move { client.post_message(&numbered(i)).await }
    });
    let results = tokio::time::timeout(Duration::from_secs(30), futures::future::join_all(posts))
        .await
        .expect("the burst did not wait for tokens");
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let statuses: Vec<u16> = sim.calls_to("chat.postMessage").iter().map(|c| c.http_status).collect();
    assert_eq!(statuses, vec![200; burst]);
}

#[tokio::test]
async fn past_slacks_burst_a_429_is_waited_out_and_nothing_is_lost() {
    let sim = SlackSim::start(SimConfig {
        post_rate: Some(PostRate {
            burst: 2,
            interval: Duration::from_millis(100),
        }),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let unpaced = web(&sim);
    for i in 0..4 {
        unpaced.post_message(&numbered(i)).await.unwrap();
    }
    let calls = sim.calls_to("chat.postMessage");
    let limited: Vec<&slack_sim::RecordedCall> = calls.iter().filter(|c| c.http_status == 429).collect();
    assert!(!limited.is_empty(), "Slack's limit answered 429: {calls:#?}");
    assert!(limited.iter().all(|c| c.response["error"] == "ratelimited"));
    let expected: Vec<String> = (0..4).map(|i| format!("message {i}")).collect();
    assert_eq!(
        posted_texts(&sim),
        expected,
        "each post went through after its wait, in order"
    );
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
    client.update_message(&posted.message, &done).await.unwrap();
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
    let body = MessageBody {
        channel: "C0GENERAL".into(),
        text: "hello".into(),
        blocks: vec![slack::render::kit::KitBlock::section("hello".into())],
        thread_ts: None,
    };
    let posted = client.post_message(&body).await.unwrap();
    assert_eq!(posted.channel_id, "C0GENERAL");
    client
        .update_message(
            &posted.message,
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
