//! `lookerbot sandbox` and `lookerbot console`, run as a person would run them.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use looker_sandbox::{Sandbox, SandboxConfig, content};

#[test]
fn the_sandbox_verb_prints_its_url_and_credentials() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lookerbot"))
        .args(["sandbox", "--port", "0"])
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.contains("LOOKER_CUSTOM_COMMAND_FOLDER_ID");
        printed.push(line);
        if done {
            break;
        }
    }
    child.kill().unwrap();
    let _ = child.wait();
    let api = printed
        .iter()
        .find_map(|l| l.trim().strip_prefix("LOOKER_API_BASE_URL="))
        .expect("the API URL");
    assert!(
        api.starts_with("http://127.0.0.1:") && api.ends_with("/api/4.0"),
        "{printed:?}"
    );
    assert!(
        printed
            .iter()
            .any(|l| l.contains("LOOKER_API_3_CLIENT_SECRET=sandbox-secret"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_chats_with_a_configured_looker() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lookerbot"))
        .arg("console")
        .env_clear()
        .env("LOOKER_URL", sandbox.web_url())
        .env("LOOKER_API_BASE_URL", sandbox.api_url())
        .env("LOOKER_API_3_CLIENT_ID", sandbox.client_id())
        .env("LOOKER_API_3_CLIENT_SECRET", sandbox.client_secret())
        .env("LOOKER_CUSTOM_COMMAND_SPACE_ID", content::CUSTOM_COMMAND_FOLDER_ID)
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"help\nreturns Texas\n").unwrap();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("9 custom command(s) loaded"), "{text}");
    assert!(text.contains("Reports") && text.contains("returns"), "{text}");
    assert!(
        text.contains("[image: Returned Items] saved to"),
        "the tile is a chart: {text}"
    );
}
