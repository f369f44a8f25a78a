//! The Socket Mode (`/link/`) and RTM (`/rtm/`) WebSocket endpoints, and the hub through which the control
//! handle pushes frames to connected clients and waits for Socket Mode acks.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::shared::{Shared, lock, poll_until};
use crate::workspace::APP_ID;

/// Which protocol a WebSocket connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketKind {
    SocketMode,
    Rtm,
}

impl SocketKind {
    pub fn label(self) -> &'static str {
        match self {
            SocketKind::SocketMode => "Socket Mode",
            SocketKind::Rtm => "RTM",
        }
    }

    pub fn opener(self) -> &'static str {
        match self {
            SocketKind::SocketMode => "apps.connections.open",
            SocketKind::Rtm => "rtm.connect",
        }
    }
}

/// What the control handle asks a connection task to do.
#[derive(Debug)]
pub enum Command {
    Send(String),
    /// Send this frame, then a close frame, then end.
    SendThenClose(String),
    /// Drop the TCP connection without a close frame.
    Abort,
}

struct Connection {
    id: u64,
    kind: SocketKind,
    commands: mpsc::UnboundedSender<Command>,
}

/// Open connections, unused tickets, and envelopes waiting for their ack.
#[derive(Default)]
pub struct Hub {
    connections: Mutex<Vec<Connection>>,
    tickets: Mutex<HashMap<String, SocketKind>>,
    pending_acks: Mutex<HashMap<String, oneshot::Sender<()>>>,
    opened: AtomicU64,
    next_id: AtomicU64,
}

impl Hub {
    /// A one-time ticket for the WebSocket URL returned by apps.connections.open or rtm.connect.
    pub fn issue_ticket(&self, kind: SocketKind, seq: u64) -> String {
        let ticket = format!("sim-ticket-{seq}");
        lock(&self.tickets).insert(ticket.clone(), kind);
        ticket
    }

    fn redeem_ticket(&self, ticket: &str, kind: SocketKind) -> bool {
        let mut tickets = lock(&self.tickets);
        match tickets.get(ticket) {
            Some(k) if *k == kind => tickets.remove(ticket).is_some(),
            _ => false,
        }
    }

    pub fn opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    fn count(&self, kind: SocketKind) -> usize {
        lock(&self.connections).iter().filter(|c| c.kind == kind).count()
    }

    fn register(&self, kind: SocketKind, commands: mpsc::UnboundedSender<Command>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.connections).push(Connection { id, kind, commands });
        id
    }

    fn unregister(&self, id: u64) {
        lock(&self.connections).retain(|c| c.id != id);
    }

    /// The newest connection of `kind`, waiting up to `wait` for a client to connect.
    pub async fn newest(&self, kind: SocketKind, wait: Duration) -> Option<mpsc::UnboundedSender<Command>> {
        let newest = || {
            let connections = lock(&self.connections);
            connections
                .iter()
                .rev()
                .find(|c| c.kind == kind)
                .map(|c| c.commands.clone())
        };
        poll_until(wait, || newest().is_some()).await;
        newest()
    }

    /// Sends `command()` to every connection of the given kinds and waits (bounded) until they have closed.
    pub async fn close_all(&self, kinds: &[SocketKind], command: impl Fn() -> Command) {
        let ids: Vec<u64> = {
            let connections = lock(&self.connections);
            let targets = connections.iter().filter(|c| kinds.contains(&c.kind));
            targets
                .filter(|c| c.commands.send(command()).is_ok())
                .map(|c| c.id)
                .collect()
        };
        let closed = || !lock(&self.connections).iter().any(|c| ids.contains(&c.id));
        poll_until(Duration::from_secs(1), closed).await;
    }

    /// Registers interest in the ack of `envelope_id`.
    pub fn expect_ack(&self, envelope_id: &str) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        lock(&self.pending_acks).insert(envelope_id.to_owned(), tx);
        rx
    }

    pub fn forget_ack(&self, envelope_id: &str) {
        lock(&self.pending_acks).remove(envelope_id);
    }

    fn acked(&self, envelope_id: &str) {
        if let Some(waiter) = lock(&self.pending_acks).remove(envelope_id) {
            let _ = waiter.send(());
        }
    }
}

/// `GET /link/?ticket=...`: Socket Mode.
pub async fn socket_mode_endpoint(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    accept(shared, &query, upgrade, SocketKind::SocketMode)
}

/// `GET /rtm/?ticket=...`: RTM.
pub async fn rtm_endpoint(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    accept(shared, &query, upgrade, SocketKind::Rtm)
}

fn accept(
    shared: Arc<Shared>,
    query: &HashMap<String, String>,
    upgrade: WebSocketUpgrade,
    kind: SocketKind,
) -> Response {
    let ticket = query.get("ticket").map(String::as_str).unwrap_or_default();
    if !shared.sockets.redeem_ticket(ticket, kind) {
        let message = format!(
            "slack-sim: unknown or already used ticket; call {} for a fresh url",
            kind.opener()
        );
        return (StatusCode::UNAUTHORIZED, message).into_response();
    }
    upgrade.on_upgrade(move |socket| serve_connection(shared, socket, kind))
}

fn hello_frame(shared: &Shared, kind: SocketKind) -> Value {
    match kind {
        SocketKind::Rtm => json!({ "type": "hello" }),
        SocketKind::SocketMode => json!({
            "type": "hello",
            "num_connections": shared.sockets.count(SocketKind::SocketMode) + 1,
            "debug_info": { "host": "slack-sim", "build_number": 1, "approximate_connection_time": 18060 },
            "connection_info": { "app_id": APP_ID },
        }),
    }
}

async fn send_text(socket: &mut WebSocket, text: String) -> bool {
    socket.send(Message::Text(text.into())).await.is_ok()
}

async fn serve_connection(shared: Arc<Shared>, mut socket: WebSocket, kind: SocketKind) {
    shared.sockets.opened.fetch_add(1, Ordering::Relaxed);
    if !send_text(&mut socket, hello_frame(&shared, kind).to_string()).await {
        return;
    }
    let (commands_tx, mut commands) = mpsc::unbounded_channel();
    let id = shared.sockets.register(kind, commands_tx);
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                Some(Command::Send(text)) => {
                    if !send_text(&mut socket, text).await { break; }
                }
                Some(Command::SendThenClose(text)) => {
                    send_text(&mut socket, text).await;
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
                Some(Command::Abort) | None => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Some(reply) = handle_client_frame(&shared, kind, text.as_str())
                        && !send_text(&mut socket, reply.to_string()).await
                    {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = shutdown.changed() => {
                let _ = socket.send(Message::Close(None)).await;
                break;
            }
        }
    }
    shared.sockets.unregister(id);
}

/// Handles a frame from the client: Socket Mode acks are recorded and wake the sender; RTM pings get a pong.
fn handle_client_frame(shared: &Shared, kind: SocketKind, text: &str) -> Option<Value> {
    let Ok(frame) = serde_json::from_str::<Value>(text) else {
        tracing::warn!(kind = kind.label(), "client sent a frame that is not JSON");
        return None;
    };
    match kind {
        SocketKind::SocketMode => {
            let envelope_id = frame["envelope_id"].as_str()?.to_owned();
            lock(&shared.records).socket_acks.push(frame);
            shared.sockets.acked(&envelope_id);
            None
        }
        SocketKind::Rtm if frame["type"] == "ping" => Some(json!({ "type": "pong", "reply_to": frame["id"] })),
        SocketKind::Rtm => None,
    }
}
