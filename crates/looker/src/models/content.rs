//! Looks, dashboards and folders.

use serde::{Deserialize, Serialize};

use super::{Query, id_string};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FolderBase {
    #[serde(deserialize_with = "id_string")]
    pub id: Option<String>,
    pub name: String,
    #[serde(deserialize_with = "id_string")]
    pub parent_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Folder {
    #[serde(deserialize_with = "id_string")]
    pub id: Option<String>,
    pub name: String,
    #[serde(deserialize_with = "id_string")]
    pub parent_id: Option<String>,
    pub child_count: Option<i64>,
    pub is_personal: Option<bool>,
}

/// A Look (`Look` and `LookWithQuery` in the spec: `query` and `url` are set by `look` and `folder_looks` only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Look {
    #[serde(deserialize_with = "id_string")]
    pub id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(deserialize_with = "id_string")]
    pub query_id: Option<String>,
    #[serde(deserialize_with = "id_string")]
    pub folder_id: Option<String>,
    pub folder: Option<FolderBase>,
    pub short_url: Option<String>,
    pub public_url: Option<String>,
    pub query: Option<Query>,
    pub url: Option<String>,
    pub deleted: Option<bool>,
    pub view_count: Option<i64>,
}

/// `result_maker.filterables[].listen[]`: which dashboard filter feeds which field of a tile's query.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterListen {
    pub dashboard_filter_name: Option<String>,
    pub field: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResultMakerFilterable {
    pub model: Option<String>,
    pub view: Option<String>,
    pub name: Option<String>,
    /// A list of `{dashboard_filter_name, field}` in API 4.0; older instances send a map of filter name to field.
    #[serde(deserialize_with = "listen_list")]
    pub listen: Vec<FilterListen>,
}

fn listen_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<FilterListen>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Listen {
        List(Vec<FilterListen>),
        // Buffered by `untagged`, so read without the lenient policy: a null field is left out here.
        Map(std::collections::BTreeMap<String, Option<String>>),
        Nothing(()),
    }
    Ok(match Listen::deserialize(d)? {
        Listen::List(list) => list,
        Listen::Map(map) => map
            .into_iter()
            .filter_map(|(filter, field)| {
                Some(FilterListen {
                    dashboard_filter_name: Some(filter),
                    field: Some(field?),
                })
            })
            .collect(),
        Listen::Nothing(()) => Vec::new(),
    })
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResultMaker {
    pub filterables: Vec<ResultMakerFilterable>,
    #[serde(deserialize_with = "id_string")]
    pub query_id: Option<String>,
    pub query: Option<Query>,
    pub vis_config: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DashboardElement {
    #[serde(deserialize_with = "id_string")]
    pub id: Option<String>,
    pub title: Option<String>,
    pub title_text: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "id_string")]
    pub look_id: Option<String>,
    pub look: Option<Look>,
    #[serde(deserialize_with = "id_string")]
    pub query_id: Option<String>,
    pub query: Option<Query>,
    pub result_maker: Option<ResultMaker>,
    /// The older form of filter mapping: dashboard filter name -> field. Not in the 4.0 spec, still sent by
    /// older instances.
    pub listen: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DashboardFilter {
    #[serde(deserialize_with = "id_string")]
    pub id: Option<String>,
    pub name: Option<String>,
    pub title: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub default_value: Option<String>,
    /// Whether the dashboard runs only once this filter has a value.
    pub required: Option<bool>,
    pub dimension: Option<String>,
    pub model: Option<String>,
    pub explore: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Dashboard {
    #[serde(deserialize_with = "id_string")]
    pub id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub slug: Option<String>,
    #[serde(deserialize_with = "id_string")]
    pub folder_id: Option<String>,
    pub folder: Option<FolderBase>,
    pub hidden: Option<bool>,
    pub deleted: Option<bool>,
    pub dashboard_elements: Vec<DashboardElement>,
    pub dashboard_filters: Vec<DashboardFilter>,
    pub url: Option<String>,
}
