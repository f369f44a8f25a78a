//! A damaged queue is loud, against the `lookerbot` binary: a `-wal` deleted after a kill -9 stops `serve` with what
//! happened and what to do, `lookerbot deliveries` says the same, and `lookerbot deliveries --salvage` carries the
//! deliveries that are left into a fresh queue that `serve` starts with.

use crate::reliability_support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reliability_support::Peers;

/// Runs `lookerbot serve`, which must stop by itself within 30 s; its exit status and standard error.
fn serve_must_stop(peers: &Peers) -> (std::process::ExitStatus, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lookerbot"))
        .arg("serve")
        .env_clear()
        .envs(peers.environment(port))
        .current_dir(peers.data.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("lookerbot serve started on a queue that lost deliveries");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    (output.status, String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wal_deleted_after_a_kill_9_stops_the_start_until_the_deliveries_left_are_salvaged() {
    let peers = Peers::start(Duration::ZERO).await;
    // Slack refuses every post for now, so the deliveries stay in the queue.
    peers.sim.fail("chat.postMessage", 10_000, 503);

    // Two deliveries, written into the main file when the bot stops cleanly...
    let mut bot = peers.spawn_bot().await;
    for number in 0..2 {
        assert_eq!(peers.post_delivery(&bot, number).await, 200);
    }
    bot.terminate();
    assert!(
        bot.wait_exit(Duration::from_secs(30))
            .await
            .is_some_and(|s| s.success())
    );
    // ...and two more, only in the write-ahead log when the bot is killed.
    let bot = peers.spawn_bot().await;
    for number in 2..4 {
        assert_eq!(peers.post_delivery(&bot, number).await, 200);
    }
    bot.kill_hard();
    let queue = peers.data_dir().join("deliveries.sqlite3");
    std::fs::remove_file(format!("{}-wal", queue.display())).unwrap();
    let _ = std::fs::remove_file(format!("{}-shm", queue.display()));

    let (status, said) = serve_must_stop(&peers);
    assert!(!status.success());
    for part in [
        "holds deliveries up to #2, but #4 was stored",
        "-wal",
        "--salvage",
        "--reset",
    ] {
        assert!(said.contains(part), "{part}: {said}");
    }
    let inspected = peers.deliveries_refusal(&[]);
    assert!(inspected.contains("but #4 was stored"), "{inspected}");

    let (status, inspected) = peers.deliveries(&["--inspect"]);
    assert!(status.success(), "{inspected}");
    assert!(
        inspected.contains("but #4 was stored") && inspected.contains("2 waiting and 0 failed deliveries can be read"),
        "{inspected}"
    );
    let (status, salvaged) = peers.deliveries(&["--salvage"]);
    assert!(status.success(), "{salvaged}");
    assert!(
        salvaged.contains("2 waiting and 0 failed deliveries were carried into a fresh queue")
            && salvaged.contains("2 that were stored are no longer in the file"),
        "{salvaged}"
    );
    let (_, listed) = peers.deliveries(&[]);
    assert!(listed.starts_with("2 pending, 0 running, 0 done, 0 failed"), "{listed}");
    let _ = peers.spawn_bot().await;
}
