//! Nothing lost, nothing let in: the `lookerbot` binary killed and stopped mid-delivery, Looker and Slack failing
//! under the bot, and bounds on what a caller can make it hold.

use crate::common;
use crate::reliability_support;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{GENERAL, World, all_text};
use looker_sandbox::{Fault, content};
use reliability_support::{Peers, channel_name, delivery_title, is_failure_notice};

/// How many scheduled deliveries the crash test sends.
const DELIVERIES: usize = 200;

/// How often each number occurs.
fn tally(numbers: &[usize]) -> BTreeMap<usize, usize> {
    let mut counts = BTreeMap::new();
    for n in numbers {
        *counts.entry(*n).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_accepted_before_a_kill_9_all_arrive_after_a_restart() {
    let peers = Peers::start(Duration::from_millis(200)).await;
    let bot = peers.spawn_bot().await;
    for number in 0..DELIVERIES {
        let status = peers.post_delivery(&bot, number).await;
        assert_eq!(status, 200, "delivery {number} refused; log:\n{}", bot.log_text());
    }
    let before = peers
        .wait_for_deliveries(Duration::from_secs(30), |n| n.len() >= 10)
        .await;
    bot.kill_hard();
    let at_kill = peers.delivered_numbers().len();
    assert!(
        (10..DELIVERIES).contains(&at_kill),
        "the kill must come while deliveries are pending ({at_kill} of {DELIVERIES} delivered, {} before)",
        before.len()
    );

    let mut restarted = peers.spawn_bot().await;
    let numbers = peers
        .wait_for_deliveries(Duration::from_secs(40), |n| tally(n).len() == DELIVERIES)
        .await;
    let counts = tally(&numbers);
    let missing: Vec<usize> = (0..DELIVERIES).filter(|n| !counts.contains_key(n)).collect();
    assert!(
        missing.is_empty(),
        "lost deliveries {missing:?}; queue: {}; log:\n{}",
        peers.deliveries(&["--limit", "3"]).1,
        restarted.log_text()
    );
    // Once: a delivery in flight at the kill recorded no outcome, so its next attempt looks in the channel's
    // history for its mark before posting again.
    let repeated: Vec<_> = counts.iter().filter(|(_, c)| **c > 1).collect();
    assert!(
        repeated.is_empty(),
        "deliveries repeated after the restart: {repeated:?}"
    );

    // Every job is recorded done exactly once, whatever Slack saw.
    restarted.terminate();
    // Deliveries in flight (a repeat may be waiting out Slack's rate limit) finish before the bot exits.
    assert!(
        restarted.wait_exit(Duration::from_secs(30)).await.is_some(),
        "the bot exits on SIGTERM"
    );
    let (status, listing) = peers.deliveries(&["--limit", "1"]);
    assert!(status.success(), "{listing}");
    assert!(
        listing.starts_with(&format!("0 pending, 0 running, {DELIVERIES} done, 0 failed")),
        "{listing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deliveries_verb_lists_a_failed_delivery_with_its_reason_and_retries_it() {
    let peers = Peers::start(Duration::ZERO).await;
    let bot = peers.spawn_bot().await;
    // The Look's query is gone when the delivery runs: that will not get better by itself.
    peers.sandbox.inject_fault("run_query", Fault::Status(404), None);
    assert_eq!(peers.post_delivery(&bot, 7).await, 200);
    let listing = wait_for_listing(&peers, &["--failed"], |out| out.contains(" 1 failed")).await;
    let line = listing
        .lines()
        .find(|l| l.starts_with('#'))
        .unwrap_or_else(|| panic!("the failed delivery is not listed: {listing}; log:\n{}", bot.log_text()));
    assert!(
        line.contains("failed") && line.contains(&channel_name(7)),
        "{listing}; log:\n{}",
        bot.log_text()
    );
    assert!(line.contains("— "), "the reason is shown: {line}");
    let id = line
        .trim_start_matches('#')
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();

    // The operator fixes Looker and retries; the running bot delivers.
    peers.sandbox.clear_faults();
    let (status, out) = peers.deliveries(&["--retry", &id]);
    assert!(status.success(), "{out}");
    assert!(out.contains(&format!("Delivery {id} is queued again")), "{out}");
    let numbers = peers
        .wait_for_deliveries(Duration::from_secs(15), |n| !n.is_empty())
        .await;
    assert_eq!(
        numbers,
        vec![7],
        "the retried delivery arrives once; log:\n{}",
        bot.log_text()
    );
    let listing = wait_for_listing(&peers, &[], |out| out.contains("1 done")).await;
    assert!(listing.contains("0 failed"), "{listing}");

    // Only failed deliveries can be retried, and the answer says why not.
    let said = peers.deliveries_refusal(&["--retry", &id]);
    assert!(
        said.contains("is done; only failed deliveries can be retried"),
        "{said}"
    );
    let said = peers.deliveries_refusal(&["--retry", "999999"]);
    assert!(said.contains("no delivery with id 999999"), "{said}");
}

/// Runs `lookerbot deliveries ARGS` until its output satisfies `done` (at most 20 seconds); the last output.
async fn wait_for_listing(peers: &Peers, args: &[&str], done: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, out) = peers.deliveries(args);
        assert!(status.success(), "lookerbot deliveries failed: {out}");
        if done(&out) || std::time::Instant::now() > deadline {
            return out;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_delivery_exits_0_promptly_and_loses_nothing() {
    let peers = Peers::start(Duration::ZERO).await;
    let mut bot = peers.spawn_bot().await;
    peers.sim.set_latency(Duration::from_millis(1500));
    assert_eq!(peers.post_delivery(&bot, 1).await, 200);
    let started = std::time::Instant::now();
    while peers.sandbox.calls("run_query") == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the delivery never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Looker has answered; the post to Slack is in flight.
    bot.terminate();
    let status = bot
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("lookerbot exits within 10 s of SIGTERM");
    assert!(status.success(), "exit status {status:?}; log:\n{}", bot.log_text());
    peers.sim.set_latency(Duration::ZERO);

    let (_, listing) = peers.deliveries(&[]);
    let delivered = peers.delivered_numbers() == vec![1];
    if delivered {
        assert!(listing.starts_with("0 pending, 0 running, 1 done"), "{listing}");
    } else {
        // Abandoned in flight: still queued, and the next start delivers it.
        assert!(!listing.contains("1 done"), "{listing}");
        let _restarted = peers.spawn_bot().await;
        let numbers = peers
            .wait_for_deliveries(Duration::from_secs(10), |n| !n.is_empty())
            .await;
        assert_eq!(numbers, vec![1]);
    }
}

// --- Faults: Looker and Slack failing under a running bot. -------------------------------------------------------

/// Alice pastes a Look link; every message the bot sent back, once it went quiet.
async fn ask_for_look(world: &World, look_id: &str) -> Vec<String> {
    let before = world.sim.messages().len();
    let link = format!("{}/looks/{look_id}", world.sandbox.web_url());
    assert_eq!(world.dm(&link).await.status(), 200);
    world.settled().await[before..].iter().map(all_text).collect()
}

/// Waits up to ten seconds for the simulator's messages to satisfy `done`.
async fn slack_sim_wait(world: &World, done: impl Fn(&[slack_sim::PostedMessage]) -> bool) -> bool {
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if done(&world.sim.messages()) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// The bot still answers: `help` gets the command list.
async fn still_answers(world: &World) {
    let before = world.sim.messages().len();
    world.dm("help").await;
    let messages = world.messages(before + 1).await;
    assert!(
        messages[before..]
            .iter()
            .any(|m| all_text(m).contains("Built-in commands"))
    );
}

#[tokio::test]
async fn looker_errors_and_outages_give_the_asker_a_warning_and_the_bot_carries_on() {
    let world = World::start().await;
    let cases = [
        ("look", Fault::Status(500), "Looker error on the Look"),
        ("look", Fault::Status(404), "Look gone"),
        ("run_query", Fault::Status(500), "query fails"),
        ("run_query", Fault::Status(429), "Looker busy"),
    ];
    for (operation, fault, case) in cases {
        world.sandbox.inject_fault(operation, fault, None);
        let replies = ask_for_look(&world, content::TABLE_LOOK_ID).await;
        assert!(
            replies.iter().any(|r| r.contains(":warning:")),
            "{case}: no warning in {replies:#?}"
        );
        assert!(
            !replies
                .iter()
                .any(|r| r.contains("Orders by Status") && !r.contains(":warning:")),
            "{case}"
        );
        world.sandbox.clear_faults();
        still_answers(&world).await;
    }
    // Looker down altogether: the session is gone and logging in fails.
    world.sandbox.expire_tokens();
    world.sandbox.inject_fault("login", Fault::Status(503), None);
    let replies = ask_for_look(&world, content::TABLE_LOOK_ID).await;
    assert!(
        replies.iter().any(|r| r.contains(":warning:")),
        "Looker down: {replies:#?}"
    );
    world.sandbox.clear_faults();
    let replies = ask_for_look(&world, content::TABLE_LOOK_ID).await;
    assert!(
        replies.iter().any(|r| r.contains("Orders by Status")),
        "Looker back: {replies:#?}"
    );
    world.stop().await;
}

#[tokio::test]
async fn a_401_logs_in_again_and_a_slow_looker_still_answers() {
    let world = World::start().await;
    world.sandbox.inject_fault("look", Fault::Status(401), Some(1));
    let replies = ask_for_look(&world, content::TABLE_LOOK_ID).await;
    assert!(replies.iter().any(|r| r.contains("Orders by Status")), "{replies:#?}");
    assert!(!replies.iter().any(|r| r.contains(":warning:")), "{replies:#?}");

    world
        .sandbox
        .inject_fault("run_query", Fault::Slow(Duration::from_millis(1500)), Some(1));
    let before = world.sim.messages().len();
    world
        .dm(&format!("{}/looks/{}", world.sandbox.web_url(), content::TABLE_LOOK_ID))
        .await;
    let answered = slack_sim_wait(&world, |m| {
        m[before..].iter().any(|m| all_text(m).contains("Orders by Status"))
    })
    .await;
    assert!(answered, "no answer from a slow Looker: {:#?}", world.sim.messages());
    world.stop().await;
}

#[tokio::test]
async fn an_empty_chart_image_is_a_warning_not_an_empty_upload() {
    let world = World::start().await;
    for operation in ["render_task_results", "run_query"] {
        world.sandbox.inject_fault(operation, Fault::EmptyImage, None);
    }
    let replies = ask_for_look(&world, content::COLUMN_LOOK_ID).await;
    assert!(replies.iter().any(|r| r.contains(":warning:")), "{replies:#?}");
    assert!(
        world.sim.files().iter().all(|f| !f.bytes.is_empty()),
        "no empty file reached Slack"
    );
    still_answers(&world).await;
    world.stop().await;
}

#[tokio::test]
async fn slack_rate_limits_are_waited_out() {
    let world = World::start().await;
    world.sim.rate_limit("chat.postMessage", 2, 1);
    still_answers(&world).await;
    assert!(
        world.sim.calls_to("chat.postMessage").len() >= 3,
        "the two 429s and the post"
    );
    world.stop().await;
}

#[tokio::test]
async fn a_delivery_slack_refuses_with_500s_is_retried_until_it_arrives() {
    let world = World::start().await;
    world.sim.fail("chat.postMessage", 3, 500);
    let payload = world
        .sandbox
        .scheduled_look_webhook(content::TABLE_LOOK_ID, "csv")
        .unwrap();
    let response = world
        .http
        .post(format!("{}/slack/post/channel/general", world.url))
        .header("x-looker-webhook-token", common::WEBHOOK_TOKEN)
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let messages = world.messages(1).await;
    assert!(
        messages
            .iter()
            .any(|m| m.channel == GENERAL && all_text(m).contains("Orders by Status"))
    );
    let failed = world
        .sim
        .calls_to("chat.postMessage")
        .iter()
        .filter(|c| c.http_status == 500)
        .count();
    assert_eq!(failed, 3);
    world.stop().await;
}

#[tokio::test]
async fn a_delivery_whose_slack_call_times_out_is_retried() {
    let peers = Peers::start(Duration::ZERO).await;
    let mut options = common::options();
    options.slack.timeout = Duration::from_millis(300);
    let bot = reliability_support::start_in_process(&peers, options, &[]).await;
    peers.sim.set_latency(Duration::from_millis(800));
    assert_eq!(peers.post_delivery_at(bot.addr(), 3).await.status(), 200);
    let started = std::time::Instant::now();
    while peers.sim.calls_to("chat.postMessage").is_empty() && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    peers.sim.set_latency(Duration::ZERO);
    let numbers = peers
        .wait_for_deliveries(Duration::from_secs(10), |n| !n.is_empty())
        .await;
    assert!(
        numbers.contains(&3),
        "the delivery arrived after the timeouts: {numbers:?}"
    );
    bot.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn a_full_queue_answers_503_and_says_so() {
    let peers = Peers::start(Duration::ZERO).await;
    let bot =
        reliability_support::start_in_process(&peers, common::options(), &[("LOOKERBOT_QUEUE_CAPACITY", "2")]).await;
    // Slack hangs, so nothing leaves the queue while it fills.
    peers.sim.set_latency(Duration::from_secs(5));
    let mut statuses = Vec::new();
    for number in 0..4 {
        let response = peers.post_delivery_at(bot.addr(), number).await;
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        if status == 503 {
            assert_eq!(body["success"], false);
            assert!(body["reason"].as_str().unwrap().contains("try again later"), "{body}");
        }
        statuses.push(status);
    }
    assert_eq!(statuses, [200, 200, 503, 503]);
    peers.sim.set_latency(Duration::ZERO);
    bot.shutdown(Duration::from_secs(1)).await;
}

// --- Hostile requests: refused, with nothing queued, posted or run. ---------------------------------------------

/// A POST with `body` (sent as is, with the webhook token) to the bot; status and answer.
async fn post_raw(world: &World, path: &str, content_type: &str, body: Vec<u8>) -> (u16, String) {
    let response = world
        .http
        .post(format!("{}{path}", world.url))
        .header("content-type", content_type)
        .header("x-looker-webhook-token", common::WEBHOOK_TOKEN)
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

/// Nothing reached Slack, and Looker ran nothing.
fn no_side_effects(world: &World, looker_calls_before: u64) {
    assert!(world.sim.messages().is_empty(), "{:#?}", world.sim.messages());
    assert_eq!(world.content_calls(), looker_calls_before, "Looker was called");
    assert!(world.sandbox.performed_data_actions().is_empty());
}

#[tokio::test]
async fn oversized_bodies_get_413_on_every_endpoint() {
    let world = World::start().await;
    let looker_calls = world.content_calls();
    let over = |limit: usize| vec![b' '; limit + 1];
    let cases = [
        ("/slack/post/channel/general", endpoints::MAX_WEBHOOK_BODY),
        ("/slack/post_from_query_action", endpoints::MAX_WEBHOOK_BODY),
        ("/", endpoints::MAX_BODY),
        ("/data_actions", endpoints::MAX_BODY),
        ("/data_actions/form", endpoints::MAX_BODY),
        ("/slack/events", endpoints::MAX_BODY),
        ("/slack/receive", endpoints::MAX_BODY),
        ("/slack/action", endpoints::MAX_BODY),
    ];
    for (path, limit) in cases {
        let (status, _) = post_raw(&world, path, "application/json", over(limit)).await;
        assert_eq!(status, 413, "{path}");
    }
    let (status, _) = post_raw(&world, "/data_actions", "application/json", b"{}".to_vec()).await;
    assert_ne!(status, 413, "small bodies pass");
    no_side_effects(&world, looker_calls);
    world.stop().await;
}

#[tokio::test]
async fn deeply_nested_json_is_a_400_not_a_stack_overflow() {
    let world = World::start().await;
    let looker_calls = world.content_calls();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let in_object = format!(r#"{{"scheduled_plan":{{"query":{{"vis_config":{deep}}}}}}}"#);
    for path in [
        "/slack/post/channel/general",
        "/slack/post_from_query_action",
        "/data_actions",
    ] {
        for body in [&deep, &in_object] {
            let (status, _) = post_raw(&world, path, "application/json", body.clone().into_bytes()).await;
            assert_eq!(status, 400, "{path}");
        }
    }
    let response = world
        .post_signed("/slack/events", "application/json", in_object.clone())
        .await;
    assert_eq!(response.status(), 400);
    let form = serde_urlencoded::to_string([("payload", &deep)]).unwrap();
    let response = world
        .post_signed("/slack/action", "application/x-www-form-urlencoded", form)
        .await;
    assert_eq!(response.status(), 400);
    no_side_effects(&world, looker_calls);
    still_answers(&world).await;
    world.stop().await;
}

#[tokio::test]
async fn wrong_webhook_tokens_and_look_alike_plan_urls_are_refused() {
    let world = World::start().await;
    let looker_calls = world.content_calls();
    let payload = world
        .sandbox
        .scheduled_look_webhook(content::TABLE_LOOK_ID, "csv")
        .unwrap();
    let post = |token: &'static str, payload: serde_json::Value| {
        world
            .http
            .post(format!("{}/slack/post/channel/general", world.url))
            .header("x-looker-webhook-token", token)
            .json(&payload)
            .send()
    };
    for token in [
        "",
        "LOOKER-WEBHOOK-TOKEN",
        "looker-webhook-toke",
        "looker-webhook-token2",
    ] {
        assert_eq!(post(token, payload.clone()).await.unwrap().status(), 401, "{token:?}");
    }
    let web = world.sandbox.web_url();
    let look_alikes = [
        web.replace("127.0.0.1", "127.0.0.1.evil.example"),
        format!("{web}.evil.example"),
        "https://me.looker.com.evil.example".to_string(),
        web.replace("http://", "https://"),
    ];
    for host in look_alikes {
        let mut forged = payload.clone();
        forged["scheduled_plan"]["url"] = serde_json::json!(format!("{host}/looks/1"));
        let response = post(common::WEBHOOK_TOKEN, forged).await.unwrap();
        assert!(
            matches!(response.status().as_u16(), 400 | 401),
            "{host}: {}",
            response.status()
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    no_side_effects(&world, looker_calls);
    world.stop().await;
}

#[tokio::test]
async fn a_button_naming_an_unconfigured_looker_is_not_run() {
    let world = World::start().await;
    let looker_calls = world.content_calls();
    let action = serde_json::json!({"url": "https://hooks.example/x", "label": "Do it", "form_url": null});
    for looker_url in ["https://me.looker.com.evil.example", "not a url", ""] {
        let value = serde_json::json!({"lookerUrl": looker_url, "action": action}).to_string();
        let before = world.sim.messages().len();
        let payload = serde_json::json!({
            "type": "block_actions", "user": {"id": common::ALICE, "team_id": "T0SIM"}, "team": {"id": "T0SIM"},
            "channel": {"id": GENERAL}, "container": {"message_ts": "1.2", "channel_id": GENERAL},
            "response_url": world.sim.response_url_in("click", GENERAL),
            "actions": [{"type": "button", "action_id": "a", "value": value}],
        });
        let form = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        let response = world
            .post_signed("/slack/action", "application/x-www-form-urlencoded", form)
            .await;
        assert_eq!(response.status(), 200);
        let messages = world.messages(before + 1).await;
        let text = all_text(&messages[before]);
        assert!(
            text.contains(":warning:") && text.contains("not"),
            "{looker_url:?}: {text}"
        );
        assert_ne!(
            messages[before].method, "chat.postMessage",
            "the refusal is for the clicker only"
        );
    }
    assert!(world.sandbox.performed_data_actions().is_empty());
    assert_eq!(world.content_calls(), looker_calls);
    world.stop().await;
}

#[tokio::test]
async fn mentions_and_links_in_user_text_and_data_are_escaped() {
    let world = World::start().await;
    let hostile = "<!channel> <!here|here> <https://evil.example|click me> <@U0BOSS>";
    world.dm(&format!("find {hostile}")).await;
    let message = serde_json::json!({
        "type": "cell", "data": {"channel": GENERAL, "message": format!("{hostile} & co")},
        "form_params": {},
    });
    let (status, body) = post_raw(
        &world,
        "/data_actions",
        "application/json",
        message.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let messages = world.messages(2).await;
    for m in &messages {
        let text = all_text(m);
        for injected in ["<!channel>", "<!here", "<https://evil", "<@U0BOSS>"] {
            assert!(!text.contains(injected), "{injected} got through: {text}");
        }
    }
    assert!(
        messages.iter().any(|m| all_text(m).contains("&lt;!channel&gt;")),
        "{messages:#?}"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_stay_out_of_logs_and_answers_when_things_fail() {
    let peers = Peers::start(Duration::ZERO).await;
    let bot = peers
        .spawn_bot_logging("debug,hyper=info,h2=info,rustls=info,reqwest=info")
        .await;
    let mut answers = String::new();
    // Callers with wrong credentials.
    let forged = peers
        .http
        .post(format!("{}/slack/events", bot.url))
        .header("x-slack-request-timestamp", chrono::Utc::now().timestamp().to_string())
        .header("x-slack-signature", "v0=0000")
        .body(r#"{"type":"url_verification","challenge":"c"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    answers.push_str(&forged.text().await.unwrap());
    let wrong_token = peers
        .http
        .post(format!("{}/slack/post/channel/general", bot.url))
        .header("x-looker-webhook-token", "guess")
        .json(&peers.numbered_delivery(1))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_token.status(), 401);
    answers.push_str(&wrong_token.text().await.unwrap());
    // Looker refusing the bot's credentials: that delivery fails, with a reason.
    peers.sandbox.expire_tokens();
    peers.sandbox.inject_fault("login", Fault::Status(401), None);
    assert_eq!(peers.post_delivery(&bot, 1).await, 200);
    answers.push_str(&wait_for_listing(&peers, &[], |out| out.contains(" 1 failed")).await);
    // Looker down for a moment, then Slack failing: the next delivery still arrives.
    peers.sandbox.clear_faults();
    peers.sandbox.inject_fault("login", Fault::Status(503), Some(1));
    peers.sim.fail("chat.postMessage", 1, 500);
    assert_eq!(peers.post_delivery(&bot, 2).await, 200);
    let numbers = peers
        .wait_for_deliveries(Duration::from_secs(20), |n| !n.is_empty())
        .await;
    assert_eq!(numbers, vec![2], "delivered in the end; log:\n{}", bot.log_text());
    let notices: Vec<_> = peers.sim.messages().into_iter().filter(is_failure_notice).collect();
    assert_eq!(
        notices.len(),
        1,
        "the failed delivery's channel was told, once: {notices:#?}"
    );
    assert!(all_text(&notices[0]).contains(&delivery_title(1)), "{notices:#?}");
    answers.push_str(&peers.deliveries(&[]).1);

    let log = bot.log_text();
    assert!(log.contains("DEBUG"), "the log is at debug level");
    let secrets = [
        peers.sandbox.client_secret(),
        peers.sim.bot_token(),
        peers.sim.signing_secret(),
        reliability_support::WEBHOOK_TOKEN,
    ];
    for secret in secrets {
        assert!(!log.contains(secret), "{secret} is in the log:\n{log}");
        assert!(!answers.contains(secret), "{secret} is in an answer: {answers}");
        for message in peers.sim.messages() {
            assert!(!all_text(&message).contains(secret), "{secret} was posted to Slack");
        }
    }
}
