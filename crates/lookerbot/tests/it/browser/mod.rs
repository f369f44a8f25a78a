//! A real headless Chromium for tests, driven over WebDriver (chromedriver) with `fantoccini`. Debian's
//! `chromium` and `chromium-driver` are installed on first use when missing (as root, under a file lock so that
//! parallel tests install once). The driver and the browser run in their own process group, which is killed when
//! the [`Browser`] is dropped, and by a watchdog if the test process dies first: neither outlives the test.
//!
//! Kept small and self-contained so that it can move into the shared test-services crate.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const INSTALL_LOCK: &str = "/tmp/lookerbot-chromium-install.lock";

pub struct Browser {
    pub client: Client,
    group: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile.
    pub async fn start() -> Browser {
        install_chromium();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let group = spawn_in_group(port);
        let profile = tempfile::tempdir().unwrap();
        let webdriver = format!("http://127.0.0.1:{port}");
        wait_for_port(port).await;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--window-size=1280,1400",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&webdriver)
            .await
            .expect("chromedriver starts a Chromium session");
        Browser {
            client,
            group,
            _profile: profile,
        }
    }

    /// Ends the session, then the processes.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_group(self.group.id());
        let _ = self.group.wait();
    }
}

/// Installs Debian's Chromium and its WebDriver when missing, once even when tests race.
fn install_chromium() {
    let script = format!(
        "test -x {CHROMIUM} && test -x {CHROMEDRIVER} || {{ apt-get update -qq && \
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }}"
    );
    let status = Command::new("flock")
        .args([INSTALL_LOCK, "sh", "-c", &script])
        .stdout(Stdio::null())
        .status()
        .expect("flock and sh run");
    assert!(
        status.success(),
        "could not install chromium and chromium-driver (apt-get, as root)"
    );
}

/// chromedriver under a shell that leads a new process group and kills that group (chromedriver and every
/// Chromium process) once the test process is gone.
fn spawn_in_group(port: u16) -> Child {
    use std::os::unix::process::CommandExt;
    let watchdog = format!(
        "{CHROMEDRIVER} --port={port} --allowed-ips=127.0.0.1 >/dev/null 2>&1 & \
         while kill -0 {parent} 2>/dev/null; do sleep 1; done; kill -KILL -$$",
        parent = std::process::id()
    );
    Command::new("sh")
        .args(["-c", &watchdog])
        .process_group(0)
        .stdin(Stdio::null())
        .spawn()
        .expect("sh starts chromedriver")
}

fn kill_group(leader: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{leader}")])
        .stderr(Stdio::null())
        .status();
}

async fn wait_for_port(port: u16) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "chromedriver did not listen on {port}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
