//! The HTTP routes of the simulator.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get, post};

use crate::records::HandlerSpan;
use crate::shared::{Shared, lock};
use crate::{api, response_url, socket, upload};

/// Most handler spans kept; the oldest half goes when full, so a long-running simulator stays small.
const MAX_SPANS: usize = 200_000;

/// Largest request body accepted (uploads included).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/{method}", any(api::endpoint))
        .route("/upload/{file_id}", post(upload::endpoint))
        .route("/response/{id}", post(response_url::endpoint))
        .route("/link/", get(socket::socket_mode_endpoint))
        .route("/rtm/", get(socket::rtm_endpoint))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(shared.clone(), record_span))
        .with_state(shared)
}

/// Records how long the simulator took to answer, under the name of what was called.
async fn record_span(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let path = request.uri().path();
    let name = if let Some(method) = path.strip_prefix("/api/") {
        method.to_owned()
    } else if path.starts_with("/response/") {
        "response_url".to_owned()
    } else if path.starts_with("/upload/") {
        "file_upload".to_owned()
    } else {
        path.to_owned()
    };
    let response = next.run(request).await;
    let span = HandlerSpan {
        name,
        start,
        end: Instant::now(),
    };
    let mut records = lock(&shared.records);
    if records.spans.len() >= MAX_SPANS {
        records.spans.drain(..MAX_SPANS / 2);
    }
    records.spans.push(span);
    drop(records);
    shared.span_recorded.send_modify(|count| *count += 1);
    response
}
