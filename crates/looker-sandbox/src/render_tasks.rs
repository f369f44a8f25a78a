//! Render tasks: created, then advancing one status per poll (or every 100 ms) until the image is ready.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Looker's status sequence for a render task; the last one is `failure` instead when rendering failed.
const STATUSES: [&str; 4] = ["enqueued_for_query", "querying", "rendering", "success"];
/// A task advances one status at least this often, even if nobody polls it.
const STEP: Duration = Duration::from_millis(100);

/// What a task renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Query(String),
    Look(String),
    Dashboard { id: String, filters: String, style: String },
}

/// What a task's results endpoint hands out.
#[derive(Debug, Clone)]
pub enum TaskResult {
    NotReady,
    Image(Arc<Vec<u8>>),
    Failed(String),
}

#[derive(Debug, Clone)]
struct Task {
    pub id: String,
    pub target: Target,
    pub format: String,
    pub width: u32,
    pub height: u32,
    created: Instant,
    created_at: String,
    polls: usize,
    /// The image, rendered when the task was created, or why it could not be.
    outcome: Result<Arc<Vec<u8>>, String>,
}

impl Task {
    fn stage(&self) -> usize {
        let by_time = (self.created.elapsed().as_millis() / STEP.as_millis()) as usize;
        by_time.max(self.polls).min(STATUSES.len() - 1)
    }

    fn is_done(&self) -> bool {
        self.stage() == STATUSES.len() - 1
    }

    /// The `RenderTask` resource.
    fn to_json(&self) -> Value {
        let done = self.is_done();
        let (status, detail) = match (&self.outcome, done) {
            (Err(reason), true) => ("failure", Some(reason.as_str())),
            _ => (STATUSES[self.stage()], None),
        };
        let (query_id, look_id, dashboard_id, filters, style) = match &self.target {
            Target::Query(id) => (Some(id.as_str()), None, None, None, None),
            Target::Look(id) => (None, Some(id.as_str()), None, None, None),
            Target::Dashboard { id, filters, style } => (
                None,
                None,
                Some(id.as_str()),
                Some(filters.as_str()),
                Some(style.as_str()),
            ),
        };
        json!({
            "can": {"show": true},
            "created_at": self.created_at,
            "dashboard_filters": filters,
            "dashboard_id": dashboard_id,
            "dashboard_style": style,
            "finalized_at": done.then(|| chrono::Utc::now().to_rfc3339()),
            "height": self.height,
            "id": self.id,
            "look_id": look_id,
            "lookml_dashboard_id": null,
            "query_id": query_id,
            "dashboard_element_id": null,
            "query_runtime": done.then_some(0.01),
            "render_runtime": done.then_some(0.02),
            "result_format": self.format,
            "runtime": done.then_some(0.03),
            "status": status,
            "status_detail": detail,
            "user_id": crate::content::SANDBOX_USER_ID,
            "width": self.width,
        })
    }
}

#[derive(Debug, Default)]
pub struct RenderTasks {
    tasks: Mutex<HashMap<String, Task>>,
}

impl RenderTasks {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Task>> {
        self.tasks.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a task; returns its `RenderTask` JSON.
    pub fn create(
        &self,
        target: Target,
        format: &str,
        width: u32,
        height: u32,
        outcome: Result<Vec<u8>, String>,
    ) -> Value {
        let mut tasks = self.lock();
        let task = Task {
            id: format!("sbxrt{}", tasks.len() + 1),
            target,
            format: format.to_owned(),
            width,
            height,
            created: Instant::now(),
            created_at: chrono::Utc::now().to_rfc3339(),
            polls: 0,
            outcome: outcome.map(Arc::new),
        };
        let json = task.to_json();
        tasks.insert(task.id.clone(), task);
        json
    }

    /// The `RenderTask` JSON for `render_task`, after moving the task one status forward.
    pub fn poll(&self, id: &str) -> Option<Value> {
        let mut tasks = self.lock();
        let task = tasks.get_mut(id)?;
        task.polls += 1;
        Some(task.to_json())
    }

    pub fn result(&self, id: &str) -> Option<TaskResult> {
        let tasks = self.lock();
        let task = tasks.get(id)?;
        Some(match (&task.outcome, task.is_done()) {
            (_, false) => TaskResult::NotReady,
            (Ok(image), true) => TaskResult::Image(image.clone()),
            (Err(reason), true) => TaskResult::Failed(reason.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_advances_to_success_or_failure() {
        let tasks = RenderTasks::default();
        let ok = tasks.create(Target::Query("1".into()), "png", 10, 10, Ok(vec![1, 2]));
        assert_eq!(ok["status"], "enqueued_for_query");
        let id = ok["id"].as_str().unwrap();
        assert!(matches!(tasks.result(id), Some(TaskResult::NotReady)));
        let seen: Vec<Value> = (0..4).map(|_| tasks.poll(id).unwrap()["status"].clone()).collect();
        assert_eq!(seen.last().unwrap(), "success");
        assert!(matches!(tasks.result(id), Some(TaskResult::Image(bytes)) if *bytes == vec![1, 2]));

        let bad = tasks.create(Target::Look("2".into()), "png", 10, 10, Err("no such field".into()));
        let id = bad["id"].as_str().unwrap();
        let last = (0..4).map(|_| tasks.poll(id).unwrap()).last().unwrap();
        assert_eq!(
            (last["status"].as_str(), last["status_detail"].as_str()),
            (Some("failure"), Some("no such field"))
        );
        assert!(matches!(tasks.result(id), Some(TaskResult::Failed(_))));
        assert!(tasks.poll("nope").is_none());
    }
}
