//! Errors of the simulator's control API.

use std::time::Duration;

/// Why a push to a connected WebSocket client did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("no {kind} client connected within {waited:?}; did the client call {opener} and open the returned url?")]
    NotConnected {
        kind: &'static str,
        opener: &'static str,
        waited: Duration,
    },
    #[error("the {kind} connection closed before the frame could be delivered")]
    ConnectionClosed { kind: &'static str },
    #[error("no ack for envelope {envelope_id} within {waited:?}; the client must reply {{\"envelope_id\": ...}}")]
    AckTimeout { envelope_id: String, waited: Duration },
    #[error("envelope must be a JSON object, got: {0}")]
    InvalidEnvelope(String),
}
