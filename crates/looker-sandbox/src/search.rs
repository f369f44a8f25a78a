//! Title and id searches over saved content, with Looker's pagination parameters.

use std::collections::HashMap;

use serde_json::Value;

use crate::api::dashboard;
use crate::content::title_matches;
use crate::resources;
use crate::state::State;
use crate::users::User;

/// Whether search parameters `id`, `title`, `description`, `folder_id` (and `name`, `parent_id` for folders) all
/// match; text parameters use Looker's case-insensitive `%` patterns.
fn search_match(params: &HashMap<String, String>, fields: &[(&str, Option<&str>)]) -> bool {
    fields.iter().all(|(name, actual)| match params.get(*name) {
        None => true,
        Some(wanted) if matches!(*name, "title" | "description" | "name") => {
            actual.is_some_and(|a| title_matches(wanted, a))
        }
        Some(wanted) => actual.is_some_and(|a| wanted.split(',').any(|w| w.trim() == a)),
    })
}

/// Applies `limit` and `offset` (or `page` and `per_page`).
pub fn paginate(items: Vec<Value>, params: &HashMap<String, String>) -> Vec<Value> {
    let num = |name: &str| params.get(name).and_then(|v| v.parse::<usize>().ok());
    let (offset, limit) = match (num("per_page"), num("page")) {
        (Some(per_page), page) => (per_page * page.unwrap_or(1).saturating_sub(1), Some(per_page)),
        _ => (num("offset").unwrap_or(0), num("limit")),
    };
    items
        .into_iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .collect()
}

/// Only what `user` may see is found.
pub fn search_looks(state: &State, user: &User, params: &HashMap<String, String>) -> Vec<Value> {
    let found = state.content.looks.iter().filter(|l| {
        user.sees_folder(l.folder_id)
            && search_match(
                params,
                &[
                    ("id", Some(l.id)),
                    ("title", Some(l.title)),
                    ("description", Some(l.description)),
                    ("folder_id", Some(l.folder_id)),
                    ("query_id", Some(&l.query_id)),
                ],
            )
    });
    paginate(
        found
            .map(|l| resources::look_json(l, &state.content, &state.web_url))
            .collect(),
        params,
    )
}

/// Only what `user` may see is found.
pub fn search_dashboards(state: &State, user: &User, params: &HashMap<String, String>) -> Vec<Value> {
    let found = state.content.dashboards.iter().filter(|d| {
        let slug = format!("sbxdash{}", d.id);
        user.sees_folder(d.folder_id)
            && search_match(
                params,
                &[
                    ("id", Some(d.id)),
                    ("title", Some(d.title)),
                    ("description", Some(d.description)),
                    ("folder_id", Some(d.folder_id)),
                    ("slug", Some(&slug)),
                ],
            )
    });
    paginate(found.map(|d| dashboard(state, d)).collect(), params)
}

/// Only what `user` may see is found.
pub fn search_folders(state: &State, user: &User, params: &HashMap<String, String>) -> Vec<Value> {
    let found = state.content.folders.iter().filter(|f| {
        user.sees_folder(f.id)
            && search_match(
                params,
                &[("id", Some(f.id)), ("name", Some(f.name)), ("parent_id", f.parent_id)],
            )
    });
    paginate(
        found
            .map(|f| resources::folder_json(f, &state.content, &state.web_url))
            .collect(),
        params,
    )
}
