//! What Socket Mode and RTM share: a WebSocket session loop with keepalive, and reconnection with capped
//! exponential backoff until shut down. Connections follow the network policy ([`net::NetPolicy`]): through the
//! proxy (a `CONNECT` tunnel) unless `NO_PROXY` exempts Slack, trusting the system's certificates.

use std::future::Future;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

/// How a client reconnects and keeps its connection alive.
#[derive(Debug, Clone)]
pub struct ReconnectPolicy {
    /// Wait after the first failure; doubled after each further one.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// How often we ping.
    pub ping_interval: Duration,
    /// Deadline of the WebSocket handshake.
    pub connect_timeout: Duration,
    /// With nothing received for this long, the connection is taken as dead and replaced.
    pub idle_timeout: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            ping_interval: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(120),
        }
    }
}

/// Stops a running client.
pub struct ClientHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    connected: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl ClientHandle {
    /// Closes the connection and waits for the client to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }

    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Whether a connection is up and Slack greeted it (`hello`): for readiness and the status page.
    pub fn is_connected(&self) -> bool {
        self.connected.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The connection state, shared, for probes that outlive a borrow of the handle.
    pub fn connection(&self) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
        self.connected.clone()
    }
}

/// How a session ended without error.
pub(crate) enum SessionEnd {
    /// Slack asked us to reconnect (disconnect frame, goodbye): at once, no backoff.
    Reconnect,
    Shutdown,
}

/// What to do after one received text frame.
#[derive(Default)]
pub(crate) struct Step {
    /// Frames to send back at once (acks).
    pub replies: Vec<String>,
    /// The connection is healthy (hello received): the backoff starts over.
    pub healthy: bool,
    pub reconnect: bool,
}

/// Runs `session` again and again until shutdown, waiting with backoff after failures.
pub(crate) fn spawn_reconnecting<S, F>(name: &'static str, policy: ReconnectPolicy, mut session: S) -> ClientHandle
where
    S: FnMut(watch::Receiver<bool>, Backoff) -> F + Send + 'static,
    F: Future<Output = Result<SessionEnd, String>> + Send,
{
    let (stop, stop_rx) = watch::channel(false);
    let backoff = Backoff::new(&policy, name);
    let connected = backoff.connected.clone();
    let task = tokio::spawn(async move {
        loop {
            if *stop_rx.borrow() {
                return;
            }
            let end = session(stop_rx.clone(), backoff.clone()).await;
            backoff.set_connected(false);
            match end {
                Ok(SessionEnd::Shutdown) => return,
                Ok(SessionEnd::Reconnect) => {
                    tracing::info!(client = name, "Slack asked to reconnect")
                }
                Err(error) => {
                    let wait = backoff.next();
                    tracing::warn!(client = name, %error, wait_ms = wait.as_millis() as u64, "connection lost; reconnecting");
                    let mut stop_rx = stop_rx.clone();
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = stopped(&mut stop_rx) => return,
                    }
                }
            }
        }
    });
    ClientHandle { stop, task, connected }
}

/// Opens the WebSocket at `url` under the network policy.
async fn open(
    url: &str,
    net: &net::NetPolicy,
    timeout: Duration,
) -> Result<WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("Slack gave an unusable WebSocket URL: {e}"))?;
    let connector = match parsed.scheme() {
        "wss" => Connector::Rustls(net.tls_config()),
        _ => Connector::Plain,
    };
    let stream = net.connect(&parsed, timeout).await?;
    let (socket, _) = tokio_tungstenite::client_async_tls_with_config(url, stream, None, Some(connector))
        .await
        .map_err(|e| format!("WebSocket connect failed: {e}"))?;
    Ok(socket)
}

/// One WebSocket connection: reads frames, hands text to `on_text`, pings, and notices silence.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_session(
    url: &str,
    net: &net::NetPolicy,
    mut stop: watch::Receiver<bool>,
    backoff: Backoff,
    policy: &ReconnectPolicy,
    mut make_ping: impl FnMut() -> Message + Send,
    mut on_text: impl FnMut(&str) -> Step + Send,
) -> Result<SessionEnd, String> {
    let handshake = tokio::time::timeout(policy.connect_timeout, open(url, net, policy.connect_timeout));
    let socket = handshake
        .await
        .map_err(|_| format!("WebSocket handshake took over {}s", policy.connect_timeout.as_secs()))??;
    let (mut outgoing, mut incoming) = socket.split();
    let mut ping = tokio::time::interval_at(Instant::now() + policy.ping_interval, policy.ping_interval);
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            _ = stopped(&mut stop) => {
                let _ = outgoing.send(Message::Close(None)).await;
                return Ok(SessionEnd::Shutdown);
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > policy.idle_timeout {
                    return Err(format!("nothing heard for {}s", last_heard.elapsed().as_secs()));
                }
                outgoing.send(make_ping()).await.map_err(|e| format!("ping failed: {e}"))?;
            }
            frame = incoming.next() => {
                last_heard = Instant::now();
                let text = match frame {
                    None => return Err("the server closed the connection".into()),
                    Some(Err(e)) => return Err(format!("WebSocket error: {e}")),
                    Some(Ok(Message::Close(_))) => return Err("the server closed the connection".into()),
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(_)) => continue,
                };
                let step = on_text(text.as_str());
                for reply in step.replies {
                    outgoing.send(Message::Text(reply.into())).await.map_err(|e| format!("send failed: {e}"))?;
                }
                if step.healthy {
                    backoff.reset();
                    backoff.set_connected(true);
                }
                if step.reconnect {
                    let _ = outgoing.send(Message::Close(None)).await;
                    return Ok(SessionEnd::Reconnect);
                }
            }
        }
    }
}

/// Resolves once shutdown was asked for (never, if the handle is gone without asking).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    loop {
        let asked = *stop.borrow_and_update();
        if asked {
            return;
        }
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Capped exponential backoff, shared between the loop and the session that resets it; it also carries whether
/// the session is connected, which the session knows and the handle reports.
#[derive(Clone)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    next: std::sync::Arc<std::sync::Mutex<Duration>>,
    connected: std::sync::Arc<std::sync::atomic::AtomicBool>,
    client: &'static str,
}

impl Backoff {
    fn new(policy: &ReconnectPolicy, client: &'static str) -> Self {
        Backoff {
            initial: policy.initial_backoff,
            max: policy.max_backoff,
            next: std::sync::Arc::new(std::sync::Mutex::new(policy.initial_backoff)),
            connected: Default::default(),
            client,
        }
    }

    /// Records the connection state, also as the `lookerbot_slack_connected` gauge.
    fn set_connected(&self, up: bool) {
        self.connected.store(up, std::sync::atomic::Ordering::Relaxed);
        metrics::gauge!("lookerbot_slack_connected", "client" => self.client).set(if up { 1.0 } else { 0.0 });
    }

    /// The wait to use now; the one after is twice as long, up to the cap.
    pub fn next(&self) -> Duration {
        let mut next = self.next.lock().expect("backoff lock");
        let wait = *next;
        *next = (*next * 2).min(self.max);
        wait
    }

    pub fn reset(&self) {
        *self.next.lock().expect("backoff lock") = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let policy = ReconnectPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            ..Default::default()
        };
        let backoff = Backoff::new(&policy, "test");
        let waits: Vec<u128> = (0..4).map(|_| backoff.next().as_millis()).collect();
        assert_eq!(waits, vec![100, 200, 350, 350]);
        backoff.reset();
        assert_eq!(backoff.next(), Duration::from_millis(100));
    }
}
