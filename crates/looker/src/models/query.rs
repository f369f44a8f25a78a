//! Queries and their results.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Row, id_string};

/// A Looker query (`Query` in the spec). `vis_config` and `filter_config` stay JSON: their shape depends on the
/// visualization and is only read, never built.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Query {
    #[serde(deserialize_with = "id_string", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub model: String,
    pub view: String,
    pub fields: Option<Vec<String>>,
    pub pivots: Option<Vec<String>>,
    pub fill_fields: Option<Vec<String>>,
    pub filters: Option<BTreeMap<String, String>>,
    pub filter_expression: Option<String>,
    pub sorts: Option<Vec<String>>,
    #[serde(deserialize_with = "id_string")]
    pub limit: Option<String>,
    #[serde(deserialize_with = "id_string")]
    pub column_limit: Option<String>,
    pub total: Option<bool>,
    pub row_total: Option<String>,
    pub subtotals: Option<Vec<String>>,
    pub vis_config: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_config: Option<Value>,
    pub dynamic_fields: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expanded_share_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub query_timezone: Option<String>,
}

impl Query {
    /// The visualization type (`vis_config.type`), e.g. `table`, `single_value`, `looker_column`.
    pub fn vis_type(&self) -> Option<&str> {
        self.vis_config.as_ref()?.get("type")?.as_str()
    }

    /// A copy fit for `create_query`: without the identity of the original (id, slug, urls) and without
    /// `client_id` and `filter_config`, which would otherwise override the filters set here.
    pub fn to_new_query(&self) -> Query {
        Query {
            id: None,
            client_id: None,
            filter_config: None,
            slug: None,
            share_url: None,
            expanded_share_url: None,
            url: None,
            ..self.clone()
        }
    }
}

/// A field of a result (`fields.dimensions[]`, `fields.measures[]`, ... in `json_detail`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResultField {
    pub name: String,
    pub label: Option<String>,
    pub label_short: Option<String>,
    pub view_label: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub is_numeric: Option<bool>,
    pub value_format: Option<String>,
    pub hidden: Option<bool>,
}

impl ResultField {
    /// The label people see: the full label ("Orders Count") or, when `show_view_names` is off, the short one.
    pub fn display_label(&self, show_view_names: bool) -> String {
        let short = self.label_short.as_deref().filter(|s| !s.is_empty());
        let full = self.label.as_deref().filter(|s| !s.is_empty());
        let chosen = if show_view_names {
            full.or(short)
        } else {
            short.or(full)
        };
        chosen.unwrap_or(&self.name).to_string()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResultFields {
    pub dimensions: Vec<ResultField>,
    pub measures: Vec<ResultField>,
    pub table_calculations: Vec<ResultField>,
    pub pivots: Vec<ResultField>,
}

/// One pivot column group of a pivoted result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PivotValue {
    pub key: String,
    pub data: Map<String, Value>,
    pub labels: Map<String, Value>,
    pub is_total: Option<bool>,
}

/// A `json_detail` query result.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct QueryResult {
    pub fields: ResultFields,
    pub data: Vec<Row>,
    pub pivots: Vec<PivotValue>,
    pub totals_data: Option<Row>,
    pub has_totals: Option<bool>,
    pub sql: Option<String>,
    /// Set by Looker when the query failed (the result still comes with status 200).
    pub looker_error: Option<String>,
    pub errors: Option<Vec<Value>>,
}

impl QueryResult {
    /// Looker's error message when the query did not run, with its details.
    pub fn error_message(&self) -> Option<String> {
        if let Some(e) = &self.looker_error {
            return Some(e.clone());
        }
        let errors = self.errors.as_ref().filter(|e| !e.is_empty())?;
        Some(
            errors
                .iter()
                .map(|e| {
                    let message = e.get("message").and_then(Value::as_str).unwrap_or("error");
                    match e.get("message_details").and_then(Value::as_str) {
                        Some(details) => format!("{message} {details}"),
                        None => message.to_string(),
                    }
                })
                .collect::<Vec<_>>()
                .join("\n"),
        )
    }
}
