//! Render tasks: created, then advancing one status per poll (or every 100 ms) until the image is ready.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Looker's status sequence for a render task.
const STATUSES: [&str; 4] = ["enqueued_for_query", "querying", "rendering", "success"];
/// A task advances one status at least this often, even if nobody polls it.
const STEP: Duration = Duration::from_millis(100);

/// What a task renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Query(String),
    Look(String),
    Dashboard {
        id: String,
        filters: String,
        style: String,
    },
}

#[derive(Debug, Clone)]
pub struct Task {
    pub id: String,
    pub target: Target,
    pub format: String,
    pub width: u32,
    pub height: u32,
    created: Instant,
    created_at: String,
    polls: usize,
}

impl Task {
    fn stage(&self) -> usize {
        let by_time = (self.created.elapsed().as_millis() / STEP.as_millis()) as usize;
        by_time.max(self.polls).min(STATUSES.len() - 1)
    }

    pub fn is_done(&self) -> bool {
        self.stage() == STATUSES.len() - 1
    }

    /// The `RenderTask` resource.
    pub fn to_json(&self) -> Value {
        let status = STATUSES[self.stage()];
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
        let done = self.is_done();
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
            "status_detail": null,
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
        self.tasks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn create(&self, target: Target, format: &str, width: u32, height: u32) -> Task {
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
        };
        tasks.insert(task.id.clone(), task.clone());
        task
    }

    /// Looks a task up for `render_task`, moving it one status forward.
    pub fn poll(&self, id: &str) -> Option<Task> {
        let mut tasks = self.lock();
        let task = tasks.get_mut(id)?;
        task.polls += 1;
        Some(task.clone())
    }

    pub fn get(&self, id: &str) -> Option<Task> {
        self.lock().get(id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_advances_to_success() {
        let tasks = RenderTasks::default();
        let task = tasks.create(Target::Query("1".into()), "png", 10, 10);
        assert_eq!(task.to_json()["status"], "enqueued_for_query");
        let seen: Vec<String> = (0..4)
            .map(|_| {
                tasks.poll(&task.id).unwrap().to_json()["status"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(seen.last().unwrap(), "success");
        assert!(tasks.get(&task.id).unwrap().is_done());
        assert!(tasks.poll("nope").is_none());
    }
}
