//! Each implemented method's success answer carries the keys of Slack's documented example.

mod common;

use common::{assert_shaped_like, call, call_with_token, start};
use serde_json::json;

#[tokio::test]
async fn auth_test_matches_the_bot_token_example_and_reports_scopes() {
    let sim = start().await;
    let response = common::client()
        .post(format!("{}auth.test", sim.api_url()))
        .bearer_auth(sim.bot_token())
        .send()
        .await
        .unwrap();
    let scopes = response.headers()["x-oauth-scopes"].to_str().unwrap().to_owned();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_shaped_like("auth.test", "success_with_bot_token", &body, &[]);
    assert_eq!(body["user_id"], sim.bot_user_id());
    assert_eq!(body["team_id"], "T0SIM");
    assert!(scopes.split(',').any(|s| s == "chat:write"), "scopes header: {scopes}");
}

#[tokio::test]
async fn chat_methods_match_their_examples() {
    let sim = start().await;
    let attachments = json!([{ "text": "an attachment", "fallback": "fallback text" }]).to_string();
    let (_, posted) = call(
        &sim,
        "chat.postMessage",
        &[
            ("channel", "C0GENERAL"),
            ("text", "hello"),
            ("attachments", &attachments),
        ],
    )
    .await;
    // Messages posted with a bot token carry user/bot_id/bot_profile; `username` and the legacy
    // `subtype: bot_message` of the example only appear for legacy (non-token) bot posts.
    assert_shaped_like(
        "chat.postMessage",
        "success",
        &posted,
        &["message.username", "message.subtype"],
    );
    assert_eq!(posted["channel"], "C0GENERAL");

    let ts = posted["ts"].as_str().unwrap();
    let (_, updated) = call(
        &sim,
        "chat.update",
        &[("channel", "C0GENERAL"), ("ts", ts), ("text", "edited")],
    )
    .await;
    assert_shaped_like("chat.update", "success", &updated, &[]);
    assert_eq!(updated["text"], "edited");

    let (_, ephemeral) = call(
        &sim,
        "chat.postEphemeral",
        &[("channel", "C0GENERAL"), ("user", "U0ALICE"), ("text", "psst")],
    )
    .await;
    assert_shaped_like("chat.postEphemeral", "success", &ephemeral, &[]);

    let unfurls = json!({ "https://looker.example/x": { "text": "preview" } }).to_string();
    let (_, unfurled) = call(
        &sim,
        "chat.unfurl",
        &[("channel", "C0GENERAL"), ("ts", ts), ("unfurls", &unfurls)],
    )
    .await;
    assert_shaped_like("chat.unfurl", "success", &unfurled, &[]);
    assert_eq!(unfurled["ok"], true);
}

#[tokio::test]
async fn user_team_and_conversation_methods_match_their_examples() {
    let sim = start().await;
    let (_, user) = call(&sim, "users.info", &[("user", "U0ALICE")]).await;
    // The example was taken with users:read.email; without that scope Slack leaves the email out.
    assert_shaped_like("users.info", "success", &user, &["user.profile.email"]);
    assert_eq!(user["user"]["name"], "alice");

    let (_, users) = call(&sim, "users.list", &[]).await;
    assert_shaped_like("users.list", "success", &users, &["members[0].profile.email"]);

    let (_, team) = call(&sim, "team.info", &[]).await;
    // The sim workspace is not part of an Enterprise Grid org.
    assert_shaped_like(
        "team.info",
        "success",
        &team,
        &["team.enterprise_id", "team.enterprise_name"],
    );
    assert_eq!(team["team"]["domain"], "sim");

    let (_, list) = call(&sim, "conversations.list", &[("limit", "1")]).await;
    assert_shaped_like("conversations.list", "success", &list, &[]);
    assert_ne!(list["response_metadata"]["next_cursor"], "");

    let (_, info) = call(&sim, "conversations.info", &[("channel", "C0GENERAL")]).await;
    // `properties` (channel tabs) is omitted when a channel has none, as the reference notes.
    assert_shaped_like("conversations.info", "success", &info, &["channel.properties"]);

    let (_, opened) = call(&sim, "conversations.open", &[("users", "U0BOB")]).await;
    assert_shaped_like("conversations.open", "success", &opened, &[]);
    let (_, reopened) = call(&sim, "conversations.open", &[("users", "U0BOB"), ("return_im", "true")]).await;
    assert_shaped_like("conversations.open", "success_with_return_im", &reopened, &[]);
    assert_eq!(reopened["channel"]["id"], opened["channel"]["id"]);
    assert_eq!(reopened["already_open"], true);
}

#[tokio::test]
async fn connection_and_file_methods_match_their_examples() {
    let sim = start().await;
    let (_, socket) = call_with_token(&sim, "apps.connections.open", Some(sim.app_token()), &[]).await;
    assert_shaped_like("apps.connections.open", "success", &socket, &[]);
    assert!(
        socket["url"].as_str().unwrap().starts_with("ws://127.0.0.1:"),
        "{socket}"
    );

    let (_, rtm) = call(&sim, "rtm.connect", &[]).await;
    assert_shaped_like("rtm.connect", "success", &rtm, &[]);
    assert_eq!(rtm["self"]["id"], sim.bot_user_id());

    let (_, url) = call(
        &sim,
        "files.getUploadURLExternal",
        &[("filename", "a.txt"), ("length", "3")],
    )
    .await;
    assert_shaped_like("files.getUploadURLExternal", "success", &url, &[]);
    let upload_url = url["upload_url"].as_str().unwrap();
    assert!(upload_url.starts_with(&sim.base_url()), "{upload_url}");
    common::client()
        .post(upload_url)
        .body("abc")
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let files = json!([{ "id": url["file_id"], "title": "A" }]).to_string();
    let (_, done) = call(
        &sim,
        "files.completeUploadExternal",
        &[("files", &files), ("channel_id", "C0ALERTS")],
    )
    .await;
    assert_shaped_like("files.completeUploadExternal", "success", &done, &[]);
}
