//! The operators' status page at `/status`, in a real headless Chromium: log in with the token, see the checks and
//! a failed delivery, retry it; and its guards (off without a token, wrong token, CSRF) over plain HTTP.

use crate::browser;
use crate::common;

use std::time::Duration;

use browser::Browser;
use common::{GENERAL, WEBHOOK_TOKEN, World};
use fantoccini::Locator;

const TOKEN: &str = "status-token-for-tests";

/// Posts a scheduled delivery while Slack refuses it for good, and waits until the queue has it as failed.
async fn failed_delivery(world: &World) {
    world.sim.fail("chat.postMessage", 1, 400);
    assert_eq!(world.deliver_table_look(Some(WEBHOOK_TOKEN)).await, 200);
    let cookie = session_cookie(world).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let page = world
            .http
            .get(format!("{}/status", world.url))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if page.contains("id=\"retry-") {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the delivery never failed:\n{page}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Logs in over plain HTTP; the `name=value` of the session cookie.
async fn session_cookie(world: &World) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http
        .post(format!("{}/status/login", world.url))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    let set_cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    set_cookie.split(';').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_logs_in_and_retries_a_failed_delivery_in_a_browser() {
    let world = World::start_with(&[("LOOKERBOT_STATUS_TOKEN", TOKEN)]).await;
    failed_delivery(&world).await;
    let browser = Browser::start().await;
    let page = &browser.client;

    page.goto(&format!("{}/status", world.url)).await.unwrap();
    let source = page.source().await.unwrap();
    assert!(
        source.contains("Log in") && !source.contains("Failed deliveries"),
        "{source}"
    );
    page.find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys("not-the-token")
        .await
        .unwrap();
    page.find(Locator::Id("login")).await.unwrap().click().await.unwrap();
    let problem = page
        .wait()
        .for_element(Locator::Id("login-problem"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(problem.contains("not the status token"), "{problem}");

    page.find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(TOKEN)
        .await
        .unwrap();
    page.find(Locator::Id("login")).await.unwrap().click().await.unwrap();
    let connections = page
        .wait()
        .for_element(Locator::Id("connections"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        connections.contains("Slack") && connections.contains("Looker") && connections.contains("delivery queue"),
        "{connections}"
    );
    let checks = page.find(Locator::Id("checks")).await.unwrap().text().await.unwrap();
    assert!(checks.contains("API 4.0"), "{checks}");
    let failed = page.find(Locator::Id("failed")).await.unwrap().text().await.unwrap();
    assert!(failed.contains("#general") && failed.contains("400"), "{failed}");
    assert_eq!(
        delivered_to_general(&world),
        0,
        "only the failure notice reached #general"
    );

    // The page as the operator sees it, with the failed delivery and its Retry button: kept as a CI artifact.
    let screenshot = page.screenshot().await.unwrap();
    let artifacts = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("../artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join("status.png"), &screenshot).unwrap();
    assert!(screenshot.starts_with(b"\x89PNG"));

    let retry = page.find(Locator::Css("#failed button")).await.unwrap();
    let id = retry
        .attr("id")
        .await
        .unwrap()
        .unwrap()
        .trim_start_matches("retry-")
        .to_string();
    retry.click().await.unwrap();
    let notice = page
        .wait()
        .for_element(Locator::Id("notice"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(notice, format!("Delivery {id} is queued again."));
    let delivered = world.sim.wait_for_messages(2, Duration::from_secs(15)).await;
    assert_eq!(delivered_to_general(&world), 1, "{delivered:#?}");
    page.goto(&format!("{}/status", world.url)).await.unwrap();
    let failed = page.find(Locator::Id("failed")).await.unwrap().text().await.unwrap();
    assert_eq!(failed, "None.");

    browser.close().await;
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_is_off_without_a_token_and_forms_need_the_session_and_its_csrf_token() {
    let off = World::start().await;
    let response = off.http.get(format!("{}/status", off.url)).send().await.unwrap();
    assert_eq!(response.status(), 404);
    off.stop().await;

    let world = World::start_with(&[("LOOKERBOT_STATUS_TOKEN", TOKEN)]).await;
    failed_delivery(&world).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let retry = |cookie: Option<String>, csrf: &str| {
        let mut request = http
            .post(format!("{}/status/retry", world.url))
            .form(&[("id", "1"), ("csrf", csrf)]);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    assert_eq!(retry(None, "x").await.unwrap().status(), 401);
    let wrong = http
        .post(format!("{}/status/login", world.url))
        .form(&[("token", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let cookie = session_cookie(&world).await;
    assert_eq!(retry(Some(cookie.clone()), "forged").await.unwrap().status(), 403);
    let page = http
        .get(format!("{}/status", world.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.text().await.unwrap().contains("Retry"));
    assert!(delivered_to_general(&world) == 0, "nothing was retried");
    world.stop().await;
}

/// Deliveries posted to #general, leaving out the notice that tells the channel a delivery failed for good.
fn delivered_to_general(world: &World) -> usize {
    let messages = world.sim.messages();
    messages
        .iter()
        .filter(|m| m.channel == GENERAL && !common::all_text(m).contains("could not be delivered"))
        .count()
}
