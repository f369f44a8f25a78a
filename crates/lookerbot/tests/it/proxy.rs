//! One outbound network policy: with `HTTP_PROXY`/`HTTPS_PROXY` set, the Slack Web API, Socket Mode, RTM and
//! Looker all connect through the proxy (a real forward proxy on loopback, `net::test_proxy`), the WebSockets with
//! a `CONNECT` tunnel; `NO_PROXY` sends a host direct.

use crate::common;

use std::time::Duration;

use common::{ALICE, ALICE_DM, World, all_text};
use net::test_proxy::{Carried, ForwardProxy};
use serde_json::json;

/// `host:port` of a base URL.
fn authority(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    format!("{}:{}", url.host_str().unwrap(), url.port_or_known_default().unwrap())
}

fn went(carried: &[Carried], method: &str, target: &str) -> bool {
    carried.iter().any(|c| c.method == method && c.target == target)
}

/// Alice's DM `help`, as Slack sends it over Socket Mode.
fn dm_envelope() -> serde_json::Value {
    json!({
        "envelope_id": "env-proxy-1", "type": "events_api", "accepts_response_payload": false, "retry_attempt": 0,
        "payload": {
            "token": "unused", "team_id": "T0SIM", "api_app_id": "A0SIM", "type": "event_callback",
            "event_id": "EvPROXY1", "event_time": 1_700_000_000,
            "event": {"type": "message", "channel": ALICE_DM, "user": ALICE, "text": "help",
                      "ts": "1700000400.000001", "channel_type": "im"}
        }
    })
}

#[tokio::test]
async fn socket_mode_the_web_api_and_looker_connect_through_the_proxy() {
    let proxy = ForwardProxy::start().await.unwrap();
    let world = World::start_with(&[
        ("SLACK_APP_TOKEN", slack_sim::DEFAULT_APP_TOKEN),
        ("SLACK_MODE", "socket"),
        ("HTTP_PROXY", &proxy.url()),
        ("HTTPS_PROXY", &proxy.url()),
    ])
    .await;
    assert!(
        world.sim.wait_for_socket_connections(1, Duration::from_secs(10)).await,
        "Socket Mode connected through the proxy"
    );
    world.sim.send_socket_envelope(dm_envelope()).await.unwrap();
    let answers = world.messages(1).await;
    assert!(all_text(&answers[0]).contains("Built-in commands"), "{answers:#?}");

    let carried = proxy.carried();
    let slack = authority(&world.sim.base_url());
    assert!(
        went(&carried, "CONNECT", &slack),
        "the WebSocket tunnelled: {carried:#?}"
    );
    assert!(
        went(&carried, "POST", &slack),
        "Web API calls were forwarded: {carried:#?}"
    );
    let looker = authority(&world.sandbox.api_url());
    assert!(
        carried.iter().any(|c| c.target == looker),
        "Looker was reached through the proxy: {carried:#?}"
    );
    world.stop().await;
}

#[tokio::test]
async fn rtm_goes_through_the_proxy_and_no_proxy_sends_looker_direct() {
    let proxy = ForwardProxy::start().await.unwrap();
    let proxy_url = proxy.url();
    let world = World::start_configured(|sandbox, _| {
        let by_name = |url: String| url.replace("127.0.0.1", "localhost");
        [
            ("SLACK_SIGNING_SECRET", String::new()),
            ("SLACK_MODE", "rtm".to_string()),
            ("HTTP_PROXY", proxy_url),
            ("NO_PROXY", "localhost".to_string()),
            ("LOOKER_API_BASE_URL", by_name(sandbox.api_url())),
            ("LOOKER_URL", by_name(sandbox.web_url())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    })
    .await;
    assert!(
        world.sim.wait_for_socket_connections(1, Duration::from_secs(10)).await,
        "RTM connected through the proxy"
    );
    let carried = proxy.carried();
    let slack = authority(&world.sim.base_url());
    assert!(
        went(&carried, "CONNECT", &slack),
        "the RTM WebSocket tunnelled: {carried:#?}"
    );
    assert!(
        went(&carried, "POST", &slack),
        "rtm.connect was forwarded: {carried:#?}"
    );
    assert!(
        !carried.iter().any(|c| c.target.starts_with("localhost")),
        "NO_PROXY=localhost sends Looker direct: {carried:#?}"
    );
    assert!(world.sandbox.calls("login") > 0, "Looker was reached all the same");
    world.stop().await;
}
