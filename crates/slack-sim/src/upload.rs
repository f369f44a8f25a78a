//! `POST /upload/{file_id}`: the upload URL handed out by files.getUploadURLExternal. Takes the raw bytes or a
//! multipart form whose file part holds them; the byte count must match the `length` announced earlier.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::multipart;
use crate::shared::{Shared, lock};

/// Fault-injection name of this endpoint for [`crate::SlackSim::fail`] and [`crate::SlackSim::rate_limit`].
pub const FAULT_NAME: &str = "file_upload";

pub async fn endpoint(
    State(shared): State<Arc<Shared>>,
    Path(file_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.apply_latency().await;
    if let Some(fault) = shared.take_fault(FAULT_NAME) {
        return crate::api::fault_response(fault, FAULT_NAME);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bytes = if content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
        let Some(parts) = multipart::parse(content_type, &body) else {
            return (StatusCode::BAD_REQUEST, "slack-sim: unreadable multipart body").into_response();
        };
        let file_part = parts
            .iter()
            .position(|p| p.filename.is_some() || p.name.as_deref() == Some("file"));
        match file_part.or(if parts.is_empty() { None } else { Some(0) }) {
            Some(i) => parts.into_iter().nth(i).map(|p| p.body).unwrap_or_default(),
            None => {
                return (StatusCode::BAD_REQUEST, "slack-sim: multipart body has no parts").into_response();
            }
        }
    } else {
        body.to_vec()
    };
    let mut uploads = lock(&shared.uploads);
    let Some(pending) = uploads.get_mut(&file_id) else {
        return (
            StatusCode::NOT_FOUND,
            format!("slack-sim: {file_id} was not issued by files.getUploadURLExternal"),
        )
            .into_response();
    };
    if bytes.len() as u64 != pending.length {
        let message = format!(
            "slack-sim: got {} bytes for {file_id} but files.getUploadURLExternal announced length={}",
            bytes.len(),
            pending.length
        );
        return (StatusCode::BAD_REQUEST, message).into_response();
    }
    let size = bytes.len();
    pending.bytes = Some(bytes);
    (StatusCode::OK, format!("OK - {size}")).into_response()
}
