//! [`SlackSim`]: starts the server and is the tests' handle for inspecting records and injecting faults.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::task::JoinHandle;

use crate::config::SimConfig;
use crate::error::SimError;
use crate::faults::Fault;
use crate::records::{HandlerSpan, PostedMessage, RecordedCall, UploadedFile};
use crate::shared::{Shared, lock, poll_until};
use crate::socket::{Command, SocketKind};
use crate::workspace::{BOT_USER_ID, Conversation, User};

/// How long pushes wait for a client to be connected, and Socket Mode pushes for the ack.
const PUSH_WAIT: Duration = Duration::from_secs(3);

/// A running simulator. Cloning is cheap; all clones share the same server and records.
#[derive(Clone)]
pub struct SlackSim {
    shared: Arc<Shared>,
    server: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl std::fmt::Debug for SlackSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackSim")
            .field("base_url", &self.shared.base_url)
            .finish_non_exhaustive()
    }
}

impl SlackSim {
    /// Binds 127.0.0.1:`config.port` and serves until [`SlackSim::shutdown`].
    pub async fn start(config: SimConfig) -> std::io::Result<SlackSim> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, config.port))).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared::new(config, base_url));
        let app = crate::server::router(shared.clone());
        let mut stop = shared.shutdown.subscribe();
        let server = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            });
            if let Err(error) = serving.await {
                tracing::error!(%error, "slack-sim server stopped with an error");
            }
        });
        Ok(SlackSim {
            shared,
            server: Arc::new(Mutex::new(Some(server))),
        })
    }

    /// Web API base, ending with `/api/`; methods are at `{api_url}{method}`.
    pub fn api_url(&self) -> String {
        format!("{}/api/", self.shared.base_url)
    }

    /// `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn bot_token(&self) -> &str {
        &self.shared.config.bot_token
    }

    pub fn app_token(&self) -> &str {
        &self.shared.config.app_token
    }

    pub fn signing_secret(&self) -> &str {
        &self.shared.config.signing_secret
    }

    pub fn bot_user_id(&self) -> &str {
        BOT_USER_ID
    }

    /// Every Web API call so far, in order (uploads and response_url posts are not Web API calls).
    pub fn calls(&self) -> Vec<RecordedCall> {
        lock(&self.shared.records).calls.clone()
    }

    pub fn calls_to(&self, method: &str) -> Vec<RecordedCall> {
        lock(&self.shared.records)
            .calls
            .iter()
            .filter(|c| c.method == method)
            .cloned()
            .collect()
    }

    pub fn clear_calls(&self) {
        lock(&self.shared.records).calls.clear();
    }

    /// Every HTTP call's time inside the simulator (WebSocket traffic aside), oldest first.
    pub fn handler_spans(&self) -> Vec<HandlerSpan> {
        lock(&self.shared.records).spans.clone()
    }

    /// How many spans [`SlackSim::handler_spans`] would return, without copying them (for polling under load).
    pub fn handler_span_count(&self) -> usize {
        lock(&self.shared.records).spans.len()
    }

    /// Waits until at least `count` spans are recorded (see [`SlackSim::handler_span_count`]), or `timeout` passes;
    /// true when they are. Wakes on each recorded span instead of polling, so a benchmark waiting here does not
    /// compete for the CPU with what it measures.
    pub async fn wait_for_handler_spans(&self, count: usize, timeout: std::time::Duration) -> bool {
        let mut recorded = self.shared.span_recorded.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.handler_span_count() >= count {
                return true;
            }
            match tokio::time::timeout_at(deadline, recorded.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return self.handler_span_count() >= count,
            }
        }
    }

    pub fn clear_handler_spans(&self) {
        lock(&self.shared.records).spans.clear();
    }

    /// Forgets the messages and files received so far (a long benchmark run would otherwise keep them all).
    pub fn clear_messages(&self) {
        let mut records = lock(&self.shared.records);
        records.messages.clear();
        records.files.clear();
    }

    /// Messages the bot sent, in order; see [`PostedMessage`] for the `method` values.
    pub fn messages(&self) -> Vec<PostedMessage> {
        lock(&self.shared.records).messages.clone()
    }

    /// Waits until at least `count` messages were recorded or `timeout` passed, then returns the messages.
    /// For tests where the bot answers asynchronously (after acking an event).
    pub async fn wait_for_messages(&self, count: usize, timeout: Duration) -> Vec<PostedMessage> {
        poll_until(timeout, || self.messages().len() >= count).await;
        self.messages()
    }

    /// Waits until at least `count` WebSocket connections were opened in total; false on timeout.
    /// For reconnect tests.
    pub async fn wait_for_socket_connections(&self, count: u64, timeout: Duration) -> bool {
        poll_until(timeout, || self.socket_connections() >= count).await
    }

    /// Uploads completed with files.completeUploadExternal.
    pub fn files(&self) -> Vec<UploadedFile> {
        lock(&self.shared.records).files.clone()
    }

    /// The next `times` calls to `method` get HTTP 429 with `Retry-After: retry_after_secs`. Besides Web API
    /// method names, `file_upload` and `response_url` name the upload and response_url endpoints.
    pub fn rate_limit(&self, method: &str, times: u32, retry_after_secs: u64) {
        lock(&self.shared.faults).push(method, Fault::RateLimited { retry_after_secs }, times);
    }

    /// The next `times` calls to `method` get HTTP `status` with a plain-text body.
    pub fn fail(&self, method: &str, times: u32, status: u16) {
        lock(&self.shared.faults).push(method, Fault::Status(status), times);
    }

    /// The next `times` calls to the Web API method `method` take effect at once (a post is posted) but are answered
    /// only after `delay`: a slow Slack, past the bot's timeout, that accepted the call all the same.
    pub fn answer_late(&self, method: &str, times: u32, delay: Duration) {
        lock(&self.shared.faults).push_late(method, delay, times);
    }

    /// Delay added before answering every HTTP call from now on.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.set_latency(latency);
    }

    /// A URL that accepts `response_url` posts; they are recorded in [`SlackSim::messages`] with an empty channel.
    pub fn response_url(&self, id: &str) -> String {
        format!("{}/response/{id}", self.shared.base_url)
    }

    /// Like [`SlackSim::response_url`], but posts are recorded against `channel`.
    pub fn response_url_in(&self, id: &str, channel: &str) -> String {
        format!("{}?channel={channel}", self.response_url(id))
    }

    /// Pushes an envelope to the newest Socket Mode client and waits for its ack (recorded in
    /// [`SlackSim::socket_acks`]). An envelope without `envelope_id` gets a generated one.
    pub async fn send_socket_envelope(&self, envelope: Value) -> Result<(), SimError> {
        let Value::Object(mut envelope) = envelope else {
            return Err(SimError::InvalidEnvelope(envelope.to_string()));
        };
        let envelope_id = match envelope.get("envelope_id").and_then(Value::as_str) {
            Some(id) => id.to_owned(),
            None => {
                let id = format!("sim-envelope-{}", self.shared.next_seq());
                envelope.insert("envelope_id".into(), Value::String(id.clone()));
                id
            }
        };
        let kind = SocketKind::SocketMode;
        let connection = self.connected(kind).await?;
        let ack = self.shared.sockets.expect_ack(&envelope_id);
        if connection
            .send(Command::Send(Value::Object(envelope).to_string()))
            .is_err()
        {
            self.shared.sockets.forget_ack(&envelope_id);
            return Err(SimError::ConnectionClosed { kind: kind.label() });
        }
        match tokio::time::timeout(PUSH_WAIT, ack).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(SimError::ConnectionClosed { kind: kind.label() }),
            Err(_) => {
                self.shared.sockets.forget_ack(&envelope_id);
                Err(SimError::AckTimeout {
                    envelope_id,
                    waited: PUSH_WAIT,
                })
            }
        }
    }

    /// Acks received from Socket Mode clients, as sent.
    pub fn socket_acks(&self) -> Vec<Value> {
        lock(&self.shared.records).socket_acks.clone()
    }

    /// Sends `{"type":"disconnect","reason":reason}` to every Socket Mode client, then closes their connections.
    pub async fn socket_disconnect(&self, reason: &str) {
        let frame = serde_json::json!({
            "type": "disconnect",
            "reason": reason,
            "debug_info": { "host": "slack-sim" },
        })
        .to_string();
        self.shared
            .sockets
            .close_all(&[SocketKind::SocketMode], || Command::SendThenClose(frame.clone()))
            .await;
    }

    /// Drops every Socket Mode and RTM connection without a close frame, like a network failure.
    pub async fn drop_socket(&self) {
        self.shared
            .sockets
            .close_all(&[SocketKind::SocketMode, SocketKind::Rtm], || Command::Abort)
            .await;
    }

    /// WebSocket connections (Socket Mode and RTM) opened so far.
    pub fn socket_connections(&self) -> u64 {
        self.shared.sockets.opened()
    }

    /// Pushes an event frame to the newest RTM client.
    pub async fn send_rtm_event(&self, event: Value) -> Result<(), SimError> {
        let connection = self.connected(SocketKind::Rtm).await?;
        connection
            .send(Command::Send(event.to_string()))
            .map_err(|_| SimError::ConnectionClosed {
                kind: SocketKind::Rtm.label(),
            })
    }

    async fn connected(&self, kind: SocketKind) -> Result<tokio::sync::mpsc::UnboundedSender<Command>, SimError> {
        self.shared
            .sockets
            .newest(kind, PUSH_WAIT)
            .await
            .ok_or(SimError::NotConnected {
                kind: kind.label(),
                opener: kind.opener(),
                waited: PUSH_WAIT,
            })
    }

    /// The `X-Slack-Signature` value Slack would send for `body` at `timestamp`.
    pub fn sign(&self, timestamp: i64, body: &[u8]) -> String {
        crate::signing::sign(&self.shared.config.signing_secret, timestamp, body)
    }

    /// Adds a user, or replaces the one with the same id.
    pub fn add_user(&self, user: User) {
        lock(&self.shared.workspace).upsert_user(user);
    }

    /// Adds a conversation, or replaces the one with the same id.
    pub fn add_channel(&self, conversation: Conversation) {
        lock(&self.shared.workspace).upsert_conversation(conversation);
    }

    pub fn user(&self, id: &str) -> Option<User> {
        lock(&self.shared.workspace).user(id).cloned()
    }

    pub fn conversation(&self, id: &str) -> Option<Conversation> {
        lock(&self.shared.workspace).conversation(id).cloned()
    }

    /// Stops the server and closes WebSocket connections.
    pub async fn shutdown(self) {
        self.shared.shutdown.send_replace(true);
        let server = lock(&self.server).take();
        if let Some(mut server) = server
            && tokio::time::timeout(Duration::from_secs(2), &mut server).await.is_err()
        {
            server.abort();
        }
    }
}
