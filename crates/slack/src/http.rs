//! The HTTP endpoints Slack calls: slash commands, interactive payloads and Events API callbacks.
//!
//! Every request is verified before it is parsed (signing secret, else the legacy token). Slack wants an answer
//! within 3 seconds, so the work runs in a spawned task and replies go out through the Web API or `response_url`.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;

pub use crate::dedupe::{EventDedupe, MemoryDedupe};
use crate::inbound::{InboundEvent, InboundHandler, InboundParser, Parsed, Transport, interactive_payload};
use crate::verify::{SIGNATURE_HEADER, SigningVerifier, TIMESTAMP_HEADER, Verification, verify_token};

/// The original bot's answer to a slash command when it has no way to verify requests.
pub const NOT_CONFIGURED_MESSAGE: &str =
    "This bot cannot accept slash commands until `SLACK_SLASH_COMMAND_TOKEN` is configured.";

/// Largest body accepted (Slack's own payloads are far smaller); larger ones get 413.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Everything the endpoints need.
#[derive(Clone)]
pub struct SlackHttp {
    verification: Verification,
    parser: InboundParser,
    handler: Arc<dyn InboundHandler>,
    dedupe: Arc<dyn EventDedupe>,
    clock: Arc<dyn Fn() -> i64 + Send + Sync>,
    body_limit: usize,
}

impl SlackHttp {
    pub fn new(verification: Verification, parser: InboundParser, handler: Arc<dyn InboundHandler>) -> Self {
        SlackHttp {
            verification,
            parser,
            handler,
            dedupe: Arc::new(MemoryDedupe::new(Duration::from_secs(60 * 60))),
            clock: Arc::new(unix_now),
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// Where handled event ids are remembered (a durable store survives restarts).
    pub fn with_dedupe(mut self, dedupe: Arc<dyn EventDedupe>) -> Self {
        self.dedupe = dedupe;
        self
    }

    /// The clock signatures are checked against (Unix seconds); for tests.
    pub fn with_clock(mut self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The routes, for the server to merge: `/slack/receive`, `/slack/events`, `/slack/event`, `/slack/action`.
    /// With a signing secret, a request whose signature headers are missing, malformed or stale is refused before
    /// its body is read.
    pub fn router(self) -> Router {
        self.router_with(|routes| routes)
    }

    /// [`SlackHttp::router`] with `stage` (the server's slots and body reading) between the header check and the
    /// handlers: a request refused from its headers takes no slot and has no body read.
    pub fn router_with(self, stage: impl FnOnce(Router<Arc<SlackHttp>>) -> Router<Arc<SlackHttp>>) -> Router {
        let limit = self.body_limit;
        let state = Arc::new(self);
        let routes = Router::new()
            .route("/slack/receive", post(receive))
            .route("/slack/events", post(receive))
            .route("/slack/event", post(receive))
            .route("/slack/action", post(receive))
            .layer(DefaultBodyLimit::max(limit));
        stage(routes)
            .route_layer(middleware::from_fn_with_state(state.clone(), refuse_unsigned))
            .with_state(state)
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// What a body is, judged from its content type and fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Events,
    Interactive,
    SlashCommand,
    Unknown,
}

fn classify(headers: &HeaderMap, body: &[u8]) -> BodyKind {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let looks_json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if content_type.starts_with("application/json") || (content_type.is_empty() && looks_json) {
        return BodyKind::Events;
    }
    let Ok(fields) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) else {
        return BodyKind::Unknown;
    };
    if fields.iter().any(|(k, _)| k == "payload") {
        BodyKind::Interactive
    } else if fields.iter().any(|(k, _)| k == "command") {
        BodyKind::SlashCommand
    } else {
        BodyKind::Unknown
    }
}

/// The legacy verification token a body carries (a form field, or a field of the JSON or payload JSON).
fn body_token(kind: BodyKind, body: &[u8]) -> Option<String> {
    let json = match kind {
        BodyKind::Events => serde_json::from_slice::<Value>(body).ok(),
        BodyKind::Interactive => interactive_payload(body).ok(),
        BodyKind::SlashCommand | BodyKind::Unknown => {
            let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
            return fields.into_iter().find(|(k, _)| k == "token").map(|(_, v)| v);
        }
    };
    json.and_then(|j| j["token"].as_str().map(str::to_string))
}

fn text_response(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message.into(),
    )
        .into_response()
}

/// The header part of the signature check, before the body is read (the rest is in [`receive`]).
async fn refuse_unsigned(State(state): State<Arc<SlackHttp>>, request: Request, next: Next) -> Response {
    if let Verification::SigningSecret(_) = &state.verification {
        let header_text = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
        let checked = SigningVerifier::check_headers(
            header_text(TIMESTAMP_HEADER),
            header_text(SIGNATURE_HEADER),
            (state.clock)(),
        );
        if let Err(error) = checked {
            tracing::warn!(%error, "refused a request that does not verify as Slack's");
            return text_response(StatusCode::UNAUTHORIZED, error.to_string());
        }
    }
    next.run(request).await
}

async fn receive(State(state): State<Arc<SlackHttp>>, headers: HeaderMap, body: Bytes) -> Response {
    // Only the legacy token and the "not configured" answer need the body read before it is verified.
    let verified = match &state.verification {
        Verification::SigningSecret(verifier) => {
            let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
            verifier.verify(
                header_text(TIMESTAMP_HEADER),
                header_text(SIGNATURE_HEADER),
                &body,
                (state.clock)(),
            )
        }
        Verification::Token(expected) => {
            verify_token(expected, body_token(classify(&headers, &body), &body).as_deref())
        }
        Verification::None if classify(&headers, &body) == BodyKind::SlashCommand => {
            return text_response(StatusCode::OK, NOT_CONFIGURED_MESSAGE);
        }
        Verification::None => {
            return text_response(
                StatusCode::UNAUTHORIZED,
                "Slack request verification is not configured: set SLACK_SIGNING_SECRET (or SLACK_SLASH_COMMAND_TOKEN)",
            );
        }
    };
    if let Err(error) = verified {
        tracing::warn!(%error, "refused a request that does not verify as Slack's");
        return text_response(StatusCode::UNAUTHORIZED, error.to_string());
    }
    match classify(&headers, &body) {
        BodyKind::Events => events(&state, &headers, &body).await,
        BodyKind::Interactive => match state.parser.interactive_form(&body) {
            Ok(parsed) => dispatch(&state, parsed).await,
            Err(error) => text_response(StatusCode::BAD_REQUEST, error.to_string()),
        },
        BodyKind::SlashCommand => match state.parser.slash_command_form(&body) {
            Ok(event) => {
                spawn_handler(&state, event);
                StatusCode::OK.into_response()
            }
            Err(error) => text_response(StatusCode::BAD_REQUEST, error.to_string()),
        },
        BodyKind::Unknown => text_response(
            StatusCode::BAD_REQUEST,
            "malformed Slack request: expected a slash command, an interactive payload or an Events API JSON body",
        ),
    }
}

async fn events(state: &SlackHttp, headers: &HeaderMap, body: &[u8]) -> Response {
    let json: Value = match serde_json::from_slice(body) {
        Ok(json) => json,
        Err(error) => {
            return text_response(
                StatusCode::BAD_REQUEST,
                format!("malformed Slack request: body is not JSON: {error}"),
            );
        }
    };
    let retry_num = headers
        .get("x-slack-retry-num")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    match state.parser.events_api(&json, retry_num, Transport::Http) {
        Ok(Parsed::UrlVerification { challenge }) => text_response(StatusCode::OK, challenge),
        Ok(parsed) => dispatch(state, parsed).await,
        Err(error) => text_response(StatusCode::BAD_REQUEST, error.to_string()),
    }
}

async fn dispatch(state: &SlackHttp, parsed: Parsed) -> Response {
    match parsed {
        Parsed::Event(event) => {
            if let Some(id) = &event.context.event_id
                && !state.dedupe.first_sighting(id, event.context.is_redelivery()).await
            {
                tracing::debug!(event_id = %id, "redelivered event acknowledged, not handled again");
                return StatusCode::OK.into_response();
            }
            spawn_handler(state, *event);
        }
        Parsed::Ignored(why) => tracing::trace!(why, "Slack request ignored"),
        Parsed::UrlVerification { challenge } => return text_response(StatusCode::OK, challenge),
    }
    StatusCode::OK.into_response()
}

fn spawn_handler(state: &SlackHttp, event: InboundEvent) {
    let handler = state.handler.clone();
    tokio::spawn(async move { handler.handle(event).await });
}
