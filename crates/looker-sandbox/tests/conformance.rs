//! Requests that break the spec are rejected like Looker would, and recorded; auth and test knobs work.

mod common;

use std::time::{Duration, Instant};

use common::{login, start, start_with};
use looker_sandbox::{Fault, SandboxConfig};
use serde_json::{Value, json};

async fn error_body(res: reqwest::Response) -> Value {
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"].is_string() && body["documentation_url"].is_string(),
        "{body}"
    );
    body
}

#[tokio::test]
async fn unknown_paths_are_404_violations() {
    let c = start().await;
    let res = c.get("/spaces/1").await;
    assert_eq!(res.status(), 404);
    error_body(res).await;
    let res = c.http.put(c.url("/looks/1/run/json")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let violations = c.sandbox.violations();
    assert_eq!(violations.len(), 2);
    assert_eq!(violations[0].method, "GET");
    assert_eq!(violations[0].path, "/api/4.0/spaces/1");
}

#[tokio::test]
async fn bad_params_are_400_violations() {
    let c = start().await;
    let res = c
        .http
        .post(c.url("/render_tasks/queries/1/png?width=100"))
        .header("Authorization", format!("token {}", c.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(error_body(res).await["message"].as_str().unwrap().contains("height"));
    let res = c.get("/queries/1/run/json?limit=lots").await;
    assert_eq!(res.status(), 400);
    let res = c.get("/queries/1/run/json?cache=yes").await;
    assert_eq!(res.status(), 400);
    assert_eq!(c.sandbox.violations().len(), 3);
    assert!(c.sandbox.violations()[1].reason.contains("limit"));
}

#[tokio::test]
async fn bad_bodies_are_400_or_422_violations() {
    let c = start().await;
    let auth = format!("token {}", c.token);
    let malformed = c
        .http
        .post(c.url("/queries"))
        .header("Authorization", &auth)
        .header("Content-Type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    error_body(malformed).await;
    let missing = c
        .http
        .post(c.url("/queries/run/json"))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);

    let wrong_type = c
        .post(
            "/queries",
            &json!({"model": "thelook", "view": "users", "fields": ["users.count"], "limit": 10}),
        )
        .await;
    assert_eq!(wrong_type.status(), 422);
    let body: Value = wrong_type.json().await.unwrap();
    assert_eq!(body["message"], "Validation Failed");
    assert_eq!(body["errors"][0]["field"], "limit");
    assert!(body["errors"][0]["documentation_url"].is_string());
    let array = c.post("/data_actions", &json!([1, 2])).await;
    assert_eq!(array.status(), 422);
    assert_eq!(c.sandbox.violations().len(), 4);
    assert_eq!(c.sandbox.calls("create_query"), 2);
}

#[tokio::test]
async fn auth_is_required_in_either_header_form() {
    let c = start().await;
    let res = c.http.get(c.url("/user")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(error_body(res).await["message"], "Requires authentication.");
    let bearer = c.http.get(c.url("/user")).bearer_auth(&c.token).send().await.unwrap();
    assert_eq!(bearer.status(), 200);
    let wrong = c
        .http
        .get(c.url("/user"))
        .header("Authorization", "token nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(
        c.sandbox.violations().is_empty(),
        "missing auth is not a spec violation"
    );
}

#[tokio::test]
async fn tokens_expire() {
    let c = start_with(SandboxConfig {
        expires_in: 1,
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(c.get("/user").await.status(), 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(c.get("/user").await.status(), 401);

    let fresh = login(&c.http, &c.sandbox).await;
    let ok = c
        .http
        .get(c.url("/user"))
        .header("Authorization", format!("token {fresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    c.sandbox.expire_tokens();
    let gone = c
        .http
        .get(c.url("/user"))
        .header("Authorization", format!("token {fresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 401);
}

#[tokio::test]
async fn faults_latency_and_counters() {
    let c = start().await;
    c.sandbox.reset_counters();
    c.sandbox.inject_fault("look", Fault::Status(500), Some(1));
    let res = c.get("/looks/1").await;
    assert_eq!(res.status(), 500);
    error_body(res).await;
    assert_eq!(c.get("/looks/1").await.status(), 200, "the fault was for one call only");
    c.sandbox.inject_fault("me", Fault::Status(401), None);
    assert_eq!(c.get("/user").await.status(), 401);
    assert_eq!(c.get("/user").await.status(), 401);
    c.sandbox.clear_faults();
    assert_eq!(c.get("/user").await.status(), 200);
    assert_eq!((c.sandbox.calls("look"), c.sandbox.calls("me")), (2, 3));
    assert_eq!(c.sandbox.total_calls(), 5);

    c.sandbox
        .inject_fault("me", Fault::Slow(Duration::from_millis(150)), Some(1));
    let started = Instant::now();
    assert_eq!(c.get("/user").await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    c.sandbox.set_latency(Duration::from_millis(100));
    let started = Instant::now();
    c.get("/user").await;
    assert!(started.elapsed() >= Duration::from_millis(100));
    c.sandbox.set_latency(Duration::ZERO);

    c.sandbox.inject_fault("run_query", Fault::EmptyImage, Some(1));
    let empty = c.get("/queries/4/run/png").await;
    assert_eq!(empty.status(), 200);
    assert!(empty.bytes().await.unwrap().is_empty());
    assert!(!c.get("/queries/4/run/png").await.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let c = start().await;
    let url = c.url("/versions");
    c.sandbox.clone().shutdown().await;
    let fresh = reqwest::Client::new();
    assert!(fresh.get(&url).send().await.is_err());
}

/// Every operation the bot uses, called as the bot calls it; the answers are checked by the sandbox itself.
async fn call_every_operation(c: &common::Client) -> Vec<Value> {
    use looker_sandbox::content;
    let paths = [
        "/user".to_owned(),
        format!("/looks/{}", content::TABLE_LOOK_ID),
        format!("/looks/{}", content::PIVOT_LOOK_ID),
        "/looks/search?title=orders".to_owned(),
        format!("/dashboards/{}", content::SALES_DASHBOARD_ID),
        format!("/dashboards/{}/dashboard_elements", content::SALES_DASHBOARD_ID),
        "/dashboards/search?title=sales".to_owned(),
        format!("/folders/{}", content::CUSTOM_COMMAND_FOLDER_ID),
        format!("/folders/{}/children", content::CUSTOM_COMMAND_FOLDER_ID),
        format!("/folders/{}/dashboards", content::CUSTOM_COMMAND_FOLDER_ID),
        format!("/folders/{}/looks", content::SHARED_FOLDER_ID),
        "/queries/1".to_owned(),
        format!("/queries/slug/{}", content::TABLE_LOOK_SHARE_SLUG),
    ];
    let mut answers = Vec::new();
    for path in paths {
        answers.push(c.get_json(&path).await);
    }
    let created = c
        .post(
            "/queries",
            &json!({"model": "thelook", "view": "orders", "fields": ["orders.count"]}),
        )
        .await;
    assert_eq!(created.status(), 200);
    answers.push(created.json().await.unwrap());
    answers
}

#[tokio::test]
async fn every_answer_carries_every_nullable_property_and_fits_the_spec() {
    let c = start().await;
    let answers = call_every_operation(&c).await;
    assert!(
        c.sandbox.violations().is_empty(),
        "the sandbox's answers break the spec: {:#?}",
        c.sandbox.violations()
    );
    let look = &answers[1];
    assert_eq!(
        look["query"]["pivots"],
        Value::Null,
        "an unpivoted query says `pivots: null`"
    );
    assert_eq!(look["query"]["fill_fields"], Value::Null);
    assert!(
        look.as_object().unwrap().contains_key("deleted_at"),
        "nullable properties are present"
    );
    let created = answers.last().unwrap();
    assert_eq!(created["sorts"], Value::Null);
    assert_eq!(created["dynamic_fields"], Value::Null);
}

#[tokio::test]
async fn quirks_change_the_answers_as_older_and_newer_lookers_do() {
    use looker_sandbox::Quirk;
    let c = start().await;
    c.sandbox
        .set_quirks(&[Quirk::NumericIds, Quirk::NullLists, Quirk::UnknownFields]);
    let look = c.get_json("/looks/1").await;
    assert!(look["id"].is_u64(), "{}", look["id"]);
    assert!(look["query"]["id"].is_u64());
    assert!(look["added_in_a_later_looker"].is_object());
    let dashboard = c.get_json("/dashboards/1").await;
    assert!(
        dashboard
            .as_object()
            .unwrap()
            .values()
            .all(|v| v.as_array().is_none_or(|a| !a.is_empty())),
        "no empty list is left: {dashboard}"
    );
    c.sandbox.set_quirks(&[Quirk::OmittedNulls]);
    let look = c.get_json("/looks/1").await;
    assert!(look["query"].get("pivots").is_none());
    c.sandbox.set_quirks(&[]);
    let look = c.get_json("/looks/1").await;
    assert_eq!(look["query"]["pivots"], Value::Null);
}

#[tokio::test]
async fn a_query_error_fault_answers_200_with_the_error_inside() {
    let c = start().await;
    c.sandbox
        .inject_fault("run_query", Fault::QueryError("Table not found".into()), Some(1));
    let failed = c.get("/queries/1/run/json_detail").await;
    assert_eq!(failed.status(), 200);
    let body: Value = failed.json().await.unwrap();
    assert_eq!(body["errors"][0]["message"], "Table not found");
    let next = c.get_json("/queries/1/run/json_detail").await;
    assert!(
        next["errors"].is_null() && next["data"].is_array(),
        "the fault applied once"
    );
}
