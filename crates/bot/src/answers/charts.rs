//! Charts and dashboards as PNG images, drawn by Looker through render tasks.

use std::time::{Duration, Instant};

use looker::models::{CreateDashboardRenderTask, RenderResult, RenderTask};
use looker::{LookerClient, LookerError};

/// Image size and patience for renders.
#[derive(Debug, Clone, Copy)]
pub struct RenderSettings {
    pub width: u32,
    pub height: u32,
    /// First wait between polls of a render task; doubles up to 2 s.
    pub poll_interval: Duration,
    /// How long a render may take before the bot gives up.
    pub timeout: Duration,
}

impl Default for RenderSettings {
    fn default() -> Self {
        RenderSettings {
            width: 1200,
            height: 800,
            poll_interval: Duration::from_millis(250),
            timeout: Duration::from_secs(180),
        }
    }
}

/// Why there is no image.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RenderError {
    #[error(
        "Looker returned an empty image. On older Lookers, the \"PDF Download & Scheduling and Scheduled \
         Visualizations\" Labs feature must be enabled for chart images."
    )]
    Empty,
    #[error("Looker could not render the image: {0}")]
    Failed(String),
    #[error("Looker did not finish rendering the image within {0} seconds.")]
    TimedOut(u64),
    #[error("{0}")]
    Looker(#[from] LookerError),
}

impl From<RenderError> for crate::failure::Failure {
    fn from(e: RenderError) -> Self {
        let retryable = match &e {
            RenderError::Looker(inner) => inner.is_retryable(),
            RenderError::TimedOut(_) => true,
            RenderError::Empty | RenderError::Failed(_) => false,
        };
        if retryable {
            crate::failure::Failure::retryable(e.to_string())
        } else {
            crate::failure::Failure::permanent(e.to_string())
        }
    }
}

/// A query's chart as PNG: a render task, or `run/png` where render tasks are not available.
pub async fn render_query(
    client: &LookerClient,
    query_id: &str,
    settings: &RenderSettings,
) -> Result<Vec<u8>, RenderError> {
    let png = match client
        .create_query_render_task(query_id, settings.width, settings.height)
        .await
    {
        Ok(task) => finish(client, task, settings).await?,
        Err(e) if matches!(e.status(), Some(404 | 405 | 501)) => {
            tracing::info!("render tasks unavailable ({e}); falling back to run/png");
            client
                .run_query_png(query_id, settings.width, settings.height)
                .await?
                .to_vec()
        }
        Err(e) => return Err(e.into()),
    };
    non_empty(png)
}

/// A whole dashboard as PNG, with its filters applied (`filters` in URL query form: `State=Texas`).
pub async fn render_dashboard(
    client: &LookerClient,
    dashboard_id: &str,
    filters: &str,
    settings: &RenderSettings,
) -> Result<Vec<u8>, RenderError> {
    let body = CreateDashboardRenderTask {
        dashboard_filters: filters.to_string(),
        dashboard_style: "tiled".into(),
    };
    let task = client
        .create_dashboard_render_task(dashboard_id, settings.width, settings.height, &body)
        .await?;
    non_empty(finish(client, task, settings).await?)
}

fn non_empty(png: Vec<u8>) -> Result<Vec<u8>, RenderError> {
    if png.is_empty() {
        Err(RenderError::Empty)
    } else {
        Ok(png)
    }
}

/// Polls a render task until it is done, then fetches its image (waiting out `202 Retry-After`).
async fn finish(
    client: &LookerClient,
    mut task: RenderTask,
    settings: &RenderSettings,
) -> Result<Vec<u8>, RenderError> {
    let id = task
        .id
        .clone()
        .ok_or_else(|| RenderError::Failed("the render task has no id".into()))?;
    let started = Instant::now();
    let mut wait = settings.poll_interval;
    let give_up = |started: Instant| started.elapsed() > settings.timeout;
    while !task.is_success() {
        if task.is_failure() {
            let detail = task.status_detail.unwrap_or_else(|| "no details given".into());
            return Err(RenderError::Failed(detail));
        }
        if give_up(started) {
            return Err(RenderError::TimedOut(settings.timeout.as_secs()));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(2));
        task = client.render_task(&id).await?;
    }
    loop {
        match client.render_task_results(&id).await? {
            RenderResult::Ready(bytes) => return Ok(bytes.to_vec()),
            RenderResult::NotReady { retry_after_secs } => {
                if give_up(started) {
                    return Err(RenderError::TimedOut(settings.timeout.as_secs()));
                }
                tokio::time::sleep(Duration::from_secs(retry_after_secs.clamp(1, 10))).await;
            }
        }
    }
}
