//! Authentication, argument and semantic errors, answered as Slack answers them.

mod common;

use common::{call, call_json, call_with_token, start};
use serde_json::{Value, json};

#[tokio::test]
async fn tokens_are_checked_before_anything_else() {
    let sim = start().await;
    let (status, none) = call_with_token(&sim, "auth.test", None, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(none, json!({ "ok": false, "error": "not_authed" }));
    let (_, wrong) = call_with_token(&sim, "auth.test", Some("xoxb-wrong"), &[]).await;
    assert_eq!(wrong["error"], "invalid_auth");
    let (_, app_on_chat) = call_with_token(&sim, "chat.postMessage", Some(sim.app_token()), &[]).await;
    assert_eq!(app_on_chat["error"], "not_allowed_token_type");
    let (_, bot_on_socket) = call(&sim, "apps.connections.open", &[]).await;
    assert_eq!(bot_on_socket["error"], "not_allowed_token_type");

    let (_, form_token) = call_with_token(&sim, "auth.test", None, &[("token", sim.bot_token())]).await;
    assert_eq!(form_token["ok"], true, "token as a form field is accepted");
    let body_token = common::client()
        .post(format!("{}auth.test", sim.api_url()))
        .json(&json!({ "token": sim.bot_token() }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        body_token["error"], "not_authed",
        "Slack ignores a token inside a JSON body"
    );
}

#[tokio::test]
async fn get_with_query_token_works_and_unknown_methods_are_refused() {
    let sim = start().await;
    let url = format!("{}users.info?token={}&user=U0BOB", sim.api_url(), sim.bot_token());
    let body: Value = common::client().get(url).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["user"]["id"], "U0BOB");

    let (status, unknown) = call(&sim, "chat.scheduleTeleport", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(unknown["ok"], false);
    assert_eq!(unknown["error"], "unknown_method");
}

#[tokio::test]
async fn missing_required_arguments_give_the_documented_errors() {
    let sim = start().await;
    for (method, error) in [
        ("chat.postMessage", "channel_not_found"),
        ("chat.update", "message_not_found"),
        ("chat.postEphemeral", "invalid_arguments"),
        ("users.info", "user_not_found"),
        ("conversations.info", "channel_not_found"),
        ("files.getUploadURLExternal", "missing_argument"),
        ("files.completeUploadExternal", "invalid_arguments"),
    ] {
        let (_, body) = call(&sim, method, &[]).await;
        assert_eq!(body["error"], error, "{method}: {body}");
        let messages = body["response_metadata"]["messages"].to_string();
        assert!(messages.contains("missing required field"), "{method}: {messages}");
    }
}

#[tokio::test]
async fn posting_errors_follow_slack() {
    let sim = start().await;
    let post = |args: Vec<(&'static str, String)>| {
        let sim = sim.clone();
        async move {
            let form: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            call(&sim, "chat.postMessage", &form).await.1["error"].clone()
        }
    };
    assert_eq!(
        post(vec![("channel", "C0NOPE".into()), ("text", "x".into())]).await,
        "channel_not_found"
    );
    assert_eq!(
        post(vec![("channel", "C0RANDOM".into()), ("text", "x".into())]).await,
        "not_in_channel"
    );
    assert_eq!(
        post(vec![("channel", "C0ARCHIVED".into()), ("text", "x".into())]).await,
        "is_archived"
    );
    assert_eq!(post(vec![("channel", "C0GENERAL".into())]).await, "no_text");
    assert_eq!(
        post(vec![("channel", "C0GENERAL".into()), ("blocks", "{}".into())]).await,
        "invalid_blocks"
    );
    let too_many = Value::Array(vec![json!({ "type": "divider" }); 51]).to_string();
    assert_eq!(
        post(vec![("channel", "C0GENERAL".into()), ("blocks", too_many)]).await,
        "invalid_blocks"
    );
    let long_section = json!([{ "type": "section", "text": { "type": "mrkdwn", "text": "x".repeat(3001) } }]);
    assert_eq!(
        post(vec![
            ("channel", "C0GENERAL".into()),
            ("blocks", long_section.to_string())
        ])
        .await,
        "invalid_blocks"
    );
    assert_eq!(
        post(vec![("channel", "C0GENERAL".into()), ("text", "y".repeat(40_001))]).await,
        "msg_too_long"
    );
    assert!(
        sim.messages().is_empty(),
        "refused posts are not recorded: {:?}",
        sim.messages()
    );

    let (_, update) = call(
        &sim,
        "chat.update",
        &[("channel", "C0GENERAL"), ("ts", "1.000001"), ("text", "x")],
    )
    .await;
    assert_eq!(update["error"], "message_not_found");
    let (_, user) = call(&sim, "users.info", &[("user", "U0NOBODY")]).await;
    assert_eq!(user["error"], "user_not_found");
    let (_, ephemeral) = call(
        &sim,
        "chat.postEphemeral",
        &[("channel", "C0ALERTS"), ("user", "U0BOB"), ("text", "x")],
    )
    .await;
    assert_eq!(ephemeral["error"], "user_not_in_channel");
    let (_, private) = call(&sim, "conversations.info", &[("channel", "G0PRIVATE")]).await;
    assert_eq!(private["channel"]["is_private"], true);
    let (_, gone) = call(&sim, "conversations.open", &[("users", "U0GONE")]).await;
    assert_eq!(gone["error"], "user_disabled");
}

#[tokio::test]
async fn missing_scope_is_reported_with_needed_and_provided() {
    let config = slack_sim::SimConfig {
        scopes: vec!["users:read".into()],
        ..Default::default()
    };
    let sim = common::start_with(config).await;
    let (_, body) = call(&sim, "chat.postMessage", &[("channel", "C0GENERAL"), ("text", "x")]).await;
    assert_eq!(body["error"], "missing_scope");
    assert_eq!(body["needed"], "chat:write");
    assert_eq!(body["provided"], "users:read");
}

#[tokio::test]
async fn json_bodies_are_accepted_with_typed_blocks() {
    let sim = start().await;
    let blocks = json!([{ "type": "section", "text": { "type": "mrkdwn", "text": "*hi*" } }]);
    let body = call_json(
        &sim,
        "chat.postMessage",
        json!({ "channel": "#alerts", "blocks": blocks, "thread_ts": "1.2" }),
    )
    .await;
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["channel"], "C0ALERTS", "channel names resolve to ids");
    let posted = &sim.messages()[0];
    assert_eq!(posted.blocks.as_ref(), Some(&blocks));
    assert_eq!(posted.thread_ts.as_deref(), Some("1.2"));
    assert_eq!(posted.text, None);
}
