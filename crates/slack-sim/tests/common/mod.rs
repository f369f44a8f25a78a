//! Helpers shared by the integration tests: a started simulator, a client, and fixture comparison.

#![allow(dead_code)]

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::Value;
use slack_sim::{SimConfig, SlackSim};

pub async fn start() -> SlackSim {
    start_with(SimConfig::default()).await
}

pub async fn start_with(config: SimConfig) -> SlackSim {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    SlackSim::start(config).await.expect("simulator binds 127.0.0.1")
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::new()
}

/// POSTs a form-encoded call with the bot token as Bearer; returns the status and JSON body.
pub async fn call(sim: &SlackSim, method: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    call_with_token(sim, method, Some(sim.bot_token()), form).await
}

pub async fn call_with_token(
    sim: &SlackSim,
    method: &str,
    token: Option<&str>,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut request = client().post(format!("{}{method}", sim.api_url())).form(form);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("simulator answers");
    let status = response.status();
    (status, response.json().await.expect("JSON answer"))
}

/// POSTs a JSON-bodied call with the bot token as Bearer.
pub async fn call_json(sim: &SlackSim, method: &str, body: Value) -> Value {
    let response = client()
        .post(format!("{}{method}", sim.api_url()))
        .bearer_auth(sim.bot_token())
        .json(&body)
        .send()
        .await
        .expect("simulator answers");
    response.json().await.expect("JSON answer")
}

/// The documented example `name` of `method`, from the slack-api-ref copy in `data/methods/`.
pub fn documented_example(method: &str, name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("data/methods/{method}.json"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    doc["examples"][name]["example"].clone()
}

/// A Socket Mode fixture from `data/fixtures/`.
pub fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("data/fixtures/{name}"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Key paths present in `expected` but absent from `actual` (objects recursively; arrays by first element).
pub fn missing_keys(expected: &Value, actual: &Value) -> Vec<String> {
    let mut missing = Vec::new();
    collect_missing(expected, actual, "", &mut missing);
    missing
}

fn collect_missing(expected: &Value, actual: &Value, path: &str, missing: &mut Vec<String>) {
    match expected {
        Value::Object(fields) => {
            for (key, value) in fields {
                let key_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match actual.get(key) {
                    Some(found) => collect_missing(value, found, &key_path, missing),
                    None => missing.push(key_path),
                }
            }
        }
        Value::Array(items) => {
            if let (Some(first), Some(found)) = (items.first(), actual.as_array().and_then(|a| a.first())) {
                collect_missing(first, found, &format!("{path}[0]"), missing);
            }
        }
        _ => {}
    }
}

/// Asserts that `actual` has every key of the documented example, except the listed (explained) paths.
pub fn assert_shaped_like(method: &str, example: &str, actual: &Value, not_applicable: &[&str]) {
    let expected = documented_example(method, example);
    assert!(!expected.is_null(), "{method} has a documented example {example}");
    let missing: Vec<String> = missing_keys(&expected, actual)
        .into_iter()
        .filter(|k| !not_applicable.contains(&k.as_str()))
        .collect();
    assert!(missing.is_empty(), "{method} answer lacks {missing:?}: {actual:#}");
}
