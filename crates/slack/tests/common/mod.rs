//! Shared test setup: a simulator, a fast web client, a handler that records events.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use slack::inbound::{InboundEvent, InboundHandler};
use slack::web::{SlackWeb, WebConfig};
use slack::{Secret, ws::ReconnectPolicy};
use slack_sim::{SimConfig, SlackSim};
use tokio::sync::mpsc;

pub async fn sim() -> SlackSim {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    SlackSim::start(SimConfig::default()).await.expect("simulator starts")
}

pub fn fast_config() -> WebConfig {
    WebConfig {
        timeout: Duration::from_secs(5),
        max_attempts: 3,
        post_interval: Duration::from_millis(0),
        post_burst: slack::pace::DEFAULT_BURST,
        net: net::NetPolicy::direct(),
        max_retry_wait: Duration::from_secs(5),
        page_size: 200,
    }
}

pub fn web(sim: &SlackSim) -> SlackWeb {
    web_with(sim, fast_config())
}

pub fn web_with(sim: &SlackSim, config: WebConfig) -> SlackWeb {
    SlackWeb::with_config(&sim.api_url(), Secret::new(sim.bot_token()), config).unwrap()
}

pub fn fast_reconnect() -> ReconnectPolicy {
    ReconnectPolicy {
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(400),
        ping_interval: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(30),
    }
}

/// Records handled events and lets a test wait for them.
pub struct Recorder {
    pub events: Mutex<Vec<InboundEvent>>,
    tx: mpsc::UnboundedSender<InboundEvent>,
}

impl Recorder {
    pub fn new() -> (Arc<Recorder>, mpsc::UnboundedReceiver<InboundEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Arc::new(Recorder {
                events: Mutex::new(Vec::new()),
                tx,
            }),
            rx,
        )
    }

    pub fn count(&self) -> usize {
        self.events.lock().unwrap().len()
    }
}

#[async_trait]
impl InboundHandler for Recorder {
    async fn handle(&self, event: InboundEvent) {
        self.events.lock().unwrap().push(event.clone());
        let _ = self.tx.send(event);
    }
}

pub async fn next_event(rx: &mut mpsc::UnboundedReceiver<InboundEvent>) -> InboundEvent {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("an event within 5 s")
        .expect("channel open")
}

/// Polls `check` until it holds (at most 5 s).
pub async fn eventually(mut check: impl FnMut() -> bool) {
    for _ in 0..250 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("condition not met within 5 s");
}
