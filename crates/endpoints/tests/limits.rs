//! Bounds a caller cannot push past: requests served at once.

use std::time::Duration;

use axum::Router;
use axum::routing::get;

#[tokio::test]
async fn requests_past_the_concurrency_limit_get_503_at_once() {
    let slow = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(800)).await;
            "done"
        }),
    );
    let app = endpoints::shed_load(slow, 2);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/slow", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest::Client::new();

    let busy: Vec<_> = (0..2).map(|_| tokio::spawn(http.get(&url).send())).collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let refused = http.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "refused without waiting"
    );
    for request in busy {
        assert_eq!(request.await.unwrap().unwrap().status(), 200);
    }
    assert_eq!(
        http.get(&url).send().await.unwrap().status(),
        200,
        "slots are given back"
    );
}

/// Serves `app` on a free loopback port; its URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/slow", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn sleeping_route(for_ms: u64) -> Router {
    Router::new().route(
        "/slow",
        get(move || async move {
            tokio::time::sleep(Duration::from_millis(for_ms)).await;
            "done"
        }),
    )
}

/// Slack's requests (`shed_load_after`): a burst past the slots waits for one to free up instead of being refused,
/// and a slot that never frees within the wait still ends in 503.
#[tokio::test]
async fn requests_past_the_slots_wait_briefly_for_one_then_get_503() {
    let http = reqwest::Client::new();
    let url = serve(endpoints::shed_load_after(
        sleeping_route(300),
        2,
        Duration::from_secs(2),
    ))
    .await;
    let burst: Vec<_> = (0..6).map(|_| tokio::spawn(http.get(&url).send())).collect();
    for request in burst {
        assert_eq!(request.await.unwrap().unwrap().status(), 200, "queued, then served");
    }

    let url = serve(endpoints::shed_load_after(
        sleeping_route(3000),
        1,
        Duration::from_millis(200),
    ))
    .await;
    let holder = tokio::spawn(http.get(&url).send());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refused = http.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), 503, "the slot did not free up within the wait");
    assert_eq!(holder.await.unwrap().unwrap().status(), 200);
}
