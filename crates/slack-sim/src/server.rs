//! The HTTP routes of the simulator.

use std::sync::Arc;

use axum::Router;
use axum::routing::{any, get, post};

use crate::shared::Shared;
use crate::{api, response_url, socket, upload};

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
        .with_state(shared)
}
