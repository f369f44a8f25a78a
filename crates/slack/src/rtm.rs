//! The RTM API (classic bots): `rtm.connect`, then events over a WebSocket. Kept for workspaces whose bot token
//! still has RTM; new installs use Socket Mode or the Events API.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::inbound::{InboundHandler, InboundParser, Parsed};
use crate::web::SlackWeb;
use crate::ws::{ClientHandle, ReconnectPolicy, SessionEnd, Step, run_session, spawn_reconnecting};

/// An RTM client; [`RtmClient::start`] runs it in the background.
pub struct RtmClient {
    web: SlackWeb,
    parser: InboundParser,
    handler: Arc<dyn InboundHandler>,
    policy: ReconnectPolicy,
    ping_id: AtomicU64,
}

impl RtmClient {
    pub fn new(web: SlackWeb, parser: InboundParser, handler: Arc<dyn InboundHandler>) -> Self {
        RtmClient {
            web,
            parser,
            handler,
            policy: ReconnectPolicy::default(),
            ping_id: AtomicU64::new(1),
        }
    }

    pub fn with_policy(mut self, policy: ReconnectPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn start(self) -> ClientHandle {
        let client = Arc::new(self);
        let policy = client.policy.clone();
        spawn_reconnecting("rtm", policy, move |stop, backoff| {
            let client = client.clone();
            async move {
                let session = client.web.rtm_connect().await.map_err(|e| e.to_string())?;
                let ping = || {
                    let id = client.ping_id.fetch_add(1, Ordering::Relaxed);
                    Message::Text(json!({ "id": id, "type": "ping" }).to_string().into())
                };
                let on_text = |text: &str| client.on_event(text);
                let net = &client.web.config().net;
                let end = run_session(&session.url, net, stop, backoff, &client.policy, ping, on_text).await?;
                Ok::<SessionEnd, String>(end)
            }
        })
    }

    fn on_event(&self, text: &str) -> Step {
        let Ok(event) = serde_json::from_str::<Value>(text) else {
            return Step::default();
        };
        match event["type"].as_str() {
            Some("hello") => {
                return Step {
                    healthy: true,
                    ..Default::default()
                };
            }
            Some("goodbye") => {
                return Step {
                    reconnect: true,
                    ..Default::default()
                };
            }
            _ => {}
        }
        match self.parser.rtm_event(&event) {
            Parsed::Event(inbound) => {
                let handler = self.handler.clone();
                tokio::spawn(async move { handler.handle(*inbound).await });
            }
            Parsed::Ignored(why) => tracing::trace!(why, "RTM event ignored"),
            Parsed::UrlVerification { .. } => {}
        }
        Step::default()
    }
}
