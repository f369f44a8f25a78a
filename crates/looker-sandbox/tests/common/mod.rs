//! Shared helpers: a sandbox with a fixed "today", a logged-in client, and a response-shape checker.
#![allow(dead_code)]

use chrono::NaiveDate;
use looker_sandbox::shape;
use looker_sandbox::spec::{JsonType, spec};
use looker_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

/// A Wednesday; data and relative filters are computed from it.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 18).unwrap()
}

pub struct Client {
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
    pub token: String,
}

pub async fn start() -> Client {
    start_with(SandboxConfig::default()).await
}

pub async fn start_with(config: SandboxConfig) -> Client {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let sandbox = Sandbox::start_on(config, today()).await.unwrap();
    let http = reqwest::Client::new();
    let token = login(&http, &sandbox).await;
    Client { sandbox, http, token }
}

pub async fn login(http: &reqwest::Client, sandbox: &Sandbox) -> String {
    let form = [
        ("client_id", sandbox.client_id()),
        ("client_secret", sandbox.client_secret()),
    ];
    let res = http
        .post(format!("{}/login", sandbox.api_url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

impl Client {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.api_url())
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .header("Authorization", format!("token {}", self.token))
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        let req = self
            .http
            .post(self.url(path))
            .header("Authorization", format!("token {}", self.token));
        req.json(body).send().await.unwrap()
    }

    /// GETs JSON, asserting 200.
    pub async fn get_json(&self, path: &str) -> Value {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.unwrap()
    }

    /// Runs an inline query in `json` and returns the rows.
    pub async fn inline(&self, query: Value) -> Value {
        let res = self.post("/queries/run/json", &query).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }
}

/// Checks a response against the 200 schema the spec declares for `operation_id`, with the sandbox's own checker
/// (required properties, `null` only where the spec allows it, types, no invented properties), and that a list
/// answer has items to check.
pub fn assert_operation_response(operation_id: &str, value: &Value) {
    let op = spec()
        .operation(operation_id)
        .unwrap_or_else(|| panic!("no operation {operation_id}"));
    let response = op
        .response
        .as_ref()
        .unwrap_or_else(|| panic!("{operation_id} has no JSON response"));
    assert!(response.schema.is_some(), "{operation_id}: response has no schema");
    if response.ty == JsonType::Array {
        assert!(
            value.as_array().is_some_and(|items| !items.is_empty()),
            "{operation_id}: expected some items to check, got {value}"
        );
    }
    let problems = shape::check(value, response, spec());
    assert!(problems.is_empty(), "{operation_id}: {problems:#?}");
}
