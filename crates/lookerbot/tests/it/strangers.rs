//! Nobody is shut out by strangers: refusals from headers alone, before any body is read; slow and idle sockets
//! closed; slow bodies held in slots of their own, away from Looker's pushes and `/health_check`.

use crate::common;
use crate::pushes_support;

use std::time::Duration;

use common::{World, options};
use looker_sandbox::content;
use pushes_support::{look_webhook, push};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Long enough for anything the bot should do at once, short of the timeouts the tests wait out.
const PATIENCE: Duration = Duration::from_secs(8);

async fn connect(world: &World) -> TcpStream {
    TcpStream::connect(world.url.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Everything the server sends until it closes the connection (or `PATIENCE` passes: then `None`).
async fn until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut received)).await;
    read.ok().map(|_| String::from_utf8_lossy(&received).into_owned())
}

/// The first response the server sends (its status line and headers at least), without waiting for a close.
async fn first_answer(stream: &mut TcpStream) -> String {
    first_answer_within(stream, PATIENCE).await
}

async fn first_answer_within(stream: &mut TcpStream, patience: Duration) -> String {
    let mut buffer = vec![0u8; 4096];
    let read = tokio::time::timeout(patience, stream.read(&mut buffer)).await;
    let n = read.expect("the server answered in time").unwrap();
    String::from_utf8_lossy(&buffer[..n]).into_owned()
}

/// The request head of a POST announcing a body of `length` bytes.
fn post_head(path: &str, length: usize, headers: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n{headers}\r\n"
    )
}

#[tokio::test]
async fn pushes_without_a_known_token_are_refused_before_their_body_is_sent() {
    let world = World::start().await;
    let refused = [
        ("/slack/post/channel/general", ""),
        ("/slack/post/channel/general", "X-Looker-Webhook-Token: wrong\r\n"),
        ("/slack/post_from_query_action", ""),
        ("/data_actions", "Authorization: Token token=\"wrong\"\r\n"),
        ("/", ""),
        // Slack: no signature headers, or a stale timestamp.
        ("/slack/events", ""),
        (
            "/slack/receive",
            "X-Slack-Request-Timestamp: 1\r\nX-Slack-Signature: v0=00\r\n",
        ),
    ];
    for (path, headers) in refused {
        let mut stream = connect(&world).await;
        // A body announced (as large as the endpoint takes), nothing sent: the answer cannot depend on the body.
        let length = if path.starts_with("/slack/post") {
            endpoints::MAX_WEBHOOK_BODY
        } else {
            endpoints::MAX_BODY
        };
        stream
            .write_all(post_head(path, length, headers).as_bytes())
            .await
            .unwrap();
        let answer = first_answer(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 401"), "{path} {headers:?}: {answer}");
    }
    assert!(world.sim.messages().is_empty());
    world.stop().await;
}

#[tokio::test]
async fn idle_and_slow_header_connections_are_closed() {
    let mut fast = options();
    fast.listen.header_timeout = Duration::from_secs(1);
    let world = World::start_with_options(&[], fast).await;

    let mut idle = connect(&world).await;
    let mut slow_headers = connect(&world).await;
    slow_headers
        .write_all(b"GET /health_check HTTP/1.1\r\nHo")
        .await
        .unwrap();
    let mut kept_alive = connect(&world).await;
    kept_alive
        .write_all(b"GET /health_check HTTP/1.1\r\nHost: bot\r\n\r\n")
        .await
        .unwrap();
    assert!(first_answer(&mut kept_alive).await.starts_with("HTTP/1.1 200"));

    for (what, stream) in [
        ("idle", &mut idle),
        ("slow headers", &mut slow_headers),
        ("kept alive", &mut kept_alive),
    ] {
        let closed = until_closed(stream).await;
        assert!(closed.is_some(), "the {what} connection is still open");
    }
    world.stop().await;
}

/// Nearly at the cap, a connection is not kept alive after its request, so it gives its slot back at once.
#[tokio::test]
async fn near_the_cap_connections_close_after_one_request() {
    let mut capped = options();
    capped.listen.max_connections = 8;
    let world = World::start_with_options(&[], capped).await;
    let request = b"GET /health_check HTTP/1.1\r\nHost: bot\r\n\r\n";
    let mut roomy = connect(&world).await;
    roomy.write_all(request).await.unwrap();
    let answer = first_answer(&mut roomy).await.to_lowercase();
    assert!(
        !answer.contains("connection: close"),
        "kept alive while there is room: {answer}"
    );
    let mut held = Vec::new();
    for _ in 0..6 {
        held.push(connect(&world).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await; // seven of eight taken
    let mut crowded = connect(&world).await;
    crowded.write_all(request).await.unwrap();
    let answer = first_answer(&mut crowded).await.to_lowercase();
    assert!(
        answer.starts_with("http/1.1 200") && answer.contains("connection: close"),
        "{answer}"
    );
    world.stop().await;
}

#[tokio::test]
async fn connections_past_the_cap_wait_unaccepted_until_the_cap_frees_up() {
    let mut capped = options();
    capped.listen.max_connections = 4;
    capped.listen.header_timeout = Duration::from_secs(1);
    let world = World::start_with_options(&[], capped).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect(&world).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await; // all four accepted
    let mut extra = connect(&world).await;
    extra
        .write_all(b"GET /health_check HTTP/1.1\r\nHost: bot\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    // The four idle ones are closed after the header timeout; only then is the extra one accepted and answered.
    for stream in &mut held {
        assert!(until_closed(stream).await.is_some(), "idle connections are closed");
    }
    let answer = first_answer_within(&mut extra, PATIENCE).await;
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "served once the cap freed up: {answer:?}"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_forged_slack_bodies_leave_health_and_looker_their_slots_and_time_out() {
    let world = World::start().await;
    // More slow senders than all the request slots Slack's routes have, each with headers that pass the header check
    // (a fresh timestamp, a well-formed signature) and a body that never finishes.
    let now = chrono::Utc::now().timestamp();
    let forged = format!(
        "X-Slack-Request-Timestamp: {now}\r\nX-Slack-Signature: v0={}\r\n",
        "00".repeat(32)
    );
    let mut slow = Vec::new();
    for _ in 0..endpoints::MAX_UNVERIFIED_REQUESTS + 16 {
        let mut stream = connect(&world).await;
        stream
            .write_all(post_head("/slack/events", 1000, &forged).as_bytes())
            .await
            .unwrap();
        stream.write_all(b"{\"type\":").await.unwrap();
        slow.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(world.health().await, 200);
    let plan = look_webhook(&world, content::SINGLE_VALUE_LOOK_ID);
    let (status, answer) = push(&world, "/slack/post/channel/general", &plan).await;
    assert_eq!(status, 200, "{answer}");

    // Past the body timeout every slow sender has its answer: 408, or 503 for those past the slots (after waiting
    // up to UNVERIFIED_SLOT_WAIT for one).
    for stream in &mut slow {
        let answer = first_answer_within(stream, endpoints::BODY_TIMEOUT + PATIENCE).await;
        assert!(
            answer.starts_with("HTTP/1.1 408") || answer.starts_with("HTTP/1.1 503"),
            "{answer}"
        );
    }
    world.stop().await;
}
