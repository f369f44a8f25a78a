//! Data actions run through the API on the bot's behalf.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataActionRequest {
    /// The action exactly as it came in the query result's link.
    pub action: Value,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub form_values: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ValidationErrorDetail {
    pub field: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ValidationErrors {
    pub message: Option<String>,
    pub errors: Vec<ValidationErrorDetail>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataActionResponse {
    pub webhook_id: Option<String>,
    pub success: bool,
    pub refresh_query: Option<bool>,
    pub validation_errors: Option<ValidationErrors>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataActionFormField {
    pub name: String,
    pub label: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub required: Option<bool>,
    pub default: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataActionForm {
    pub fields: Vec<DataActionFormField>,
}
