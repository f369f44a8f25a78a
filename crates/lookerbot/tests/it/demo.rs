//! `lookerbot demo` driven through stdin, as a script or a newcomer would.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn lookerbot() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lookerbot"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn");
    command
}

#[test]
fn a_scripted_demo_answers_each_line_and_saves_the_chart() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = lookerbot()
        .args(["demo", "--port", "0", "--images", "charts"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());

    // The greeting names the sandbox and the bot's HTTP server, and shows a curl for a scheduled delivery.
    let mut greeting = String::new();
    let started = Instant::now();
    while !greeting.contains("Type `quit` to leave.") {
        assert!(started.elapsed() < Duration::from_secs(20), "no greeting: {greeting}");
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        greeting.push_str(&line);
    }
    assert!(greeting.contains("curl -s -X POST http://"), "{greeting}");
    let server = greeting
        .lines()
        .find_map(|l| l.strip_prefix("Bot HTTP server: "))
        .unwrap();
    let server = server.split_whitespace().next().unwrap().to_string();
    let sandbox = greeting
        .lines()
        .find_map(|l| l.strip_prefix("Looker sandbox: "))
        .unwrap();
    let sandbox = sandbox.split_whitespace().next().unwrap().to_string();

    // A scheduled delivery sent to the bot's HTTP server shows up in the chat as `#general: ...`.
    let payload =
        format!(r#"{{"type":"query","scheduled_plan":{{"type":"Look","title":"Daily","url":"{sandbox}/looks/1"}}}}"#);
    let delivered = post(&server, "/slack/post/channel/general", &payload);
    assert!(delivered.contains("\"success\":true"), "{delivered}");

    let mut stdin = child.stdin.take().unwrap();
    let script = format!("help\nfind orders\ncustomers California\n{sandbox}/looks/1\n{sandbox}/looks/4\nquit\n");
    stdin.write_all(script.as_bytes()).unwrap();
    drop(stdin);
    let mut transcript = String::new();
    stdout.read_to_string(&mut transcript).unwrap();
    assert!(child.wait().unwrap().success());

    for expected in [
        "#general:",            // the delivery
        "Built-in commands",    // help
        "customers",            // a custom command listed in help
        "Orders by Status",     // find, and the Look link
        "Customers by Country", // the custom command's tile
        "[image: Revenue by Category] saved to charts/",
    ] {
        assert!(
            transcript.contains(expected),
            "the transcript lacks {expected:?}:\n{transcript}"
        );
    }
    // The Look's table is aligned: its header has a separator line under it.
    assert!(transcript.contains("---"), "{transcript}");
    let charts: Vec<_> = std::fs::read_dir(dir.path().join("charts")).unwrap().collect();
    assert_eq!(charts.len(), 1);
    let png = std::fs::read(charts[0].as_ref().unwrap().path()).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000);
}

/// A bare-bones HTTP POST (the test needs no client library for one request).
fn post(server: &str, path: &str, body: &str) -> String {
    let address = server.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nX-Looker-Webhook-Token: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        lookerbot::demo_cmd::DEMO_WEBHOOK_TOKEN,
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}
