//! What Looker pushes to the bot: scheduled deliveries (webhooks), the Action API (integration list, form, data
//! actions), and data-action buttons clicked in Slack. Each test checks the endpoint's answer exactly and what the
//! Slack simulator received.

use crate::common;
use crate::pushes_support;

use std::time::Duration;

use common::{ALICE_DM, GENERAL, WEBHOOK_TOKEN, World, all_text};
use looker_sandbox::content;
use pushes_support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

// ---- Scheduled deliveries ----------------------------------------------------------------------------------------

#[tokio::test]
async fn a_scheduled_look_is_accepted_at_once_and_posted_to_the_named_channel() {
    let world = World::start().await;
    // A slow Looker: the answer cannot wait for the delivery, which needs several Looker calls.
    world.sandbox.set_latency(Duration::from_millis(300));
    let answer = push(
        &world,
        "/slack/post/channel/general",
        &look_webhook(&world, content::TABLE_LOOK_ID),
    )
    .await;
    assert_eq!(
        answer,
        (
            StatusCode::OK,
            json!({"success": true, "reason": "Accepted for delivery."})
        )
    );
    assert!(world.sim.messages().is_empty(), "answered before delivering");

    let posted = message_where(&world, |m| all_text(m).contains("Orders by Status")).await;
    assert_eq!(
        (posted.method.as_str(), posted.channel.as_str()),
        ("chat.postMessage", GENERAL)
    );
    let post_call = &world.sim.calls_to("chat.postMessage")[0];
    assert_eq!(
        post_call.args["channel"],
        json!(GENERAL),
        "the name was resolved to the id"
    );
    let text = all_text(&posted);
    let look_url = format!("{}/looks/{}", world.sandbox.web_url(), content::TABLE_LOOK_ID);
    assert!(text.contains(&look_url), "links the Look: {text}");
    let complete = world
        .sandbox
        .sql_count("SELECT COUNT(*) FROM orders WHERE status = 'complete'");
    assert!(
        text.contains(&format!("complete | {}", thousands(complete as u64))),
        "{text}"
    );
    assert_eq!(
        (world.sandbox.calls("look"), world.sandbox.calls("run_query")),
        (0, 1),
        "the query Looker sent with the plan is run, without fetching the Look again"
    );
    world.stop().await;
}

#[tokio::test]
async fn a_plan_whose_query_has_no_visualization_is_read_from_its_look() {
    let world = World::start().await;
    let mut payload = look_webhook(&world, content::TABLE_LOOK_ID);
    payload["scheduled_plan"]["query"]["vis_config"] = Value::Null;
    let (status, body) = push(&world, "/slack/post/channel/general", &payload).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let posted = message_where(&world, |m| all_text(m).contains("Orders by Status")).await;
    assert_eq!(posted.channel, GENERAL);
    assert_eq!(
        world.sandbox.calls("look"),
        1,
        "only the Look tells a chart from a table"
    );
    world.stop().await;
}

#[tokio::test]
async fn private_channels_and_people_are_found_by_name() {
    let world = World::start().await;
    let payload = look_webhook(&world, content::TABLE_LOOK_ID);
    for path in ["/slack/post/group/secret-plans", "/slack/post/dm/alice"] {
        let (status, body) = push(&world, path, &payload).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let messages = world.messages(2).await;
    let mut channels: Vec<&str> = messages.iter().map(|m| m.channel.as_str()).collect();
    channels.sort();
    assert_eq!(channels, [ALICE_DM, "G0PRIVATE"]);
    assert!(messages.iter().all(|m| all_text(m).contains("Orders by Status")));
    world.stop().await;
}

#[tokio::test]
async fn a_look_whose_plan_has_other_filters_runs_the_plans_query_and_links_the_plan() {
    let world = World::start().await;
    let plan_url = format!(
        "{}/looks/{}?f[users.country]=USA",
        world.sandbox.web_url(),
        content::TABLE_LOOK_ID
    );
    let payload = with_plan(json!({
        "scheduled_plan_id": 7, "title": "Orders by Status (US)", "type": "Look", "url": plan_url,
        "query_id": content::VIEW_NAMES_LOOK_ID.parse::<u64>().unwrap(), "filters_differ_from_look": true,
    }));
    let (status, _) = push(&world, "/slack/post/channel/alerts", &payload).await;
    assert_eq!(status, StatusCode::OK);
    let posted = message_where(&world, |m| all_text(m).contains("Orders by Status (US)")).await;
    assert_eq!(posted.channel, "C0ALERTS");
    let text = all_text(&posted);
    assert!(text.contains(&plan_url), "the link is the plan's URL: {text}");
    assert!(
        text.contains("California"),
        "the plan's query ran (users by state): {text}"
    );
    assert!(!text.contains("complete"), "not the saved Look's query: {text}");
    assert_eq!(world.sandbox.calls("look"), 0, "the saved Look is not used");
    world.stop().await;
}

#[tokio::test]
async fn a_plan_with_only_a_query_id_runs_that_query() {
    let world = World::start().await;
    let payload = with_plan(json!({
        "scheduled_plan_id": 8, "title": "Statuses today", "type": "Look", "url": null,
        "query_id": content::TABLE_LOOK_ID.parse::<u64>().unwrap(), "filters_differ_from_look": null,
    }));
    let (status, body) = push(&world, "/slack/post/channel/general", &payload).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let posted = message_where(&world, |m| all_text(m).contains("Statuses today")).await;
    assert!(all_text(&posted).contains("complete"), "{}", all_text(&posted));
    assert_eq!(world.sandbox.calls("look"), 0);
    world.stop().await;
}

#[tokio::test]
async fn a_dashboard_plan_posts_the_rendered_dashboard() {
    let world = World::start().await;
    let url = format!("{}/dashboards/{}", world.sandbox.web_url(), content::SALES_DASHBOARD_ID);
    let payload = with_plan(json!({
        "scheduled_plan_id": 9, "title": "Sales every Monday", "type": "Dashboard", "url": url,
        "query_id": null, "query": null, "filters_differ_from_look": null,
    }));
    let (status, body) = push(&world, "/slack/post/channel/general", &payload).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually("the dashboard image", || !world.sim.files().is_empty()).await;
    let file = &world.sim.files()[0];
    assert_eq!(file.channel.as_deref(), Some(GENERAL));
    assert_eq!(
        file.bytes,
        world
            .sandbox
            .render_dashboard_png(content::SALES_DASHBOARD_ID, "", 400, 300),
        "the PNG Looker rendered for the dashboard"
    );

    let filtered = format!("{url}?State=California");
    let payload = with_plan(json!({"title": "Sales in California", "type": "LookMLDashboard", "url": filtered}));
    let (status, body) = push(&world, "/slack/post/channel/alerts", &payload).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually("the filtered dashboard image", || world.sim.files().len() == 2).await;
    let file = &world.sim.files()[1];
    assert_eq!(file.channel.as_deref(), Some("C0ALERTS"));
    assert_eq!(
        file.bytes,
        world
            .sandbox
            .render_dashboard_png(content::SALES_DASHBOARD_ID, "State=California", 400, 300),
        "rendered with the plan's filters"
    );
    world.stop().await;
}

#[tokio::test]
async fn a_delivery_slack_fails_is_retried_from_the_queue() {
    let world = World::start().await;
    world.sim.fail("chat.postMessage", 3, 503);
    schedule_look_to_general(&world, content::TABLE_LOOK_ID).await;
    let posted = message_where(&world, |m| all_text(m).contains("Orders by Status")).await;
    assert_eq!(posted.channel, GENERAL);
    assert_eq!(
        world.sim.calls_to("chat.postMessage").len(),
        4,
        "three failures, then the post"
    );
    assert_eq!(world.settled().await.len(), 1, "posted once");
    world.stop().await;
}

#[tokio::test]
async fn a_scheduled_look_whose_query_fails_for_good_tells_its_channel() {
    let world = World::start().await;
    world.sandbox.inject_fault(
        "run_query",
        looker_sandbox::Fault::QueryError("Table 'orders' was not found".into()),
        None,
    );
    schedule_look_to_general(&world, content::TABLE_LOOK_ID).await;
    let notice = message_where(&world, |m| all_text(m).contains("could not be delivered")).await;
    assert_eq!(notice.channel, GENERAL, "the notice goes where the Look was to go");
    let text = all_text(&notice);
    assert!(text.contains(":warning:"), "{text}");
    assert!(
        text.contains("The scheduled Look \"Orders by Status\""),
        "names the Look: {text}"
    );
    assert!(
        text.contains("Table 'orders' was not found"),
        "says what failed: {text}"
    );
    assert!(text.contains("Send Now"), "says what to do: {text}");
    let look_url = format!("{}/looks/{}", world.sandbox.web_url(), content::TABLE_LOOK_ID);
    assert!(text.contains(&look_url), "links the Look in Looker: {text}");
    let settled = world.settled().await;
    assert_eq!(settled.len(), 1, "the notice alone is posted, once: {settled:#?}");
    world.stop().await;
}

#[tokio::test]
async fn a_scheduled_look_is_delivered_whatever_quirks_lookers_answers_have() {
    use looker_sandbox::Quirk;
    let world = World::start().await;
    world.sandbox.set_quirks(&[
        Quirk::NumericIds,
        Quirk::NullLists,
        Quirk::UnknownFields,
        Quirk::OmittedNulls,
    ]);
    schedule_look_to_general(&world, content::PIVOT_LOOK_ID).await;
    let posted = message_where(&world, |m| m.channel == GENERAL).await;
    let text = all_text(&posted);
    assert!(!text.contains("could not"), "{text}");
    assert!(text.contains(" | "), "the pivoted table arrived: {text}");
    world.stop().await;
}

#[tokio::test]
async fn refused_plans_get_the_originals_reasons_and_nothing_is_posted() {
    let world = World::start().await;
    let web = world.sandbox.web_url();
    let look_url = format!("{web}/looks/1");
    let cases = [
        (json!({}), "No scheduled plan in payload.".to_string()),
        (json!({"scheduled_plan": null}), "No scheduled plan in payload.".into()),
        (
            with_plan(json!({"type": "Space", "url": look_url, "query_id": 1})),
            "Scheduled plan type Space not supported.".into(),
        ),
        (
            with_plan(json!({"type": "Look", "url": format!("{web}/explore/x/y"), "query_id": null})),
            "Scheduled plan does not have a query_id or a parsable Look URL.".into(),
        ),
    ];
    for (payload, reason) in cases {
        let answer = push(&world, "/slack/post/channel/general", &payload).await;
        assert_eq!(answer, (StatusCode::BAD_REQUEST, refused(&reason)), "{payload}");
    }
    // An empty body is a payload without a plan.
    let answer = post(
        &world,
        "/slack/post/channel/general",
        None,
        &[(WEBHOOK_HEADER, WEBHOOK_TOKEN)],
    )
    .await;
    assert_eq!(
        answer,
        (StatusCode::BAD_REQUEST, refused("No scheduled plan in payload."))
    );
    let garbage = world
        .http
        .post(format!("{}/slack/post/channel/general", world.url))
        .header(WEBHOOK_HEADER, WEBHOOK_TOKEN)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
    let reason = garbage.json::<Value>().await.unwrap()["reason"].clone();
    assert!(
        reason
            .as_str()
            .unwrap()
            .starts_with("The request body is not a Looker webhook payload"),
        "{reason}"
    );
    let (status, _) = push(&world, "/slack/post/fax/general", &look_webhook(&world, "1")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(world.settled().await.is_empty(), "nothing reached Slack");
    assert_eq!(world.sandbox.calls("look"), 0);
    world.stop().await;
}

#[tokio::test]
async fn a_channel_that_is_missing_or_not_joined_is_refused_clearly() {
    let world = World::start().await;
    let payload = look_webhook(&world, content::TABLE_LOOK_ID);
    let missing = |name: &str| {
        format!(
            "Cannot post there: no channel named #{name} that the bot can see; check the name, and for a private \
             channel invite the bot with /invite @bot."
        )
    };
    let not_joined =
        "Cannot post there: the bot is not a member of #random; invite it with /invite @bot in #random.".to_string();
    let cases = [
        ("/slack/post/channel/no-such-channel", missing("no-such-channel")),
        ("/slack/post/group/old-project", missing("old-project")),
        ("/slack/post/channel/random", not_joined.clone()),
        ("/slack/post/channel/C0RANDOM", not_joined.clone()),
        (
            "/slack/post/dm/nobody",
            "Cannot post there: no Slack user named @nobody; check the user name (or use the user id).".into(),
        ),
    ];
    for (path, reason) in cases {
        let answer = push(&world, path, &payload).await;
        assert_eq!(answer, (StatusCode::BAD_REQUEST, refused(&reason)), "{path}");
    }
    let data_action = json!({"form_params": {"channel": "C0RANDOM", "message": "hi"}});
    let (status, body) = push(&world, "/data_actions", &data_action).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"looker": {"success": false,
               "message": "Cannot post there: the bot is not a member of #random; invite it with /invite @bot in #random."}})
    );
    assert!(world.settled().await.is_empty(), "nothing reached Slack");
    world.stop().await;
}

#[tokio::test]
async fn webhook_tokens_must_be_those_of_the_plans_looker() {
    let world = World::start().await;
    world.sandbox.reset_counters();
    let payload = look_webhook(&world, content::TABLE_LOOK_ID);
    let mut elsewhere = payload.clone();
    elsewhere["scheduled_plan"]["url"] = json!("https://other.looker.example/looks/1");
    let unauthorized = (
        StatusCode::UNAUTHORIZED,
        json!({"success": false, "reason": "Invalid webhook token."}),
    );
    let path = "/slack/post/channel/general";
    let no_token = post(&world, path, Some(&payload), &[]).await;
    assert_eq!(no_token, unauthorized, "no token");
    let wrong = post(&world, path, Some(&payload), &[(WEBHOOK_HEADER, "guess")]).await;
    assert_eq!(wrong, unauthorized, "a wrong token");
    let other_looker = push(&world, path, &elsewhere).await;
    assert_eq!(
        other_looker, unauthorized,
        "a plan from a Looker this bot does not serve"
    );
    let action_hub = post(
        &world,
        path,
        Some(&payload),
        &[("authorization", &format!("Token token=\"{WEBHOOK_TOKEN}\""))],
    )
    .await;
    assert_eq!(action_hub, unauthorized, "no LOOKERBOT_AUTH_TOKEN is set");
    let garbage = world
        .http
        .post(format!("{}{path}", world.url))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        garbage.status(),
        StatusCode::UNAUTHORIZED,
        "checked before the body is judged"
    );
    assert!(world.settled().await.is_empty(), "nothing reached Slack");
    assert_eq!(world.sandbox.total_calls(), 0, "Looker was not asked either");
    world.stop().await;
}

const AUTH_TOKEN: &str = "action-hub-secret";

#[tokio::test]
async fn the_auth_token_admits_pushes_when_it_is_set() {
    let world = World::start_with(&[("LOOKERBOT_AUTH_TOKEN", AUTH_TOKEN)]).await;
    let payload = look_webhook(&world, content::TABLE_LOOK_ID);
    let good = format!("Token token=\"{AUTH_TOKEN}\"");
    let path = "/slack/post/channel/general";
    let bad = post(
        &world,
        path,
        Some(&payload),
        &[("authorization", "Token token=\"nope\"")],
    )
    .await;
    assert_eq!(bad.0, StatusCode::UNAUTHORIZED);
    assert!(world.settled().await.is_empty());

    let mut elsewhere = payload.clone();
    elsewhere["scheduled_plan"]["url"] = json!("https://other.looker.example/looks/1");
    let unknown = post(&world, path, Some(&elsewhere), &[("authorization", &good)]).await;
    assert_eq!(
        unknown,
        (
            StatusCode::BAD_REQUEST,
            refused("Requested data is from an unknown Looker.")
        )
    );

    let answer = post(&world, path, Some(&payload), &[("authorization", &good)]).await;
    assert_eq!(
        answer,
        (
            StatusCode::OK,
            json!({"success": true, "reason": "Accepted for delivery."})
        )
    );
    let posted = message_where(&world, |m| all_text(m).contains("Orders by Status")).await;
    assert_eq!(posted.channel, GENERAL);

    let (status, list) = post(&world, "/", None, &[("authorization", &good)]).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["label"], json!("Lookerbot"));
    let message = json!({"form_params": {"channel": "C0ALERTS", "message": "hello"}});
    let lower_case = format!("token token=\"{AUTH_TOKEN}\"");
    let (status, _) = post(
        &world,
        "/data_actions",
        Some(&message),
        &[("authorization", &lower_case)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    message_where(&world, |m| m.text.as_deref() == Some("hello")).await;
    let (status, _) = post(
        &world,
        "/data_actions",
        Some(&message),
        &[("authorization", "Token token=\"x\"")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    world.stop().await;
}

#[tokio::test]
async fn a_query_action_is_posted_to_the_forms_channel() {
    let world = World::start().await;
    let mut payload = look_webhook(&world, content::TABLE_LOOK_ID);
    payload["form_params"] = json!({"channel": "C0ALERTS"});
    let answer = push(&world, "/slack/post_from_query_action", &payload).await;
    assert_eq!(
        answer,
        (
            StatusCode::OK,
            json!({"success": true, "reason": "Accepted for delivery.",
                   "looker": {"success": true, "message": "Accepted for delivery."}})
        )
    );
    let posted = message_where(&world, |m| all_text(m).contains("Orders by Status")).await;
    assert_eq!(posted.channel, "C0ALERTS");

    payload["form_params"] = json!({});
    let answer = push(&world, "/slack/post_from_query_action", &payload).await;
    assert_eq!(
        answer,
        (
            StatusCode::BAD_REQUEST,
            json!({"success": false, "reason": "Channel not specified.",
                   "looker": {"success": false, "message": "Channel not specified."}})
        )
    );
    let unauthorized = post(&world, "/slack/post_from_query_action", Some(&payload), &[]).await;
    assert_eq!(unauthorized.0, StatusCode::UNAUTHORIZED);
    assert_eq!(world.settled().await.len(), 1, "only the accepted one was posted");
    world.stop().await;
}

// ---- The Action API ----------------------------------------------------------------------------------------------

fn action_unauthorized() -> Answer {
    (
        StatusCode::UNAUTHORIZED,
        json!({"looker": {"success": false}, "reason": "Invalid authorization headers."}),
    )
}

#[tokio::test]
async fn the_integration_list_points_back_at_this_server() {
    let world = World::start().await;
    let (status, list) = push(&world, "/", &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let base = &world.url;
    assert_eq!(
        list,
        json!({
            "label": "Lookerbot",
            "integrations": [{
                "name": "post",
                "label": "Slack",
                "description": "Send data to Slack with Lookerbot.",
                "url": format!("{base}/slack/post_from_query_action"),
                "form_url": format!("{base}/data_actions/form"),
                "supported_action_types": ["query"],
                "supported_formats": ["inline_json"],
                "supported_formattings": ["formatted"],
                "supported_visualization_formattings": ["apply"],
                "supported_download_settings": ["push"],
                "uses_oauth": false,
                "params": [],
            }]
        })
    );
    assert_eq!(post(&world, "/", None, &[]).await, action_unauthorized());
    world.stop().await;
}

#[tokio::test]
async fn the_form_offers_joined_public_channels_then_people_sorted() {
    let world = World::start().await;
    let (status, form) = push(&world, "/data_actions/form", &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    let options = |pairs: &[(&str, &str)]| -> Vec<Value> {
        pairs
            .iter()
            .map(|(name, label)| json!({"name": name, "label": label}))
            .collect()
    };
    assert_eq!(
        form,
        json!([{
            "name": "channel",
            "label": "Share In",
            "type": "select",
            "required": true,
            "description": "Channels need the bot as a member; people get a direct message.",
            "options": options(&[
                ("C0ALERTS", "#alerts"),
                ("C0GENERAL", "#general"),
                ("U0ALICE", "@alice"),
                ("U0BOB", "@bob"),
                ("W0GRID", "@grace"),
            ]),
        }])
    );
    assert_eq!(
        post(&world, "/data_actions/form", None, &[(WEBHOOK_HEADER, "guess")]).await,
        action_unauthorized()
    );
    world.stop().await;
}

#[tokio::test]
async fn the_form_offers_people_of_other_workspaces_only_when_they_are_served() {
    let world = World::start_with(&[("ALLOW_SLACK_SHARED_WORKSPACES", "true")]).await;
    let (_, form) = push(&world, "/data_actions/form", &json!({})).await;
    let labels: Vec<&str> = form[0]["options"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["label"].as_str())
        .collect();
    assert_eq!(
        labels,
        ["#alerts", "#general", "@alice", "@bob", "@grace", "@olga", "@stan"]
    );
    world.stop().await;
}

#[tokio::test]
async fn a_data_action_posts_its_message_to_the_channel_or_person() {
    let world = World::start().await;
    let body = json!({"type": "cell", "form_params": {"channel": "C0GENERAL"}, "data": {"message": "Revenue is up"}});
    let answer = push(&world, "/data_actions", &body).await;
    assert_eq!(
        answer,
        (
            StatusCode::OK,
            json!({"looker": {"success": true, "message": "Sending message to C0GENERAL."}})
        )
    );
    let posted = message_where(&world, |m| m.text.as_deref() == Some("Revenue is up")).await;
    assert_eq!(posted.channel, GENERAL);

    // Form answers win over params; a user id means a direct message.
    let body = json!({"form_params": {"channel": "U0BOB", "message": "For Bob"}, "data": {"message": "not this"}});
    let (status, _) = push(&world, "/data_actions", &body).await;
    assert_eq!(status, StatusCode::OK);
    let posted = message_where(&world, |m| m.text.as_deref() == Some("For Bob")).await;
    assert_eq!(posted.channel, "D0BOB");
    world.stop().await;
}

#[tokio::test]
async fn data_action_params_must_be_strings_and_tokens_right() {
    let world = World::start().await;
    let failure = |message: &str| {
        (
            StatusCode::BAD_REQUEST,
            json!({"looker": {"success": false, "message": message}}),
        )
    };
    let cases = [
        (
            json!({"form_params": {"channel": "C0GENERAL"}}),
            "message must be a string.",
        ),
        (
            json!({"data": {"channel": "C0GENERAL", "message": 42}}),
            "message must be a string.",
        ),
        (json!({"data": {"message": "hi"}}), "channel must be a string."),
        (
            json!({"form_params": {"channel": ["C0GENERAL"], "message": "hi"}}),
            "channel must be a string.",
        ),
        (json!({}), "message must be a string."),
    ];
    for (body, message) in cases {
        assert_eq!(push(&world, "/data_actions", &body).await, failure(message), "{body}");
    }
    let good = json!({"form_params": {"channel": "C0GENERAL", "message": "hi"}});
    assert_eq!(
        post(&world, "/data_actions", Some(&good), &[]).await,
        action_unauthorized()
    );
    assert_eq!(
        post(&world, "/data_actions", Some(&good), &[(WEBHOOK_HEADER, "guess")]).await,
        action_unauthorized()
    );
    assert!(world.settled().await.is_empty(), "nothing reached Slack");
    world.stop().await;
}

// ---- Buttons in Slack --------------------------------------------------------------------------------------------

/// Alice asks for the single-value Look in a DM; returns the buttons of the answer.
async fn single_value_buttons(world: &World) -> Vec<PostedButton> {
    world.dm(&single_value_link(world)).await;
    let answer = message_where(world, |m| all_text(m).contains("Total Revenue")).await;
    buttons(&answer)
}

#[tokio::test]
async fn a_button_click_runs_the_data_action_and_answers_the_clicker() {
    let world = World::start().await;
    let offered = single_value_buttons(&world).await;
    let labels: Vec<&str> = offered.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["Ping the sales team"], "actions with a form stay out");
    let (status, _) = click(&world, "/slack/action", &offered[0].value, ALICE_DM, "click1").await;
    assert_eq!(status, StatusCode::OK);
    let answer = click_answer(&world, ALICE_DM).await;
    assert_eq!(answer.text.as_deref(), Some(":white_check_mark: Pinged!!"));
    assert_eq!(answer.response_type.as_deref(), Some("ephemeral"));
    let performed = world.sandbox.performed_data_actions();
    assert_eq!(performed.len(), 1);
    let action = &performed[0]["action"];
    assert_eq!(
        action["url"],
        json!(format!("{}/actions/ping", world.sandbox.web_url()))
    );
    assert_eq!(action["params"], json!([{"name": "team", "value": "sales"}]));
    world.stop().await;
}

#[tokio::test]
async fn in_identity_user_deliveries_run_as_the_bot_and_a_click_runs_as_the_clicker() {
    let world = World::start_in_identity_user().await;
    let payload = look_webhook(&world, content::SINGLE_VALUE_LOOK_ID);
    let (status, _) = push(&world, "/slack/post/channel/general", &payload).await;
    assert_eq!(status, StatusCode::OK, "scheduled deliveries still work");
    let posted = message_where(&world, |m| all_text(m).contains("Total Revenue")).await;
    let offered = buttons(&posted);
    assert_eq!(offered.len(), 1, "{posted:#?}");
    assert_eq!(
        world.sandbox.calls("login_user"),
        0,
        "the delivery ran as the bot's user"
    );
    assert!(world.sandbox.queries_run_by("1") > 0, "the service user ran it");
    click(&world, "/slack/action", &offered[0].value, GENERAL, "as-alice").await;
    let answer = click_answer(&world, GENERAL).await;
    assert_eq!(answer.text.as_deref(), Some(":white_check_mark: Pinged!!"));
    assert_eq!(
        world.sandbox.data_action_performers(),
        ["2"],
        "Alice's Looker user clicked"
    );
    world.stop().await;
}

#[tokio::test]
async fn in_identity_user_a_click_from_someone_without_a_looker_user_runs_nothing() {
    // Without `users:read.email` the bot cannot tell who clicked in Looker.
    let world = World::start_with(&[("LOOKERBOT_IDENTITY", "user")]).await;
    let web = world.sandbox.web_url();
    let ping = button_value(
        &web,
        json!({"label": "Ping", "type": "action", "url": format!("{web}/actions/ping")}),
    );
    click(&world, "/slack/action", &ping, GENERAL, "unknown-clicker").await;
    let answer = click_answer(&world, GENERAL).await;
    assert!(
        all_text(&answer).contains("Ask your Looker admin"),
        "{}",
        all_text(&answer)
    );
    assert_eq!(answer.response_type.as_deref(), Some("ephemeral"));
    assert!(world.sandbox.performed_data_actions().is_empty(), "nothing was run");
    world.stop().await;
}

/// A button value as the bot makes them, for an action of the sandbox's Looker.
fn button_value(looker_url: &str, action: Value) -> String {
    json!({"lookerUrl": looker_url, "action": action}).to_string()
}

#[tokio::test]
async fn a_scheduled_single_value_carries_its_buttons_too() {
    let world = World::start().await;
    let payload = look_webhook(&world, content::SINGLE_VALUE_LOOK_ID);
    let (status, _) = push(&world, "/slack/post/channel/general", &payload).await;
    assert_eq!(status, StatusCode::OK);
    let posted = message_where(&world, |m| all_text(m).contains("Total Revenue")).await;
    let offered = buttons(&posted);
    assert_eq!(offered.len(), 1, "{posted:#?}");
    assert_eq!(offered[0].label, "Ping the sales team");
    click(&world, "/slack/action", &offered[0].value, GENERAL, "scheduled").await;
    let answer = click_answer(&world, GENERAL).await;
    assert_eq!(answer.text.as_deref(), Some(":white_check_mark: Pinged!!"));
    world.stop().await;
}

#[tokio::test]
async fn click_answers_show_validation_errors_and_unknown_lookers_are_not_run() {
    let world = World::start().await;
    let web = world.sandbox.web_url();
    let rejected = button_value(
        &web,
        json!({"label": "Ping", "type": "action", "url": format!("{web}/actions/ping"),
               "params": [{"name": "team", "value": "fail"}]}),
    );
    click(&world, "/slack/receive", &rejected, GENERAL, "rejected").await;
    let answer = click_answer(&world, GENERAL).await;
    assert_eq!(answer.text.as_deref(), Some(":x: The receiving server rejected 'team'"));
    assert_eq!(world.sandbox.performed_data_actions().len(), 1);

    let foreign = button_value(
        "https://other.looker.example",
        json!({"label": "Ping", "type": "action", "url": format!("{web}/actions/ping")}),
    );
    click(&world, "/slack/action", &foreign, "C0ALERTS", "foreign").await;
    let answer = click_answer(&world, "C0ALERTS").await;
    assert!(all_text(&answer).contains("not configured"), "{}", all_text(&answer));
    assert_eq!(
        world.sandbox.performed_data_actions().len(),
        1,
        "only configured Lookers run actions"
    );
    world.stop().await;
}

#[tokio::test]
async fn buttons_of_the_old_bot_still_work_and_failures_are_told() {
    let world = World::start().await;
    let web = world.sandbox.web_url();
    let ping = button_value(
        &web,
        json!({"label": "Ping", "type": "action", "url": format!("{web}/actions/ping")}),
    );
    // The original bot's buttons were message attachments: a click is a legacy `interactive_message`.
    let response_url = world.sim.response_url_in("legacy", GENERAL);
    let legacy = json!({
        "type": "interactive_message",
        "actions": [{"name": "Ping", "type": "button", "value": ping}],
        "callback_id": "data_action", "team": {"id": "T0SIM", "domain": "sim"},
        "channel": {"id": GENERAL, "name": "general"}, "user": {"id": common::ALICE, "name": "alice"},
        "action_ts": "1700000001.000200", "message_ts": "1700000000.000100", "attachment_id": "1", "token": "unused",
        "original_message": {"text": "Total Revenue", "bot_id": "B0SIMBOT", "type": "message", "ts": "1700000000.000100"},
        "response_url": response_url,
    });
    let form = serde_urlencoded::to_string([("payload", legacy.to_string())]).unwrap();
    let response = world
        .post_signed("/slack/action", "application/x-www-form-urlencoded", form)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer = click_answer(&world, GENERAL).await;
    assert_eq!(answer.text.as_deref(), Some(":white_check_mark: Pinged!!"));

    world
        .sandbox
        .inject_fault("perform_data_action", looker_sandbox::Fault::Status(500), Some(1));
    click(&world, "/slack/action", &ping, "C0ALERTS", "broken").await;
    let answer = click_answer(&world, "C0ALERTS").await;
    assert_eq!(answer.response_type.as_deref(), Some("ephemeral"));
    assert!(
        all_text(&answer).contains("The action could not be run."),
        "{}",
        all_text(&answer)
    );
    world.stop().await;
}

/// The single-value Look's link, which Alice sends to get a button.
fn single_value_link(world: &World) -> String {
    format!("{}/looks/{}", world.sandbox.web_url(), content::SINGLE_VALUE_LOOK_ID)
}

#[tokio::test]
async fn socket_mode_offers_buttons_without_a_signing_secret_and_takes_their_clicks() {
    // Clicks arrive over the authenticated socket, so they need no signature to be trusted.
    let world = World::start_with(&[
        ("SLACK_MODE", "socket"),
        ("SLACK_APP_TOKEN", slack_sim::DEFAULT_APP_TOKEN),
        ("SLACK_SIGNING_SECRET", ""),
    ])
    .await;
    assert!(world.sim.wait_for_socket_connections(1, Duration::from_secs(10)).await);
    let event = json!({
        "token": "unused", "team_id": "T0SIM", "api_app_id": "A0SIM", "type": "event_callback",
        "event_id": "Ev0SOCKET1", "event_time": 1_700_000_000,
        "event": {"type": "message", "channel": ALICE_DM, "user": common::ALICE, "text": single_value_link(&world),
                  "ts": "1700000000.000001", "event_ts": "1700000000.000001", "channel_type": "im"}
    });
    let envelope = json!({"type": "events_api", "accepts_response_payload": false, "retry_attempt": 0,
                          "retry_reason": "", "payload": event});
    world.sim.send_socket_envelope(envelope).await.unwrap();
    let answer = message_where(&world, |m| all_text(m).contains("Total Revenue")).await;
    let offered = buttons(&answer);
    assert_eq!(offered.len(), 1, "{answer:#?}");
    let response_url = world.sim.response_url_in("socket-click", ALICE_DM);
    let envelope = json!({"type": "interactive", "payload": block_actions(&offered[0].value, ALICE_DM, &response_url)});
    world.sim.send_socket_envelope(envelope).await.unwrap();
    let answer = click_answer(&world, ALICE_DM).await;
    assert_eq!(answer.text.as_deref(), Some(":white_check_mark: Pinged!!"));
    world.stop().await;
}

#[tokio::test]
async fn no_buttons_when_clicks_cannot_be_verified() {
    // RTM without a signing secret: clicks could only come to /slack/action, unverified.
    let world = World::start_with(&[("SLACK_MODE", "rtm"), ("SLACK_SIGNING_SECRET", "")]).await;
    let event = json!({"type": "message", "channel": ALICE_DM, "user": common::ALICE,
                       "text": single_value_link(&world), "ts": "1700000000.000001"});
    world.sim.send_rtm_event(event).await.unwrap();
    let answer = message_where(&world, |m| all_text(m).contains("Total Revenue")).await;
    assert_eq!(buttons(&answer), []);
    world.stop().await;
}

#[tokio::test]
async fn no_buttons_when_data_actions_in_messages_is_off() {
    let world = World::start_with(&[("LOOKERBOT_DATA_ACTIONS_IN_MESSAGES", "false")]).await;
    assert_eq!(single_value_buttons(&world).await, []);
    world.stop().await;
}

// ---- Health ------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn health_check_and_index_page() {
    let world = World::start().await;
    let health = world
        .http
        .get(format!("{}/health_check", world.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(
        health.json::<Value>().await.unwrap(),
        json!({"success": true, "reason": "Healthy"})
    );
    let index = world.http.get(format!("{}/", world.url)).send().await.unwrap();
    assert_eq!(index.status(), StatusCode::OK);
    assert!(
        index.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "a page"
    );
    assert!(index.text().await.unwrap().contains("Lookerbot is running"));
    world.stop().await;
}
