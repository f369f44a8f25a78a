//! The bot's own Looker user and the API version list.

use serde::{Deserialize, Serialize};

use super::id_string;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    #[serde(deserialize_with = "id_string")]
    pub id: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub is_disabled: Option<bool>,
    pub role_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiVersionElement {
    pub version: String,
    pub full_version: Option<String>,
    pub status: Option<String>,
    pub swagger_url: Option<String>,
}

/// `GET /versions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiVersion {
    pub looker_release_version: Option<String>,
    pub current_version: Option<ApiVersionElement>,
    pub supported_versions: Vec<ApiVersionElement>,
    pub api_server_url: Option<String>,
    pub web_server_url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccessToken {
    pub access_token: String,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}
