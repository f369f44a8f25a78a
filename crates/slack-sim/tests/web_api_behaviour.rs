//! Pagination, recording, fault injection and latency.

mod common;

use std::time::{Duration, Instant};

use common::{call, start};
use serde_json::json;

#[tokio::test]
async fn conversations_list_pagination_walks_every_visible_channel() {
    let sim = start().await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (_, page) = call(
            &sim,
            "conversations.list",
            &[
                ("types", "public_channel,private_channel"),
                ("limit", "2"),
                ("cursor", &cursor),
            ],
        )
        .await;
        let channels = page["channels"].as_array().unwrap();
        assert!(channels.len() <= 2);
        seen.extend(channels.iter().map(|c| c["id"].as_str().unwrap().to_owned()));
        cursor = page["response_metadata"]["next_cursor"].as_str().unwrap().to_owned();
        if cursor.is_empty() {
            break;
        }
    }
    assert_eq!(seen, ["C0GENERAL", "C0ALERTS", "C0RANDOM", "G0PRIVATE", "C0ARCHIVED"]);

    let (_, unarchived) = call(&sim, "conversations.list", &[("exclude_archived", "true")]).await;
    let ids: Vec<&str> = unarchived["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["C0GENERAL", "C0ALERTS", "C0RANDOM"],
        "default type is public_channel only"
    );

    let (_, bad_cursor) = call(&sim, "conversations.list", &[("cursor", "zzz")]).await;
    assert_eq!(bad_cursor["error"], "invalid_cursor");
    let (_, bad_types) = call(&sim, "conversations.list", &[("types", "public_channel,bogus")]).await;
    assert_eq!(bad_types["error"], "invalid_types");
}

#[tokio::test]
async fn users_list_pages_through_all_members() {
    let sim = start().await;
    let (_, first) = call(&sim, "users.list", &[("limit", "6")]).await;
    let cursor = first["response_metadata"]["next_cursor"].as_str().unwrap().to_owned();
    let (_, second) = call(&sim, "users.list", &[("limit", "6"), ("cursor", &cursor)]).await;
    let count = first["members"].as_array().unwrap().len() + second["members"].as_array().unwrap().len();
    assert_eq!(count, 11);
    assert_eq!(second["response_metadata"]["next_cursor"], "");
    let ultra = second["members"]
        .as_array()
        .unwrap()
        .iter()
        .chain(first["members"].as_array().unwrap());
    assert!(
        ultra
            .clone()
            .any(|u| u["id"] == "U0ULTRA" && u["is_ultra_restricted"] == true)
    );
    assert!(ultra.clone().any(|u| u["id"] == "U0OTHER" && u["team_id"] == "T0OTHER"));
    assert!(
        ultra
            .clone()
            .any(|u| u["id"] == "U0STRANGER" && u["is_stranger"] == true)
    );
    assert!(
        ultra
            .clone()
            .any(|u| u["id"] == "U0APP" && u["is_app_user"] == true && u["is_bot"] == false)
    );
    let grid = ultra.clone().find(|u| u["id"] == "W0GRID").expect("the Grid member");
    assert_eq!(grid["team_id"], "E0SIM");
    assert_eq!(grid["teams"], serde_json::json!(["T0ELSEWHERE", "T0SIM"]));
    assert_eq!(grid["enterprise_user"]["teams"], grid["teams"]);
}

#[tokio::test]
async fn rate_limit_gives_429_with_retry_after_then_recovers() {
    let sim = start().await;
    sim.rate_limit("chat.postMessage", 2, 7);
    let url = format!("{}chat.postMessage", sim.api_url());
    let form = [("channel", "C0GENERAL"), ("text", "hi")];
    for _ in 0..2 {
        let response = common::client()
            .post(&url)
            .bearer_auth(sim.bot_token())
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "7");
        assert_eq!(
            response.json::<serde_json::Value>().await.unwrap()["error"],
            "ratelimited"
        );
    }
    let (status, ok) = call(&sim, "chat.postMessage", &form).await;
    assert_eq!((status.as_u16(), ok["ok"].clone()), (200, json!(true)));
    let statuses: Vec<u16> = sim.calls_to("chat.postMessage").iter().map(|c| c.http_status).collect();
    assert_eq!(statuses, [429, 429, 200]);
    assert_eq!(sim.messages().len(), 1, "rate-limited calls post nothing");
}

#[tokio::test]
async fn fail_gives_the_status_once_and_is_recorded() {
    let sim = start().await;
    sim.fail("users.info", 1, 503);
    let url = format!("{}users.info", sim.api_url());
    let response = common::client()
        .post(&url)
        .bearer_auth(sim.bot_token())
        .form(&[("user", "U0BOB")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let (status, _) = call(&sim, "users.info", &[("user", "U0BOB")]).await;
    assert_eq!(status, 200);
    let calls = sim.calls();
    assert_eq!(calls[0].http_status, 503);
    assert_eq!(calls[1].token.as_deref(), Some(sim.bot_token()));
    assert_eq!(calls[1].args["user"], "U0BOB");
    assert!(calls[1].args.get("token").is_none());
    sim.clear_calls();
    assert!(sim.calls().is_empty());
}

#[tokio::test]
async fn latency_delays_every_call() {
    let sim = start().await;
    let latency = Duration::from_millis(500);
    sim.set_latency(latency);
    let started = Instant::now();
    call(&sim, "auth.test", &[]).await;
    assert!(started.elapsed() >= latency, "{:?}", started.elapsed());
    sim.set_latency(Duration::ZERO);
    let started = Instant::now();
    call(&sim, "auth.test", &[]).await;
    assert!(started.elapsed() < latency, "latency can be switched off again");
}

#[tokio::test]
async fn messages_hold_posts_updates_ephemerals_and_unfurls() {
    let sim = start().await;
    let (_, dm) = call(
        &sim,
        "chat.postMessage",
        &[("channel", "U0ALICE"), ("text", "hello alice")],
    )
    .await;
    assert_eq!(
        dm["channel"], "D0ALICE",
        "posting to a user id goes to the bot's DM with them"
    );
    let ts = dm["ts"].as_str().unwrap().to_owned();
    call(
        &sim,
        "chat.update",
        &[("channel", "D0ALICE"), ("ts", &ts), ("text", "edited")],
    )
    .await;
    call(
        &sim,
        "chat.postEphemeral",
        &[("channel", "G0PRIVATE"), ("user", "U0ALICE"), ("text", "just you")],
    )
    .await;
    let unfurls = json!({ "https://x.example": { "blocks": [] } }).to_string();
    call(
        &sim,
        "chat.unfurl",
        &[("channel", "C0GENERAL"), ("ts", "5.000001"), ("unfurls", &unfurls)],
    )
    .await;

    let messages = sim.messages();
    let methods: Vec<&str> = messages.iter().map(|m| m.method.as_str()).collect();
    assert_eq!(methods, ["chat.update", "chat.postEphemeral", "chat.unfurl"]);
    assert_eq!(
        (messages[0].ts.as_str(), messages[0].text.as_deref()),
        (ts.as_str(), Some("edited"))
    );
    assert_eq!(messages[1].user.as_deref(), Some("U0ALICE"));
    assert_eq!(
        messages[2].blocks.as_ref().unwrap()["https://x.example"],
        json!({ "blocks": [] })
    );
    assert!(sim.conversation("D0ALICE").is_some());
}

#[tokio::test]
async fn added_channels_and_users_are_served() {
    let sim = start().await;
    sim.add_user(slack_sim::User::member("U0NEW", "newbie", "New Person"));
    sim.add_channel(slack_sim::Conversation::public(
        "C0NEW",
        "new-channel",
        &["UBOT", "U0NEW"],
    ));
    let (_, posted) = call(&sim, "chat.postMessage", &[("channel", "#new-channel"), ("text", "hi")]).await;
    assert_eq!(posted["channel"], "C0NEW");
    let (_, user) = call(&sim, "users.info", &[("user", "U0NEW")]).await;
    assert_eq!(user["user"]["name"], "newbie");
}

#[tokio::test]
async fn emails_are_shown_only_with_the_users_read_email_scope() {
    let without = start().await;
    let (_, user) = call(&without, "users.info", &[("user", "U0ALICE")]).await;
    assert_eq!(user["user"]["profile"].get("email"), None);
    let mut scopes = slack_sim::default_bot_scopes();
    scopes.push("users:read.email".into());
    let with = common::start_with(slack_sim::SimConfig {
        scopes,
        ..slack_sim::SimConfig::default()
    })
    .await;
    let (_, user) = call(&with, "users.info", &[("user", "U0ALICE")]).await;
    assert_eq!(user["user"]["profile"]["email"], "alice@sim.example");
    let (_, list) = call(&with, "users.list", &[]).await;
    assert!(
        list["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["profile"]["email"] == "alice@sim.example")
    );
}

#[tokio::test]
async fn wait_for_messages_returns_once_enough_arrived() {
    let sim = start().await;
    let poster = tokio::spawn({
        let sim = sim.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            call(&sim, "chat.postMessage", &[("channel", "C0GENERAL"), ("text", "late")]).await;
        }
    });
    let messages = sim.wait_for_messages(1, Duration::from_secs(2)).await;
    assert_eq!(messages.len(), 1);
    poster.await.unwrap();
    let started = Instant::now();
    assert_eq!(
        sim.wait_for_messages(2, Duration::from_millis(100)).await.len(),
        1,
        "times out with what it has"
    );
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert!(!sim.wait_for_socket_connections(1, Duration::from_millis(20)).await);
}
