//! Render tasks: Looker drawing a query, Look or dashboard as an image.

use serde::{Deserialize, Serialize};

use super::id_string;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RenderTask {
    #[serde(deserialize_with = "id_string")]
    pub id: Option<String>,
    pub status: Option<String>,
    pub status_detail: Option<String>,
    pub result_format: Option<String>,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

impl RenderTask {
    pub fn is_success(&self) -> bool {
        self.status.as_deref() == Some("success")
    }

    pub fn is_failure(&self) -> bool {
        self.status.as_deref() == Some("failure")
    }
}

/// `CreateDashboardRenderTask`: the body of a dashboard render task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateDashboardRenderTask {
    /// Filters in URL query format (`State=California&Status=complete`).
    pub dashboard_filters: String,
    /// `tiled` or `single_column`.
    pub dashboard_style: String,
}

/// What `render_task_results` gave.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderResult {
    /// Not finished: ask again after this many seconds (Looker's `Retry-After`).
    NotReady {
        retry_after_secs: u64,
    },
    Ready(bytes::Bytes),
}
