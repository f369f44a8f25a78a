//! The Looker API operations lookerbot uses (see `ENDPOINTS.md` of the specs), one typed method each.

use reqwest::{Method, StatusCode, header};
use serde_json::Value;

use crate::client::{Body, LookerClient, MAX_IMAGE_ANSWER, Speed, read_capped};
use crate::error::LookerError;
use crate::models::*;

/// Encodes an id for a path segment (ids are opaque strings in API 4.0).
pub(crate) fn seg(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Body, LookerError> {
    serde_json::to_value(value)
        .map(Body::Json)
        .map_err(|e| LookerError::Setup(format!("cannot encode the request: {e}")))
}

/// Filters of `search_looks` and `search_dashboards`.
#[derive(Debug, Clone, Default)]
pub struct ContentSearch {
    /// Title match; Looker treats `%` as a wildcard and matches case-insensitively.
    pub title: Option<String>,
    pub folder_id: Option<String>,
    pub limit: Option<u32>,
}

impl ContentSearch {
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![("deleted", "false".to_string())];
        if let Some(title) = &self.title {
            params.push(("title", title.clone()));
        }
        if let Some(folder) = &self.folder_id {
            params.push(("folder_id", folder.clone()));
        }
        if let Some(limit) = self.limit {
            params.push(("limit", limit.to_string()));
        }
        params
    }
}

impl LookerClient {
    /// Looker users with this email (`search_users`; needs an admin or `see_users`). Looker compares emails
    /// case-insensitively; so does the caller.
    pub async fn users_with_email(&self, email: &str) -> Result<Vec<User>, LookerError> {
        let query = [
            ("email", email.to_owned()),
            ("fields", "id,display_name,email,is_disabled,role_ids".to_owned()),
        ];
        self.call_json(
            "search_users",
            Method::GET,
            "users/search",
            &query,
            Body::None,
            Speed::Normal,
        )
        .await
    }

    /// The bot's own Looker user (`GET /user`).
    pub async fn me(&self) -> Result<User, LookerError> {
        self.call_json("me", Method::GET, "user", &[], Body::None, Speed::Normal)
            .await
    }

    pub async fn look(&self, look_id: &str) -> Result<Look, LookerError> {
        self.call_json(
            "look",
            Method::GET,
            &format!("looks/{}", seg(look_id)),
            &[],
            Body::None,
            Speed::Normal,
        )
        .await
    }

    pub async fn search_looks(&self, search: &ContentSearch) -> Result<Vec<Look>, LookerError> {
        self.call_json(
            "search_looks",
            Method::GET,
            "looks/search",
            &search.params(),
            Body::None,
            Speed::Normal,
        )
        .await
    }

    pub async fn dashboard(&self, dashboard_id: &str) -> Result<Dashboard, LookerError> {
        let path = format!("dashboards/{}", seg(dashboard_id));
        self.call_json("dashboard", Method::GET, &path, &[], Body::None, Speed::Normal)
            .await
    }

    pub async fn search_dashboards(&self, search: &ContentSearch) -> Result<Vec<Dashboard>, LookerError> {
        let params = search.params();
        self.call_json(
            "search_dashboards",
            Method::GET,
            "dashboards/search",
            &params,
            Body::None,
            Speed::Normal,
        )
        .await
    }

    pub async fn folder(&self, folder_id: &str) -> Result<Folder, LookerError> {
        self.call_json(
            "folder",
            Method::GET,
            &format!("folders/{}", seg(folder_id)),
            &[],
            Body::None,
            Speed::Normal,
        )
        .await
    }

    pub async fn folder_children(&self, folder_id: &str) -> Result<Vec<Folder>, LookerError> {
        let path = format!("folders/{}/children", seg(folder_id));
        self.call_json("folder_children", Method::GET, &path, &[], Body::None, Speed::Normal)
            .await
    }

    pub async fn folder_dashboards(&self, folder_id: &str) -> Result<Vec<Dashboard>, LookerError> {
        let path = format!("folders/{}/dashboards", seg(folder_id));
        self.call_json("folder_dashboards", Method::GET, &path, &[], Body::None, Speed::Normal)
            .await
    }

    pub async fn folder_looks(&self, folder_id: &str) -> Result<Vec<Look>, LookerError> {
        let path = format!("folders/{}/looks", seg(folder_id));
        self.call_json("folder_looks", Method::GET, &path, &[], Body::None, Speed::Normal)
            .await
    }

    pub async fn query(&self, query_id: &str) -> Result<Query, LookerError> {
        self.call_json(
            "query",
            Method::GET,
            &format!("queries/{}", seg(query_id)),
            &[],
            Body::None,
            Speed::Normal,
        )
        .await
    }

    /// The query behind a share link (`/x/<slug>`).
    pub async fn query_for_slug(&self, slug: &str) -> Result<Query, LookerError> {
        let path = format!("queries/slug/{}", seg(slug));
        self.call_json("query_for_slug", Method::GET, &path, &[], Body::None, Speed::Normal)
            .await
    }

    /// Creates a query; pass [`Query::to_new_query`] of an existing one to change its filters.
    pub async fn create_query(&self, query: &Query) -> Result<Query, LookerError> {
        self.call_json(
            "create_query",
            Method::POST,
            "queries",
            &[],
            to_json(query)?,
            Speed::Normal,
        )
        .await
    }

    /// Runs a saved query as `json_detail`, with Looker's formatting (rendered values) and drill links.
    pub async fn run_query(&self, query_id: &str) -> Result<QueryResult, LookerError> {
        self.run_query_rows(query_id, None).await
    }

    /// [`LookerClient::run_query`] asking for at most `limit` rows (overriding the query's own limit).
    pub async fn run_query_rows(&self, query_id: &str, limit: Option<u32>) -> Result<QueryResult, LookerError> {
        let path = format!("queries/{}/run/json_detail", seg(query_id));
        let mut params = vec![
            ("apply_formatting", "true".to_string()),
            ("generate_drill_links", "true".to_string()),
        ];
        params.extend(limit.map(|limit| ("limit", limit.to_string())));
        self.call_json("run_query", Method::GET, &path, &params, Body::None, Speed::Query)
            .await
    }

    /// Runs a saved query as a PNG chart of the given size.
    pub async fn run_query_png(&self, query_id: &str, width: u32, height: u32) -> Result<bytes::Bytes, LookerError> {
        let path = format!("queries/{}/run/png", seg(query_id));
        let params = [("image_width", width.to_string()), ("image_height", height.to_string())];
        let response = self
            .call("run_query", Method::GET, &path, &params, Body::None, Speed::Query)
            .await?;
        read_capped("run_query", response, MAX_IMAGE_ANSWER).await
    }

    /// Runs a query given in full, without saving it first.
    pub async fn run_inline_query(&self, query: &Query) -> Result<QueryResult, LookerError> {
        let params = [
            ("apply_formatting", "true".to_string()),
            ("generate_drill_links", "true".to_string()),
        ];
        let body = to_json(&query.to_new_query())?;
        self.call_json(
            "run_inline_query",
            Method::POST,
            "queries/run/json_detail",
            &params,
            body,
            Speed::Query,
        )
        .await
    }

    pub async fn run_look(&self, look_id: &str) -> Result<QueryResult, LookerError> {
        let path = format!("looks/{}/run/json_detail", seg(look_id));
        let params = [
            ("apply_formatting", "true".to_string()),
            ("generate_drill_links", "true".to_string()),
        ];
        self.call_json("run_look", Method::GET, &path, &params, Body::None, Speed::Query)
            .await
    }

    pub async fn create_query_render_task(
        &self,
        query_id: &str,
        width: u32,
        height: u32,
    ) -> Result<RenderTask, LookerError> {
        let path = format!("render_tasks/queries/{}/png", seg(query_id));
        let params = [("width", width.to_string()), ("height", height.to_string())];
        self.call_json(
            "create_query_render_task",
            Method::POST,
            &path,
            &params,
            Body::None,
            Speed::Normal,
        )
        .await
    }

    pub async fn create_dashboard_render_task(
        &self,
        dashboard_id: &str,
        width: u32,
        height: u32,
        body: &CreateDashboardRenderTask,
    ) -> Result<RenderTask, LookerError> {
        let path = format!("render_tasks/dashboards/{}/png", seg(dashboard_id));
        let params = [("width", width.to_string()), ("height", height.to_string())];
        self.call_json(
            "create_dashboard_render_task",
            Method::POST,
            &path,
            &params,
            to_json(body)?,
            Speed::Normal,
        )
        .await
    }

    pub async fn render_task(&self, render_task_id: &str) -> Result<RenderTask, LookerError> {
        let path = format!("render_tasks/{}", seg(render_task_id));
        self.call_json("render_task", Method::GET, &path, &[], Body::None, Speed::Normal)
            .await
    }

    /// The image of a finished render task, or how long to wait (Looker answers 202 with `Retry-After`).
    pub async fn render_task_results(&self, render_task_id: &str) -> Result<RenderResult, LookerError> {
        let path = format!("render_tasks/{}/results", seg(render_task_id));
        let response = self
            .call("render_task_results", Method::GET, &path, &[], Body::None, Speed::Query)
            .await?;
        if response.status() == StatusCode::ACCEPTED {
            let retry_after_secs = response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(1);
            return Ok(RenderResult::NotReady { retry_after_secs });
        }
        let bytes = read_capped("render_task_results", response, MAX_IMAGE_ANSWER).await?;
        Ok(RenderResult::Ready(bytes))
    }

    /// Runs a data action on the bot's behalf (`action` is the link from a query result, untouched).
    pub async fn perform_data_action(&self, request: &DataActionRequest) -> Result<DataActionResponse, LookerError> {
        self.call_json(
            "perform_data_action",
            Method::POST,
            "data_actions",
            &[],
            to_json(request)?,
            Speed::Query,
        )
        .await
    }

    pub async fn fetch_remote_data_action_form(
        &self,
        values: &std::collections::BTreeMap<String, String>,
    ) -> Result<DataActionForm, LookerError> {
        let body = to_json(values)?;
        self.call_json(
            "fetch_remote_data_action_form",
            Method::POST,
            "data_actions/form",
            &[],
            body,
            Speed::Normal,
        )
        .await
    }

    /// An explore's fields with their labels (`lookml_model_explore`).
    pub async fn lookml_model_explore(&self, model: &str, explore: &str) -> Result<LookmlModelExplore, LookerError> {
        let path = format!("lookml_models/{}/explores/{}", seg(model), seg(explore));
        self.get_typed("lookml_model_explore", &path).await
    }

    /// The values Looker suggests for `field` of `explore` (`model_fieldname_suggestions`).
    pub async fn field_suggestions(
        &self,
        model: &str,
        explore: &str,
        field: &str,
    ) -> Result<ModelFieldSuggestions, LookerError> {
        let (model, explore, field) = (seg(model), seg(explore), seg(field));
        let path = format!("models/{model}/views/{explore}/fields/{field}/suggestions");
        self.get_typed("model_fieldname_suggestions", &path).await
    }

    /// A plain `GET` of a JSON resource without parameters.
    async fn get_typed<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        operation: &'static str,
        path: &str,
    ) -> Result<T, LookerError> {
        self.call_json(operation, Method::GET, path, &[], Body::None, Speed::Normal)
            .await
    }

    /// Any JSON operation not covered above, for diagnostics (`check`).
    pub async fn get_json(&self, operation: &'static str, path: &str) -> Result<Value, LookerError> {
        self.call_json(operation, Method::GET, path, &[], Body::None, Speed::Normal)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::seg;

    #[test]
    fn ids_are_encoded_for_paths() {
        assert_eq!(seg("42"), "42");
        assert_eq!(seg("thelook::orders"), "thelook::orders");
        assert_eq!(seg("a/b c"), "a%2Fb%20c");
    }
}
