//! What a client ran for one request (Looks, dashboards and queries by id, searches, data actions), for the audit
//! line: ids and kinds only, never data, filters or tokens.

use std::sync::{Arc, Mutex};

use crate::error::LookerError;

/// Most entries kept: a request runs a handful of things; a long list says nothing more.
const MAX_ENTRIES: usize = 20;

/// Shared by the clients of one request; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Journal(Arc<Mutex<Entries>>);

#[derive(Debug, Default)]
struct Entries {
    ran: Vec<String>,
    refusals: usize,
    failed: bool,
}

/// How the calls of a request went, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallsOutcome {
    /// Looker refused the acting user (no access, or the account is gone).
    Refused,
    /// Some call failed otherwise (Looker down, a bad answer).
    Failed,
    /// Every call worked (or none was made).
    Succeeded,
}

impl Journal {
    /// Notes one call: what it touched (when it names content) and whether Looker refused it.
    pub(crate) fn record<T>(&self, operation: &str, path: &str, result: &Result<T, LookerError>) {
        let mut entries = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(label) = label(operation, path)
            && entries.ran.len() < MAX_ENTRIES
            && !entries.ran.contains(&label)
        {
            entries.ran.push(label);
        }
        match result {
            Err(e) if e.is_refusal_of_user() => entries.refusals += 1,
            Err(_) => entries.failed = true,
            Ok(_) => {}
        }
    }

    /// What was run, in order, each once: `look 12`, `dashboard 3`, `query 40`, `search`, `data action`.
    pub fn ran(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).ran.clone()
    }

    /// How many calls Looker refused to the acting user so far.
    pub fn refusals(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).refusals
    }

    pub fn outcome(&self) -> CallsOutcome {
        let entries = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if entries.refusals > 0 {
            CallsOutcome::Refused
        } else if entries.failed {
            CallsOutcome::Failed
        } else {
            CallsOutcome::Succeeded
        }
    }
}

/// The content a call names: the first `looks/ID`, `dashboards/ID` or `queries/ID` of its path (share slugs are
/// left out), searches and data actions by kind.
fn label(operation: &str, path: &str) -> Option<String> {
    if operation == "perform_data_action" {
        return Some("data action".into());
    }
    if operation.starts_with("search_") {
        return Some("search".into());
    }
    let segments: Vec<&str> = path.split('/').collect();
    segments.windows(2).find_map(|pair| {
        let kind = match pair[0] {
            "looks" => "look",
            "dashboards" => "dashboard",
            "queries" if pair[1] != "slug" => "query",
            _ => return None,
        };
        Some(format!("{kind} {}", pair[1]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_content_by_id_only() {
        assert_eq!(
            label("run_look", "looks/12/run/json_detail").as_deref(),
            Some("look 12")
        );
        assert_eq!(
            label("create_query_render_task", "render_tasks/queries/40/png").as_deref(),
            Some("query 40")
        );
        assert_eq!(label("dashboard", "dashboards/7").as_deref(), Some("dashboard 7"));
        assert_eq!(label("query_for_slug", "queries/slug/AbC"), None);
        assert_eq!(label("folder_looks", "folders/3/looks"), None);
        assert_eq!(label("search_looks", "looks/search").as_deref(), Some("search"));
        assert_eq!(
            label("perform_data_action", "data_actions").as_deref(),
            Some("data action")
        );
    }

    #[test]
    fn the_worst_outcome_wins_and_entries_are_listed_once() {
        let journal = Journal::default();
        assert_eq!(journal.outcome(), CallsOutcome::Succeeded);
        journal.record::<()>("look", "looks/1", &Ok(()));
        journal.record::<()>(
            "run_look",
            "looks/1/run/json_detail",
            &Err(LookerError::Setup("x".into())),
        );
        assert_eq!(journal.outcome(), CallsOutcome::Failed);
        let refused = LookerError::UserGone { user_id: "2".into() };
        journal.record::<()>("run_query", "queries/5/run/json_detail", &Err(refused));
        assert_eq!(journal.outcome(), CallsOutcome::Refused);
        assert_eq!(journal.ran(), ["look 1", "query 5"]);
    }
}
