//! Slack connectivity: every way Slack reaches the bot (Socket Mode, RTM, Events API over HTTP, slash commands,
//! interactivity), with Slack's own payloads (`tests/fixtures/slack/`), through the whole bot to the simulator.

use crate::common;
use crate::slackpaths_support;

use std::time::{Duration, Instant};

use common::{ALICE, ALICE_DM, GENERAL, World, all_text};
use looker_sandbox::content;
use serde_json::{Value, json};
use slack::access::{BOT_REFUSAL, GUEST_REFUSAL, OTHER_WORKSPACE_REFUSAL};
use slack_sim::PostedMessage;
use slackpaths_support::*;

const GUEST: &str = "U0GUEST";
const GUEST_DM: &str = "D0GUEST";
const OUTSIDER: &str = "U0OTHER";
const OUTSIDER_DM: &str = "D0OTHER";
const HELPER_BOT: &str = "U0HELPER";
const APP_USER: &str = "U0APP";
const STRANGER: &str = "U0STRANGER";
const STRANGER_DM: &str = "D0STRANGER";
const GRID_MEMBER: &str = "W0GRID";
const GRID_DM: &str = "D0GRID";
const LOADING: &str = "Looking into that";

async fn socket_world() -> World {
    let world = World::start_with(&[
        ("SLACK_APP_TOKEN", slack_sim::DEFAULT_APP_TOKEN),
        ("SLACK_MODE", "socket"),
    ])
    .await;
    assert!(
        world.sim.wait_for_socket_connections(1, Duration::from_secs(10)).await,
        "the bot opened a Socket Mode connection"
    );
    world
}

/// A Socket Mode `events_api` envelope from a fixture, with the simulator's ids.
fn events_envelope(fixture_name: &str, said: &Said) -> Value {
    let mut envelope = fixture(fixture_name);
    rewrite_callback(&mut envelope["payload"], said);
    envelope["envelope_id"] = json!(format!("env-{}", unique()));
    envelope
}

/// The fields of a slash command (`/looker text` by Alice in `channel`), on top of a fixture's.
fn slash_fields(base: &mut serde_json::Map<String, Value>, channel: &str, text: &str, response_url: &str) {
    for (key, value) in [
        ("team_id", TEAM),
        ("team_domain", slack_sim::TEAM_DOMAIN),
        ("channel_id", channel),
        ("channel_name", "general"),
        ("user_id", ALICE),
        ("user_name", "alice"),
        ("command", "/looker"),
        ("text", text),
        ("response_url", response_url),
    ] {
        base.insert(key.into(), json!(value));
    }
}

/// A block_actions payload (a click on `value`) by Alice in `channel`, from a fixture.
fn click_payload(mut payload: Value, channel: &str, value: &str, response_url: &str) -> Value {
    payload["team"]["id"] = json!(TEAM);
    payload["user"] = json!({"id": ALICE, "username": "alice", "team_id": TEAM});
    payload["channel"] = json!({"id": channel, "name": "directmessage"});
    payload["container"]["channel_id"] = json!(channel);
    payload["actions"][0]["value"] = json!(value);
    payload["response_url"] = json!(response_url);
    payload
}

/// The value of the first button Slack received.
fn first_button_value(messages: &[PostedMessage]) -> String {
    messages
        .iter()
        .filter_map(|m| m.blocks.as_ref()?.as_array().cloned())
        .flatten()
        .find(|b| b["type"] == "actions")
        .and_then(|b| b["elements"][0]["value"].as_str().map(str::to_string))
        .expect("a message with a data-action button")
}

fn ack_ids(world: &World) -> Vec<String> {
    world
        .sim
        .socket_acks()
        .iter()
        .filter_map(|a| a["envelope_id"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn socket_mode_acks_and_answers_mentions_dms_slash_commands_and_clicks() {
    let world = socket_world().await;

    let mention = events_envelope(
        "socket_mode/events_api.app_mention.envelope.json",
        &Said::alice_general("<@UBOT> help"),
    );
    world.sim.send_socket_envelope(mention.clone()).await.unwrap();
    let help = message_containing(&world, "Built-in commands").await;
    assert_eq!(help.channel, GENERAL);

    let single = look_url(&world, content::SINGLE_VALUE_LOOK_ID);
    let dm = events_envelope("socket_mode/events_api.message.envelope.json", &Said::alice_dm(&single));
    world.sim.send_socket_envelope(dm.clone()).await.unwrap();
    let value = message_containing(&world, "Total Revenue").await;
    assert_eq!(value.channel, ALICE_DM);

    // Slack redelivers an event it thinks was not acked: acked again, handled once.
    let mut again = dm.clone();
    again["envelope_id"] = json!("env-redelivered");
    again["retry_attempt"] = json!(1);
    again["retry_reason"] = json!("timeout");
    world.sim.send_socket_envelope(again).await.unwrap();

    let response_url = world.sim.response_url_in("socket-slash", GENERAL);
    let mut slash = fixture("socket_mode/slash_commands.envelope.json");
    slash_fields(
        slash["payload"].as_object_mut().unwrap(),
        GENERAL,
        "help",
        &response_url,
    );
    slash["envelope_id"] = json!("env-slash-docs");
    world.sim.send_socket_envelope(slash).await.unwrap();
    let table_look = look_url(&world, content::TABLE_LOOK_ID);
    let sdk_url = world.sim.response_url_in("socket-slash-sdk", GENERAL);
    let mut sdk_slash = fixture("socket_mode/slash_commands.envelope.sdk.json");
    slash_fields(
        sdk_slash["payload"].as_object_mut().unwrap(),
        GENERAL,
        &table_look,
        &sdk_url,
    );
    world.sim.send_socket_envelope(sdk_slash).await.unwrap();

    let shortcut = fixture("socket_mode/interactive.shortcut.envelope.json");
    world.sim.send_socket_envelope(shortcut).await.unwrap();

    let messages = world.settled().await;
    let button = first_button_value(&messages);
    let click_url = world.sim.response_url_in("socket-click", ALICE_DM);
    let mut click = fixture("socket_mode/interactive.block_actions.envelope.json");
    click["payload"] = click_payload(click["payload"].clone(), ALICE_DM, &button, &click_url);
    world.sim.send_socket_envelope(click).await.unwrap();
    let done = message_containing(&world, ":white_check_mark:").await;
    assert_eq!(done.method, "response_url");
    assert_eq!(done.response_type.as_deref(), Some("ephemeral"));
    assert_eq!(world.sandbox.performed_data_actions().len(), 1);

    let messages = world.settled().await;
    let revenue = messages
        .iter()
        .filter(|m| all_text(m).contains("Total Revenue"))
        .count();
    assert_eq!(revenue, 1, "the redelivered DM was answered once: {messages:#?}");
    let slash_help = messages
        .iter()
        .find(|m| m.method == "response_url" && all_text(m).contains("Built-in commands"))
        .expect("help through the slash command's response_url");
    assert_eq!(slash_help.response_type.as_deref(), Some("ephemeral"));
    let slash_look = messages
        .iter()
        .find(|m| m.method == "response_url" && all_text(m).contains("Orders by Status"))
        .expect("the Look through response_url");
    assert_eq!(slash_look.response_type.as_deref(), Some("in_channel"));
    assert_eq!(slash_look.channel, GENERAL);
    assert_eq!(
        messages
            .iter()
            .filter(|m| all_text(m).contains("Built-in commands"))
            .count(),
        2,
        "the shortcut did nothing: {messages:#?}"
    );
    let acks = ack_ids(&world);
    for id in [
        mention["envelope_id"].as_str().unwrap(),
        dm["envelope_id"].as_str().unwrap(),
        "env-redelivered",
        "env-slash-docs",
        "57d6a792-4d35-4d0b-b6aa-3361493e1caf",
        "dbdd0ef3-1543-4f94-bfb4-133d0e6c1545",
    ] {
        assert!(acks.iter().any(|a| a == id), "envelope {id} acked: {acks:?}");
    }
    world.stop().await;
}

#[tokio::test]
async fn socket_mode_reconnects_after_a_dropped_socket_and_disconnect_frames() {
    let world = socket_world().await;
    let mut connections = world.sim.socket_connections();
    world.sim.drop_socket().await;
    connections += 1;
    assert!(
        world
            .sim
            .wait_for_socket_connections(connections, Duration::from_secs(10))
            .await,
        "a new connection after the drop"
    );
    let first = events_envelope(
        "socket_mode/events_api.message.envelope.json",
        &Said::alice_dm("find orders"),
    );
    world.sim.send_socket_envelope(first).await.unwrap();
    message_containing(&world, "Orders by Status").await;

    let mut pushes = Vec::new();
    for name in ["refresh_requested", "warning", "too_many_websockets", "link_disabled"] {
        // The frame as Slack sends it, on a connection Slack leaves open: the bot must move on by itself. It is
        // not an envelope, so no ack comes back.
        let frame = fixture(&format!("socket_mode/disconnect.{name}.json"));
        let sim = world.sim.clone();
        pushes.push((name, tokio::spawn(async move { sim.send_socket_envelope(frame).await })));
        connections += 1;
        assert!(
            world
                .sim
                .wait_for_socket_connections(connections, Duration::from_secs(10))
                .await,
            "a new connection after disconnect ({name})"
        );
    }
    for (name, push) in pushes {
        assert!(
            push.await.unwrap().is_err(),
            "a disconnect frame is not acknowledged ({name})"
        );
    }
    let before = world.sim.messages().len();
    let last = events_envelope(
        "socket_mode/events_api.app_mention.envelope.json",
        &Said::alice_general("<@UBOT> find revenue"),
    );
    world.sim.send_socket_envelope(last).await.unwrap();
    let messages = world.messages(before + 1).await;
    assert!(all_text(&messages[before]).contains("Revenue"), "{messages:#?}");
    assert_eq!(messages[before].channel, GENERAL);
    world.stop().await;
}

#[tokio::test]
async fn rtm_answers_dms_and_mentions_with_only_a_bot_token() {
    let world = World::start_with(&[("SLACK_SIGNING_SECRET", ""), ("SLACK_MODE", "rtm")]).await;
    let n = unique();
    world
        .sim
        .send_rtm_event(
            json!({"type": "message", "channel": ALICE_DM, "user": ALICE, "text": "help",
                               "ts": format!("1700000200.{n:06}")}),
        )
        .await
        .unwrap();
    let help = message_containing(&world, "Built-in commands").await;
    assert_eq!(help.channel, ALICE_DM);
    for (text, channel) in [
        ("<@UBOT> find orders", GENERAL),
        ("help", GENERAL),
        ("my own words", ALICE_DM),
    ] {
        let user = if text == "my own words" { BOT } else { ALICE };
        world
            .sim
            .send_rtm_event(
                json!({"type": "message", "channel": channel, "user": user, "text": text,
                                   "ts": format!("1700000201.{:06}", unique())}),
            )
            .await
            .unwrap();
    }
    let found = message_containing(&world, "Orders by Status").await;
    assert_eq!(found.channel, GENERAL, "the mention in a channel, stripped");
    let messages = world.settled().await;
    assert_eq!(
        messages.len(),
        2,
        "a plain channel message and the bot's own are not answered: {messages:#?}"
    );
    // Without a signing secret nothing can come in over HTTP.
    let (body, _) = callback("events/message_im.event_callback.json", &Said::alice_dm("help"));
    assert_eq!(post_event(&world, "/slack/events", &body, None).await.status(), 401);
    world.stop().await;
}

#[tokio::test]
async fn the_events_api_answers_on_every_path_and_strips_the_mention() {
    let world = World::start().await;
    world.sim.clear_calls(); // the start-up auth.test
    let challenge = fixture("events/url_verification.json");
    for path in ["/slack/events", "/slack/receive", "/slack/event"] {
        let response = post_event(&world, path, &challenge, None).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), challenge["challenge"].as_str().unwrap());
    }
    assert!(world.sim.calls().is_empty(), "the handshake needs no Slack call");

    let (mention, _) = callback(
        "events/app_mention.event_callback.json",
        &Said::alice_general("<@UBOT> help"),
    );
    // Slack also sends the mention as a channel message; only app_mention is answered.
    let mut as_message = callback_around(mention["event"].clone());
    as_message["event"]["type"] = json!("message");
    as_message["event"]["channel_type"] = json!("channel");
    assert_eq!(post_event(&world, "/slack/event", &mention, None).await.status(), 200);
    assert_eq!(
        post_event(&world, "/slack/events", &as_message, None).await.status(),
        200
    );
    let (dm, _) = callback("events/message_im.event_callback.json", &Said::alice_dm("find orders"));
    assert_eq!(post_event(&world, "/slack/receive", &dm, None).await.status(), 200);
    let (invite, _) = callback(
        "events/app_mention.invite.event_callback.json",
        &Said::alice_general("You can count on <@UBOT> for an honorable mention."),
    );
    assert_eq!(post_event(&world, "/slack/events", &invite, None).await.status(), 200);

    let messages = world.settled().await;
    let help: Vec<_> = messages
        .iter()
        .filter(|m| all_text(m).contains("Built-in commands"))
        .collect();
    assert_eq!(help.len(), 1, "one answer to one mention: {messages:#?}");
    assert_eq!(help[0].channel, GENERAL);
    assert!(
        messages
            .iter()
            .any(|m| m.channel == ALICE_DM && all_text(m).contains("Orders by Status"))
    );
    let not_understood = messages
        .iter()
        .find(|m| all_text(m).contains("couldn't understand"))
        .expect("the invite mention is not a command");
    assert_eq!(not_understood.channel, GENERAL);
    world.stop().await;
}

#[tokio::test]
async fn messages_not_for_the_bot_produce_no_slack_call() {
    let world = World::start().await;
    world.sim.clear_calls(); // the start-up auth.test
    let look = look_url(&world, content::TABLE_LOOK_ID);
    let ignored = [
        json!({"type": "message", "channel": ALICE_DM, "channel_type": "im", "user": BOT, "text": look}),
        json!({"type": "message", "channel": ALICE_DM, "channel_type": "im", "user": HELPER_BOT,
               "bot_id": "BHELPER", "text": "help"}),
        json!({"type": "message", "subtype": "bot_message", "channel": ALICE_DM, "channel_type": "im",
               "bot_id": "BHOOK", "username": "webhook", "text": "help"}),
        json!({"type": "message", "subtype": "message_changed", "channel": ALICE_DM, "channel_type": "im",
               "hidden": true, "message": {"type": "message", "user": ALICE, "text": "help", "ts": "1.2"},
               "previous_message": {"type": "message", "user": ALICE, "text": "hlep", "ts": "1.2"}}),
        json!({"type": "message", "subtype": "channel_join", "channel": GENERAL, "channel_type": "channel",
               "user": "U0BOB", "text": "<@U0BOB> has joined the channel"}),
        json!({"type": "message", "channel": GENERAL, "channel_type": "channel", "user": ALICE, "text": look}),
        json!({"type": "app_mention", "channel": GENERAL, "user": HELPER_BOT, "bot_id": "BHELPER",
               "text": "<@UBOT> help"}),
    ];
    for (i, event) in ignored.into_iter().enumerate() {
        let mut event = event;
        event["ts"] = json!(format!("1700000300.{i:06}"));
        let response = post_event(&world, "/slack/events", &callback_around(event), None).await;
        assert_eq!(response.status(), 200, "Slack gets its ack");
    }
    assert_silent(&world, "own, bots', edits, joins and unaddressed links").await;
    assert!(
        world.sim.calls().is_empty(),
        "not even a lookup: {:?}",
        world.sim.calls()
    );
    world.stop().await;
}

#[tokio::test]
async fn entities_and_curly_quotes_in_text_are_decoded() {
    let world = World::start_with(&[("LOOKER_SLACKBOT_LOADING_MESSAGES", "false")]).await;
    world.dm("find \u{201C}Orders by Status\u{201D}").await;
    let found = world.messages(1).await;
    let first = &blocks(&found[0])[0]["text"]["text"];
    assert!(
        first.as_str().unwrap().contains("|Orders by Status>"),
        "the quoted title is found first: {found:#?}"
    );
    world.dm("find &lt;zebra&gt; &amp; \u{2018}stripes\u{2019}").await;
    let none = world.messages(2).await;
    let nothing = blocks(&none[1])[0]["text"]["text"].as_str().unwrap().to_string();
    assert!(
        nothing.starts_with("No Looks match \"&lt;zebra&gt; &amp; 'stripes'\"."),
        "decoded once, escaped once, quotes straightened: {nothing}"
    );
    world.stop().await;
}

#[tokio::test]
async fn channel_links_expand_when_enabled_while_help_there_is_ignored() {
    let world = World::start_with(&[("LOOKER_SLACKBOT_EXPAND_URLS", "true")]).await;
    let look = look_url(&world, content::TABLE_LOOK_ID);
    for text in ["help", "what does \u{201C}help\u{201D} mean"] {
        let (body, _) = callback("events/message_im.event_callback.json", &Said::alice_general(text));
        post_event(&world, "/slack/events", &body, None).await;
    }
    assert_silent(&world, "help in a channel is not for the bot").await;
    let (body, _) = callback(
        "events/message_im.event_callback.json",
        &Said::alice_general(&format!("numbers: <{look}>")),
    );
    post_event(&world, "/slack/events", &body, None).await;
    let expanded = message_containing(&world, "Orders by Status").await;
    assert_eq!(expanded.channel, GENERAL);
    assert!(block_of(&expanded, "table")["rows"].as_array().unwrap().len() > 1);
    world.stop().await;
}

#[tokio::test]
async fn shared_looker_links_are_unfurled_with_their_results() {
    let world = World::start().await;
    let look = look_url(&world, content::TABLE_LOOK_ID);
    let (mut body, _) = callback("events/link_shared.event_callback.json", &Said::alice_general(""));
    let event = &mut body["event"];
    event["message_ts"] = json!("1700000400.000100");
    event.as_object_mut().unwrap().remove("thread_ts");
    event["links"] =
        json!([{"domain": "127.0.0.1", "url": look}, {"domain": "example.com", "url": "https://example.com/12345"}]);
    assert_eq!(post_event(&world, "/slack/events", &body, None).await.status(), 200);
    let unfurl = calls_to(&world, "chat.unfurl").await;
    assert_eq!(unfurl[0].args["channel"], GENERAL);
    assert_eq!(unfurl[0].args["ts"], "1700000400.000100");
    let unfurls = json_arg(&unfurl[0].args["unfurls"]);
    let keys: Vec<&String> = unfurls.as_object().unwrap().keys().collect();
    assert_eq!(keys, [&look], "only the Looker link is unfurled");
    let preview = unfurls[&look]["blocks"].to_string();
    assert!(
        preview.contains("Orders by Status") && preview.contains("\"table\""),
        "{preview}"
    );
    assert!(preview.contains("complete"), "the Look's rows: {preview}");

    // A link in the message composer: answered by unfurl_id and source.
    let mut composer = fixture("events/link_shared.composer.event.json");
    composer["user"] = json!(ALICE);
    composer["links"] = json!([{"domain": "127.0.0.1", "url": look_url(&world, content::SINGLE_VALUE_LOOK_ID)}]);
    world.sim.clear_calls();
    post_event(&world, "/slack/events", &callback_around(composer.clone()), None).await;
    let unfurl = calls_to(&world, "chat.unfurl").await;
    assert_eq!(unfurl[0].args["unfurl_id"], composer["unfurl_id"]);
    assert_eq!(unfurl[0].args["source"], "composer");
    assert!(
        json_arg(&unfurl[0].args["unfurls"])
            .to_string()
            .contains("Total Revenue")
    );
    let messages = world.settled().await;
    assert!(
        messages.iter().all(|m| m.method == "chat.unfurl"),
        "nothing but previews: {messages:#?}"
    );
    world.stop().await;
}

/// An argument Slack may carry as a JSON string or as JSON.
fn json_arg(value: &Value) -> Value {
    match value {
        Value::String(text) => serde_json::from_str(text).unwrap(),
        other => other.clone(),
    }
}

/// A DM from `user` in `channel`.
async fn dm_from(world: &World, user: &str, channel: &str, text: &str) {
    let (body, _) = callback("events/message_im.event_callback.json", &Said::new(user, channel, text));
    assert_eq!(post_event(world, "/slack/events", &body, None).await.status(), 200);
}

#[tokio::test]
async fn guests_other_workspaces_strangers_and_bot_users_are_refused_privately() {
    let world = World::start_with(&[("LOOKER_SLACKBOT_EXPAND_URLS", "true")]).await;
    dm_from(&world, GUEST, GUEST_DM, "help").await;
    dm_from(&world, OUTSIDER, OUTSIDER_DM, "help").await;
    dm_from(&world, STRANGER, STRANGER_DM, "help").await;
    // A bot user's mention without bot_id (as a workflow sends) and an app user's: refused, with a reason.
    for user in [HELPER_BOT, APP_USER] {
        let (mention, _) = callback(
            "events/app_mention.event_callback.json",
            &Said::new(user, GENERAL, "<@UBOT> help"),
        );
        post_event(&world, "/slack/events", &mention, None).await;
    }
    let messages = world.messages(5).await;
    for (user, channel, refusal) in [
        (GUEST, GUEST_DM, GUEST_REFUSAL),
        (OUTSIDER, OUTSIDER_DM, OTHER_WORKSPACE_REFUSAL),
        (STRANGER, STRANGER_DM, OTHER_WORKSPACE_REFUSAL),
        (HELPER_BOT, GENERAL, BOT_REFUSAL),
        (APP_USER, GENERAL, BOT_REFUSAL),
    ] {
        let message = messages
            .iter()
            .find(|m| m.user.as_deref() == Some(user))
            .unwrap_or_else(|| panic!("an answer to {user}: {messages:#?}"));
        assert_eq!(message.method, "chat.postEphemeral");
        assert_eq!(message.channel, channel);
        assert!(all_text(message).contains(refusal), "{message:#?}");
    }
    assert!(
        !messages.iter().any(|m| all_text(m).contains("Built-in commands")),
        "nobody refused got an answer: {messages:#?}"
    );

    // Reading along, refusals are silent: a guest's link is neither expanded nor refused.
    let settled = world.settled().await.len();
    world.sim.clear_calls();
    let look = look_url(&world, content::TABLE_LOOK_ID);
    dm_from(&world, GUEST, GENERAL, &look).await;
    let mut shared = fixture("events/link_shared.composer.event.json");
    shared["user"] = json!(GUEST);
    shared["links"] = json!([{"domain": "127.0.0.1", "url": look}]);
    post_event(&world, "/slack/events", &callback_around(shared), None).await;
    let after = world.settled().await;
    assert_eq!(after.len(), settled, "{after:#?}");
    assert!(visible_calls(&world).is_empty(), "{:#?}", visible_calls(&world));
    assert_eq!(world.sandbox.calls("look"), 0);
    world.stop().await;
}

#[tokio::test]
async fn an_enterprise_grid_member_of_the_workspace_is_answered() {
    let world = World::start().await;
    dm_from(&world, GRID_MEMBER, GRID_DM, "help").await;
    let messages = world.messages(1).await;
    let answer = messages.iter().find(|m| m.channel == GRID_DM).expect("an answer");
    assert_eq!(answer.method, "chat.postMessage");
    assert!(all_text(answer).contains("Built-in commands"), "{answer:#?}");
    world.stop().await;
}

#[tokio::test]
async fn guests_and_other_workspaces_are_answered_when_allowed() {
    let world = World::start_with(&[
        ("ALLOW_SLACK_GUEST_USERS", "true"),
        ("ALLOW_SLACK_SHARED_WORKSPACES", "true"),
    ])
    .await;
    dm_from(&world, GUEST, GUEST_DM, "help").await;
    dm_from(&world, OUTSIDER, OUTSIDER_DM, "help").await;
    dm_from(&world, STRANGER, STRANGER_DM, "help").await;
    let messages = world.messages(3).await;
    for channel in [GUEST_DM, OUTSIDER_DM, STRANGER_DM] {
        let answer = messages.iter().find(|m| m.channel == channel).expect("an answer");
        assert_eq!(answer.method, "chat.postMessage");
        assert!(all_text(answer).contains("Built-in commands"));
    }
    world.stop().await;
}

#[tokio::test]
async fn retried_events_are_acknowledged_and_handled_once() {
    let world = World::start().await;
    let (body, _) = callback("events/message_im.event_callback.json", &Said::alice_dm("help"));
    assert_eq!(post_event(&world, "/slack/events", &body, None).await.status(), 200);
    for retry in 1..=2 {
        let response = post_event(&world, "/slack/events", &body, Some(retry)).await;
        assert_eq!(response.status(), 200, "retry {retry} acknowledged");
    }
    let messages = world.settled().await;
    let help = messages
        .iter()
        .filter(|m| all_text(m).contains("Built-in commands"))
        .count();
    assert_eq!(help, 1, "{messages:#?}");
    world.stop().await;
}

#[tokio::test]
async fn forged_stale_and_unsigned_requests_are_refused() {
    let world = World::start().await;
    world.sim.clear_calls(); // the start-up auth.test
    let (body, _) = callback("events/message_im.event_callback.json", &Said::alice_dm("help"));
    let text = body.to_string();
    let now = chrono::Utc::now().timestamp();
    let send = |timestamp: Option<i64>, signature: Option<String>, body: String| {
        let mut request = world
            .http
            .post(format!("{}/slack/events", world.url))
            .header("content-type", "application/json")
            .body(body);
        if let Some(ts) = timestamp {
            request = request.header("x-slack-request-timestamp", ts.to_string());
        }
        if let Some(signature) = signature {
            request = request.header("x-slack-signature", signature);
        }
        request.send()
    };
    let forged = slack_sim::SlackSim::start(slack_sim::SimConfig {
        signing_secret: "not-the-secret".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let cases = [
        (
            "forged",
            Some(now),
            Some(forged.sign(now, text.as_bytes())),
            text.clone(),
        ),
        (
            "stale",
            Some(now - 600),
            Some(world.sim.sign(now - 600, text.as_bytes())),
            text.clone(),
        ),
        (
            "from the future",
            Some(now + 600),
            Some(world.sim.sign(now + 600, text.as_bytes())),
            text.clone(),
        ),
        ("unsigned", None, None, text.clone()),
        (
            "tampered",
            Some(now),
            Some(world.sim.sign(now, text.as_bytes())),
            text.replace("help", "find orders"),
        ),
    ];
    for (what, timestamp, signature, body) in cases {
        let response = send(timestamp, signature, body).await.unwrap();
        assert_eq!(response.status(), 401, "{what}");
    }
    let url = world.sim.response_url_in("unsigned-slash", GENERAL);
    let form = serde_urlencoded::to_string([
        ("command", "/looker"),
        ("text", "help"),
        ("user_id", ALICE),
        ("channel_id", GENERAL),
        ("response_url", url.as_str()),
    ])
    .unwrap();
    let unsigned_slash = world
        .http
        .post(format!("{}/slack/receive", world.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned_slash.status(), 401, "unsigned slash command");
    let click = click_payload(
        fixture("interactivity/block_actions.message.json"),
        GENERAL,
        &format!(
            r#"{{"lookerUrl":"{}","action":{{"url":"x"}}}}"#,
            world.sandbox.web_url()
        ),
        &url,
    );
    let form = serde_urlencoded::to_string([("payload", click.to_string())]).unwrap();
    let now = chrono::Utc::now().timestamp();
    let forged_click = world
        .http
        .post(format!("{}/slack/action", world.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", now.to_string())
        .header("x-slack-signature", forged.sign(now, form.as_bytes()))
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(forged_click.status(), 401, "forged click");
    assert!(world.sandbox.performed_data_actions().is_empty());
    assert_silent(&world, "refused requests").await;
    assert!(world.sim.calls().is_empty(), "{:?}", world.sim.calls());
    forged.shutdown().await;
    world.stop().await;
}

#[tokio::test]
async fn without_loading_messages_only_the_answer_is_posted() {
    let world = World::start_with(&[("LOOKER_SLACKBOT_LOADING_MESSAGES", "false")]).await;
    world.dm(&look_url(&world, content::TABLE_LOOK_ID)).await;
    let messages = world.settled().await;
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(messages[0].method, "chat.postMessage");
    assert!(all_text(&messages[0]).contains("Orders by Status"));
    assert!(
        world.sim.calls().iter().all(|c| !c.args.to_string().contains(LOADING)),
        "no loading message was ever sent"
    );
    world.stop().await;
}

#[tokio::test]
async fn slash_commands_are_acknowledged_at_once_when_looker_is_slow() {
    let world = World::start().await;
    world.sandbox.set_latency(Duration::from_secs(5));
    let fixture_form = fixture("interactivity/slash_command.form.json");
    let mut fields: serde_json::Map<String, Value> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(fixture_form["body"].as_str().unwrap())
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, json!(v)))
            .collect();
    let response_url = world.sim.response_url_in("slow", GENERAL);
    let look = look_url(&world, content::TABLE_LOOK_ID);
    slash_fields(&mut fields, GENERAL, &look, &response_url);
    let pairs: Vec<(String, String)> = fields
        .into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap().to_string()))
        .collect();
    let form = serde_urlencoded::to_string(&pairs).unwrap();
    let started = Instant::now();
    let response = world
        .post_signed("/slack/receive", "application/x-www-form-urlencoded", form)
        .await;
    let waited = started.elapsed();
    assert_eq!(response.status(), 200);
    assert!(
        waited < Duration::from_secs(3),
        "Slack wants an ack within 3 s, took {waited:?}"
    );
    let (dm, _) = callback(
        "events/message_im.event_callback.json",
        &Said::alice_dm(&look_url(&world, content::SINGLE_VALUE_LOOK_ID)),
    );
    let started_event = Instant::now();
    assert_eq!(post_event(&world, "/slack/events", &dm, None).await.status(), 200);
    assert!(
        started_event.elapsed() < Duration::from_secs(3),
        "events are acked at once too"
    );
    let answer = message_containing(&world, "Orders by Status").await;
    assert_eq!(answer.method, "response_url");
    assert_eq!(answer.response_type.as_deref(), Some("in_channel"));
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "the answer waited for Looker"
    );
    world.stop().await;
}

#[tokio::test]
async fn clicks_over_http_run_the_data_action_or_say_the_button_is_unknown() {
    let world = World::start_with(&[("LOOKER_SLACKBOT_LOADING_MESSAGES", "false")]).await;
    world.dm(&look_url(&world, content::SINGLE_VALUE_LOOK_ID)).await;
    let messages = world.messages(1).await;
    let button = first_button_value(&messages);
    let click_url = world.sim.response_url_in("http-click", ALICE_DM);
    let click = click_payload(
        fixture("interactivity/block_actions.message.json"),
        ALICE_DM,
        &button,
        &click_url,
    );
    assert_eq!(post_interactive(&world, "/slack/action", &click).await.status(), 200);
    let done = message_containing(&world, ":white_check_mark:").await;
    assert_eq!(done.response_type.as_deref(), Some("ephemeral"));
    assert_eq!(world.sandbox.performed_data_actions().len(), 1);

    // The legacy attachment menu of another app: not one of ours, said privately, nothing run.
    let legacy_url = world.sim.response_url_in("legacy", GENERAL);
    let mut legacy = fixture("interactivity/interactive_message.legacy.json");
    legacy["team"]["id"] = json!(TEAM);
    legacy["user"] = json!({"id": ALICE, "name": "alice"});
    legacy["channel"] = json!({"id": GENERAL, "name": "general"});
    legacy["response_url"] = json!(legacy_url);
    assert_eq!(post_interactive(&world, "/slack/receive", &legacy).await.status(), 200);
    let unknown = message_containing(&world, "not one of Lookerbot").await;
    assert_eq!(unknown.response_type.as_deref(), Some("ephemeral"));
    assert_eq!(unknown.channel, GENERAL);
    assert_eq!(world.sandbox.performed_data_actions().len(), 1);
    world.stop().await;
}

#[tokio::test]
async fn a_slash_command_loading_message_is_private_and_the_answer_public() {
    let world = World::start().await;
    world.slash(&look_url(&world, content::TABLE_LOOK_ID)).await;
    let messages = world.settled().await;
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(messages.iter().all(|m| m.method == "response_url"));
    assert!(all_text(&messages[0]).contains(LOADING));
    assert_eq!(
        messages[0].response_type.as_deref(),
        Some("ephemeral"),
        "a loading message that cannot be replaced must not stay in the channel"
    );
    assert!(all_text(&messages[1]).contains("Orders by Status"));
    assert_eq!(messages[1].response_type.as_deref(), Some("in_channel"));
    world.stop().await;
}

#[tokio::test]
async fn a_mention_in_a_thread_is_answered_in_the_thread() {
    let world = World::start().await;
    let (mut mention, _) = callback(
        "events/app_mention.event_callback.json",
        &Said::alice_general("<@UBOT> customers Texas"),
    );
    mention["event"]["thread_ts"] = json!("1700000000.000001");
    post_event(&world, "/slack/events", &mention, None).await;
    let messages = world.settled().await;
    assert_eq!(
        messages.len(),
        1,
        "the loading message became the answer: {messages:#?}"
    );
    assert!(all_text(&messages[0]).contains("Customers by Country"));
    assert_eq!(messages[0].thread_ts.as_deref(), Some("1700000000.000001"));
    let posted = world.sim.calls_to("chat.postMessage");
    assert_eq!(
        posted[0].args["thread_ts"], "1700000000.000001",
        "the loading message too"
    );
    world.stop().await;
}

#[tokio::test]
async fn charts_asked_for_where_the_bot_is_not_a_member_say_to_invite_it() {
    let world = World::start().await;
    let random = "C0RANDOM";
    let response_url = world.sim.response_url_in("not-member", random);
    let form = serde_urlencoded::to_string([
        ("team_id", TEAM),
        ("channel_id", random),
        ("channel_name", "random"),
        ("user_id", ALICE),
        ("user_name", "alice"),
        ("command", "/looker"),
        ("text", "returns"),
        ("response_url", response_url.as_str()),
    ])
    .unwrap();
    let response = world
        .post_signed("/slack/receive", "application/x-www-form-urlencoded", form)
        .await;
    assert_eq!(response.status(), 200);
    let warning = message_containing(&world, ":warning:").await;
    assert_eq!(warning.method, "response_url");
    assert_eq!(
        warning.response_type.as_deref(),
        Some("ephemeral"),
        "only the asker sees it"
    );
    assert!(all_text(&warning).contains("/invite"), "{}", all_text(&warning));
    assert!(world.sim.files().is_empty());
    world.stop().await;
}

#[tokio::test]
async fn rtm_reconnects_after_a_dropped_socket() {
    let world = World::start_with(&[("SLACK_SIGNING_SECRET", ""), ("SLACK_MODE", "rtm")]).await;
    assert!(world.sim.wait_for_socket_connections(1, Duration::from_secs(10)).await);
    world.sim.drop_socket().await;
    assert!(
        world.sim.wait_for_socket_connections(2, Duration::from_secs(10)).await,
        "a new RTM connection"
    );
    world
        .sim
        .send_rtm_event(
            json!({"type": "message", "channel": ALICE_DM, "user": ALICE, "text": "find orders",
                               "ts": format!("1700000500.{:06}", unique())}),
        )
        .await
        .unwrap();
    let found = message_containing(&world, "Orders by Status").await;
    assert_eq!(found.channel, ALICE_DM);
    world.stop().await;
}

#[tokio::test]
async fn refusals_to_slash_commands_and_clicks_are_private_and_run_nothing() {
    let world = World::start().await;
    let slash_url = world.sim.response_url_in("guest-slash", GENERAL);
    let form = serde_urlencoded::to_string([
        ("team_id", TEAM),
        ("channel_id", GENERAL),
        ("user_id", GUEST),
        ("user_name", "guest"),
        ("command", "/looker"),
        ("text", look_url(&world, content::TABLE_LOOK_ID).as_str()),
        ("response_url", slash_url.as_str()),
    ])
    .unwrap();
    let response = world
        .post_signed("/slack/receive", "application/x-www-form-urlencoded", form)
        .await;
    assert_eq!(response.status(), 200);
    let refused = message_containing(&world, GUEST_REFUSAL).await;
    assert_eq!(refused.method, "response_url");
    assert_eq!(refused.response_type.as_deref(), Some("ephemeral"));

    let click_url = world.sim.response_url_in("gone-click", GENERAL);
    let mut click = click_payload(
        fixture("interactivity/block_actions.message.json"),
        GENERAL,
        r#"{"lookerUrl":"http://127.0.0.1:1","action":{}}"#,
        &click_url,
    );
    click["user"]["id"] = json!("U0GONE");
    post_interactive(&world, "/slack/action", &click).await;
    let deactivated = message_containing(&world, slack::access::DEACTIVATED_REFUSAL).await;
    assert_eq!(deactivated.response_type.as_deref(), Some("ephemeral"));

    // When Slack cannot say who is asking, the bot does not guess: it says so, privately.
    world.sim.fail("users.info", 1, 500);
    dm_from(&world, "U0BOB", "D0BOB", "help").await;
    let unknown = message_containing(&world, "could not check who you are").await;
    assert_eq!(unknown.method, "chat.postEphemeral");
    assert_eq!(unknown.user.as_deref(), Some("U0BOB"));

    let messages = world.settled().await;
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert_eq!(world.sandbox.calls("look"), 0);
    assert!(world.sandbox.performed_data_actions().is_empty());
    world.stop().await;
}

#[tokio::test]
async fn looker_failures_stay_unsaid_when_reading_along_and_are_said_when_asked() {
    let world = World::start_with(&[("LOOKER_SLACKBOT_EXPAND_URLS", "true")]).await;
    world
        .sandbox
        .inject_fault("run_query", looker_sandbox::Fault::Status(500), Some(50));
    let look = look_url(&world, content::TABLE_LOOK_ID);
    let (body, _) = callback("events/message_im.event_callback.json", &Said::alice_general(&look));
    post_event(&world, "/slack/events", &body, None).await;
    let mut shared = fixture("events/link_shared.composer.event.json");
    shared["user"] = json!(ALICE);
    shared["links"] = json!([{"domain": "127.0.0.1", "url": look}]);
    post_event(&world, "/slack/events", &callback_around(shared), None).await;
    assert_silent(&world, "a link in a channel that Looker fails to run").await;
    assert!(world.sandbox.calls("run_query") >= 2, "both links were tried");

    world.dm(&look).await;
    let warning = message_containing(&world, ":warning: Orders by Status: Looker answered 500").await;
    assert_eq!(warning.channel, ALICE_DM);
    assert!(all_text(&warning).contains("try again later"));
    world.stop().await;
}
