//! Charts and dashboards as images, end to end: Looker (the sandbox) renders them, the bot delivers them into Slack
//! (the simulator's upload flow) or into a store running for real as an emulator (moto S3, Azurite, the GCS
//! emulator), and the image people get is byte for byte the one Looker rendered.
//!
//! Store tests need the emulators, which the `testbed` crate installs on first use and starts for this binary; a
//! test whose emulator cannot be had fails saying so, it never passes without it.

use crate::common;
use crate::images_support;

use common::{ALICE_DM, GENERAL, World, all_text};
use images::test_support as stores;
use images::test_support::azure_admin;
use images_support::*;
use looker_sandbox::{Fault, content};
use serde_json::json;

/// What the bot says when Looker hands back an empty image (the original's advice), as mrkdwn escapes it.
const EMPTY_IMAGE_ADVICE: &str = "the \"PDF Download &amp; Scheduling and Scheduled Visualizations\" Labs feature";

/// Asks for the chart Look in a DM and returns the reply that shows it by URL, once it is there.
async fn chart_reply_by_url(world: &World) -> slack_sim::PostedMessage {
    world.dm(&chart_look_link(world)).await;
    message_where(world, "a reply with an image block", |m| has_block(m, "image")).await
}

/// The image in the reply is stored, readable by anyone with its URL, and is exactly what Looker rendered.
async fn assert_reply_shows_the_rendered_chart(world: &World, store_base: &str) {
    let reply = chart_reply_by_url(world).await;
    let urls = image_urls(&reply);
    assert_eq!(urls.len(), 1, "{reply:#?}");
    assert!(urls[0].starts_with(store_base), "{} is not in {store_base}", urls[0]);
    let key = urls[0].trim_start_matches(store_base).trim_end_matches(".png");
    assert!(
        key.len() >= 64 && key.chars().all(|c| c.is_ascii_hexdigit()),
        "the object key is long and random: {key}"
    );
    let (status, content_type, body) = stores::fetch_anonymously(&urls[0]).await;
    assert_eq!(status, 200);
    assert_eq!(content_type.as_deref(), Some("image/png"));
    assert_eq!(
        body,
        world.sandbox.render_png(CHART_QUERY_ID, 400, 300),
        "the PNG Looker rendered"
    );
    let text = all_text(&reply);
    assert!(
        text.contains(&format!("<{}|Revenue by Category>", chart_look_link(world))),
        "the title links to Looker: {text}"
    );
    assert!(world.sim.files().is_empty(), "nothing was uploaded into Slack");
}

#[tokio::test]
async fn charts_go_to_s3_and_are_the_rendered_png() {
    init();
    let bucket = stores::create_s3_bucket().await;
    let world = s3_world(&bucket).await;
    assert_reply_shows_the_rendered_chart(&world, &format!("{}/{bucket}/", stores::s3_endpoint())).await;
    world.stop().await;
}

#[tokio::test]
async fn charts_go_to_azure_and_are_the_rendered_png() {
    init();
    let container = stores::create_azure_container().await;
    let world = azure_world(&container, azure_admin::ACCOUNT_KEY).await;
    assert_reply_shows_the_rendered_chart(&world, &format!("{}/{container}/", stores::azure_endpoint())).await;
    world.stop().await;
}

#[tokio::test]
async fn charts_go_to_gcs_and_are_the_rendered_png() {
    init();
    let bucket = stores::create_gcs_bucket().await;
    let world = gcs_world(&bucket).await;
    assert_reply_shows_the_rendered_chart(&world, &format!("{}/{bucket}/", stores::gcs_endpoint())).await;
    world.stop().await;
}

#[tokio::test]
async fn a_missing_bucket_is_a_warning_naming_the_store_and_the_bot_keeps_answering() {
    init();
    let bucket = stores::unique_name("absent");
    let world = s3_world(&bucket).await;
    world.dm(&chart_look_link(&world)).await;
    let warning = message_where(&world, "the storage warning", |m| all_text(m).contains(":warning:")).await;
    let text = all_text(&warning);
    assert!(text.contains("Amazon S3"), "names the store: {text}");
    assert!(text.contains("does not exist"), "names the cause: {text}");
    assert!(text.contains("SLACKBOT_S3_BUCKET"), "says what to change: {text}");
    assert!(!text.contains(S3_SECRET), "no secret in chat: {text}");
    assert!(image_urls(&warning).is_empty() && world.sim.files().is_empty());
    let log = logs();
    let entry = log
        .split("could not store a chart image")
        .skip(1)
        .find(|entry| entry.contains(&format!("/{bucket}/")))
        .unwrap_or_else(|| panic!("the log has the details: {log}"));
    assert!(entry.contains("NoSuchBucket"), "the store's own words: {entry}");
    assert!(!log.contains(S3_SECRET), "no secret in the log");

    world.dm("help").await;
    message_where(&world, "help after the failure", |m| {
        all_text(m).contains("Built-in commands")
    })
    .await;
    world.stop().await;
}

#[tokio::test]
async fn a_key_the_store_refuses_is_a_warning_saying_access_is_denied() {
    init();
    let container = stores::create_azure_container().await;
    let wrong_key = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ==";
    let world = azure_world(&container, wrong_key).await;
    world.dm(&chart_look_link(&world)).await;
    let warning = message_where(&world, "the storage warning", |m| all_text(m).contains(":warning:")).await;
    let text = all_text(&warning);
    assert!(text.contains("Azure Storage"), "names the store: {text}");
    assert!(text.to_lowercase().contains("access denied"), "names the cause: {text}");
    assert!(!text.contains(wrong_key), "{text}");
    world.stop().await;
}

#[tokio::test]
async fn without_a_store_charts_are_uploaded_into_the_thread_with_title_and_link() {
    let world = World::start().await;
    let thread = "1700000000.000042";
    dm_in_thread(&world, &chart_look_link(&world), thread).await;
    let file = first_upload(&world, "the uploaded chart").await;
    assert_eq!(file.bytes, world.sandbox.render_png(CHART_QUERY_ID, 400, 300));
    assert_eq!(file.channel.as_deref(), Some(ALICE_DM));
    assert_eq!(file.thread_ts.as_deref(), Some(thread), "the image stays in the thread");
    assert_eq!(file.title.as_deref(), Some("Revenue by Category"));
    let link = chart_look_link(&world);
    let reply = message_where(&world, "the reply linking to Looker", |m| all_text(m).contains(&link)).await;
    assert_eq!(reply.thread_ts.as_deref(), Some(thread), "{reply:#?}");
    assert!(all_text(&reply).contains(&format!("<{link}|Revenue by Category>")));
    assert!(image_urls(&reply).is_empty(), "no public URL exists");
    assert_spec_followed(&world);
    world.stop().await;
}

#[tokio::test]
async fn image_size_comes_from_the_configuration() {
    let world = World::start_with(&[("LOOKERBOT_IMAGE_WIDTH", "640"), ("LOOKERBOT_IMAGE_HEIGHT", "480")]).await;
    world.dm(&chart_look_link(&world)).await;
    let file = first_upload(&world, "the uploaded chart").await;
    assert_eq!(png_size(&file.bytes), (640, 480));
    assert_eq!(file.bytes, world.sandbox.render_png(CHART_QUERY_ID, 640, 480));
    assert_spec_followed(&world);
    world.stop().await;
}

#[tokio::test]
async fn results_not_ready_yet_are_waited_for() {
    let world = World::start().await;
    // A finished task whose results still answer 202 (as Looker may while it stores the image).
    world
        .sandbox
        .inject_fault("render_task_results", Fault::Status(202), Some(1));
    world.dm(&chart_look_link(&world)).await;
    let file = first_upload(&world, "the chart after the wait").await;
    assert_eq!(file.bytes, world.sandbox.render_png(CHART_QUERY_ID, 400, 300));
    assert_eq!(
        world.sandbox.calls("render_task_results"),
        2,
        "asked again after Retry-After"
    );
    world.stop().await;
}

#[tokio::test]
async fn an_empty_render_gets_the_labs_feature_advice() {
    let world = World::start().await;
    world
        .sandbox
        .inject_fault("render_task_results", Fault::EmptyImage, None);
    world.dm(&chart_look_link(&world)).await;
    let reply = message_where(&world, "the advice", |m| all_text(m).contains(EMPTY_IMAGE_ADVICE)).await;
    assert!(all_text(&reply).contains(":warning:"), "{reply:#?}");
    assert!(world.sim.files().is_empty());
    world.stop().await;
}

#[tokio::test]
async fn an_empty_run_png_gets_the_advice_too() {
    let world = World::start().await;
    world
        .sandbox
        .inject_fault("create_query_render_task", Fault::Status(404), None);
    world.sandbox.inject_fault("run_query", Fault::EmptyImage, None);
    world.dm(&chart_look_link(&world)).await;
    message_where(&world, "the advice", |m| all_text(m).contains(EMPTY_IMAGE_ADVICE)).await;
    assert!(world.sim.files().is_empty());
    world.stop().await;
}

#[tokio::test]
async fn without_render_tasks_run_png_is_the_fallback() {
    let world = World::start().await;
    world
        .sandbox
        .inject_fault("create_query_render_task", Fault::Status(404), None);
    world.dm(&chart_look_link(&world)).await;
    let file = first_upload(&world, "the uploaded chart").await;
    assert_eq!(file.bytes, world.sandbox.render_png(CHART_QUERY_ID, 400, 300));
    assert_eq!(world.sandbox.calls("run_query"), 1, "run/png drew it");
    assert_eq!(world.sandbox.calls("render_task_results"), 0);
    assert_spec_followed(&world);
    world.stop().await;
}

#[tokio::test]
async fn a_chart_whose_query_fails_says_why() {
    let world = World::start().await;
    let slug = failing_chart_slug(&world).await;
    world.dm(&format!("{}/x/{slug}", world.sandbox.web_url())).await;
    let reply = message_where(&world, "the failure", |m| all_text(m).contains(":warning:")).await;
    let text = all_text(&reply);
    assert!(text.contains("could not render"), "{text}");
    assert!(text.contains("order_items.no_such_field"), "says why: {text}");
    assert!(world.sim.files().is_empty());
    world.stop().await;
}

#[tokio::test]
async fn a_dashboard_link_renders_the_whole_dashboard_with_its_filters() {
    let world = World::start().await;
    let id = content::SALES_DASHBOARD_ID;
    let link = format!("{}/dashboards/{id}?State=Texas", world.sandbox.web_url());
    world.dm(&link).await;
    let file = first_upload(&world, "the dashboard image").await;
    let filtered = world.sandbox.render_dashboard_png(id, "State=Texas", 400, 300);
    assert_ne!(
        filtered,
        world.sandbox.render_dashboard_png(id, "", 400, 300),
        "the filter shows"
    );
    assert_eq!(file.bytes, filtered);
    assert_eq!(file.title.as_deref(), Some("Sales"));
    assert_eq!(world.sandbox.calls("create_dashboard_render_task"), 1);
    message_where(&world, "the title linking to the dashboard", |m| {
        all_text(m).contains(&format!("<{link}|Sales>"))
    })
    .await;
    assert_spec_followed(&world);
    world.stop().await;
}

#[tokio::test]
async fn a_scheduled_dashboard_is_delivered_as_one_image_with_its_filters() {
    let world = World::start().await;
    let id = content::SALES_DASHBOARD_ID;
    let url = format!("{}/dashboards/{id}?State=California", world.sandbox.web_url());
    let plan = json!({ "scheduled_plan_id": 7, "title": "Daily sales", "type": "Dashboard", "url": url });
    let response = deliver_plan(&world, "general", plan).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    let file = first_upload(&world, "the delivered dashboard").await;
    assert_eq!(file.channel.as_deref(), Some(GENERAL));
    assert_eq!(
        file.bytes,
        world.sandbox.render_dashboard_png(id, "State=California", 400, 300)
    );
    message_where(&world, "the plan's title linking to the dashboard", |m| {
        m.channel == GENERAL && all_text(m).contains(&format!("<{url}|Daily sales>"))
    })
    .await;
    assert_spec_followed(&world);
    world.stop().await;
}

#[tokio::test]
async fn a_scheduled_dashboard_goes_to_the_store_when_one_is_configured() {
    init();
    let bucket = stores::create_s3_bucket().await;
    let world = s3_world(&bucket).await;
    let id = content::SALES_DASHBOARD_ID;
    let url = format!("{}/dashboards/{id}", world.sandbox.web_url());
    let plan = json!({ "title": "Daily sales", "type": "Dashboard", "url": url });
    assert_eq!(deliver_plan(&world, "general", plan).await.status(), 200);
    let reply = message_where(&world, "the delivered dashboard", |m| has_block(m, "image")).await;
    let (status, _, body) = stores::fetch_anonymously(&image_urls(&reply)[0]).await;
    assert_eq!(status, 200);
    assert_eq!(body, world.sandbox.render_dashboard_png(id, "", 400, 300));
    world.stop().await;
}
