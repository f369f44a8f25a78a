//! Socket Mode: Slack pushes events over a WebSocket we open, so the bot needs no public URL.
//!
//! Every envelope is acknowledged at once (Slack redelivers what is not acked within 3 s), then handled in its own
//! task. `disconnect` frames (refresh, warning) and dropped sockets lead to a new connection.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::dedupe::EventDedupe;
use crate::inbound::{InboundHandler, InboundParser, Parsed, SocketFrame};
use crate::secret::Secret;
use crate::web::SlackWeb;
use crate::ws::{ClientHandle, ReconnectPolicy, SessionEnd, Step, run_session, spawn_reconnecting};

/// A Socket Mode client; [`SocketModeClient::start`] runs it in the background.
pub struct SocketModeClient {
    web: SlackWeb,
    app_token: Secret,
    parser: InboundParser,
    handler: Arc<dyn InboundHandler>,
    dedupe: Option<Arc<dyn EventDedupe>>,
    policy: ReconnectPolicy,
}

impl SocketModeClient {
    /// `app_token` is the app-level token (`xapp-...`, scope `connections:write`).
    pub fn new(web: SlackWeb, app_token: Secret, parser: InboundParser, handler: Arc<dyn InboundHandler>) -> Self {
        SocketModeClient {
            web,
            app_token,
            parser,
            handler,
            dedupe: None,
            policy: ReconnectPolicy::default(),
        }
    }

    pub fn with_policy(mut self, policy: ReconnectPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Drops redelivered events (same `event_id`) instead of handling them twice.
    pub fn with_dedupe(mut self, dedupe: Arc<dyn EventDedupe>) -> Self {
        self.dedupe = Some(dedupe);
        self
    }

    /// Connects and keeps connecting until the handle is shut down.
    pub fn start(self) -> ClientHandle {
        let client = Arc::new(self);
        let policy = client.policy.clone();
        spawn_reconnecting("socket mode", policy, move |stop, backoff| {
            let client = client.clone();
            async move {
                let url = client
                    .web
                    .apps_connections_open(&client.app_token)
                    .await
                    .map_err(|e| e.to_string())?;
                let on_text = |text: &str| client.on_frame(text);
                let end = run_session(
                    &url,
                    &client.web.config().net,
                    stop,
                    backoff,
                    &client.policy,
                    || Message::Ping(Default::default()),
                    on_text,
                )
                .await?;
                Ok::<SessionEnd, String>(end)
            }
        })
    }

    fn on_frame(&self, text: &str) -> Step {
        let Ok(frame) = serde_json::from_str::<Value>(text) else {
            tracing::warn!("Socket Mode frame is not JSON; ignored");
            return Step::default();
        };
        match self.parser.socket_frame(&frame) {
            SocketFrame::Hello => Step {
                healthy: true,
                ..Default::default()
            },
            SocketFrame::Disconnect { reason } => {
                if reason == "link_disabled" {
                    tracing::error!(
                        "Slack disabled Socket Mode for this app (link_disabled); enable it in the app settings"
                    );
                } else {
                    tracing::info!(%reason, "Slack asked for a new Socket Mode connection");
                }
                Step {
                    reconnect: true,
                    ..Default::default()
                }
            }
            SocketFrame::Envelope {
                envelope_id,
                kind,
                parsed,
            } => {
                match parsed {
                    Ok(Parsed::Event(event)) => self.dispatch(*event),
                    Ok(Parsed::Ignored(why)) => tracing::debug!(%kind, why, "envelope ignored"),
                    Ok(Parsed::UrlVerification { .. }) => {}
                    Err(error) => tracing::warn!(%kind, %error, "envelope not understood"),
                }
                Step {
                    replies: vec![json!({ "envelope_id": envelope_id }).to_string()],
                    ..Default::default()
                }
            }
            SocketFrame::Unknown => Step::default(),
        }
    }

    fn dispatch(&self, event: crate::inbound::InboundEvent) {
        let handler = self.handler.clone();
        let dedupe = self.dedupe.clone();
        tokio::spawn(async move {
            if let (Some(dedupe), Some(id)) = (&dedupe, &event.context.event_id)
                && !dedupe.first_sighting(id, event.context.is_redelivery()).await
            {
                tracing::debug!(event_id = %id, "redelivered event dropped");
                return;
            }
            handler.handle(event).await;
        });
    }
}
