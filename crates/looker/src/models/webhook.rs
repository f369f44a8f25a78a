//! What Looker sends to the bot: scheduled-plan webhooks and Action API requests (see WEBHOOKS_AND_ACTIONS.md).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Query, id_string};

/// `scheduled_plan` of a webhook. Its ids are numbers in webhooks (strings in the API); both are read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScheduledPlan {
    #[serde(deserialize_with = "id_string")]
    pub scheduled_plan_id: Option<String>,
    pub title: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub url: Option<String>,
    #[serde(deserialize_with = "id_string")]
    pub query_id: Option<String>,
    pub query: Option<Query>,
    pub filters_differ_from_look: Option<bool>,
    pub download_url: Option<String>,
}

/// The body of a webhook or Action API execute request (`DataWebhookPayload`). Its `attachment` (the content Looker
/// rendered, up to megabytes of Base64) is not kept: the bot runs the plan's query itself, so it is skipped unread.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookPayload {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub scheduled_plan: Option<ScheduledPlan>,
    pub data: Option<Map<String, Value>>,
    pub form_params: Option<Map<String, Value>>,
}

impl WebhookPayload {
    /// A parameter from `form_params`, else from `data` (the original's order): `Ok(None)` when absent,
    /// `Err` when present but not a string.
    pub fn param(&self, name: &str) -> Result<Option<String>, String> {
        let value = self
            .form_params
            .as_ref()
            .and_then(|p| p.get(name))
            .filter(|v| !v.is_null())
            .or_else(|| self.data.as_ref().and_then(|d| d.get(name)).filter(|v| !v.is_null()));
        match value {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("{name} must be a string.")),
        }
    }
}
